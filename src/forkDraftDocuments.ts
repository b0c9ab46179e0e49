// "Edit and Fork…": the checkpoint's orchestrator state as an editable JSON document. Drafts live
// in memory behind the `jarvis-fork` scheme (nothing is written to the workspace); saving one
// checks it and, when it is a JSON object, shows the diff against the checkpoint and asks before
// the fork is made. Bad JSON gets a diagnostic where it breaks and nothing is stored.
import * as vscode from 'vscode';
import { docTitle } from './documentUris';
import { checkStateDraft, draftText, positionAt } from './forkDraft';
import type { JsonObject } from './core/types';
import type { LgCheckpointKey } from './core/langgraph';

export const FORK_SCHEME = 'jarvis-fork';

/** A draft, or the checkpoint's own state beside it (read-only, the diff's left side). */
export interface DraftRef {
  sessionKey: string;
  checkpointId: number;
  original: boolean;
}

/**
 *   jarvis-fork://<session key>/<checkpoint id>/<title>.json            the draft
 *   jarvis-fork://<session key>/<checkpoint id>/original/<title>.json   the checkpoint's state
 */
export function draftUri(sessionKey: string, checkpointId: number, title: string, original = false): vscode.Uri {
  return vscode.Uri.from({ scheme: FORK_SCHEME, authority: sessionKey, path: `/${checkpointId}${original ? '/original' : ''}/${docTitle(title)}.json` });
}

export function parseDraftUri(uri: vscode.Uri): DraftRef | undefined {
  if (uri.scheme !== FORK_SCHEME) return undefined;
  const m = /^\/(\d+)(\/original)?\/[^/]+\.json$/.exec(uri.path);
  return m ? { sessionKey: uri.authority, checkpointId: Number(m[1]), original: !!m[2] } : undefined;
}

/** A draft of a LangGraph checkpoint's channel values, or those values beside it. */
export interface LgDraftRef {
  sessionKey: string;
  key: LgCheckpointKey;
  original: boolean;
}

/**
 *   jarvis-fork://<session key>/langgraph/=<thread>/=<namespace>/<checkpoint id>[/original]/<title>.json
 * (thread and namespace URI-encoded; `=` keeps an empty namespace a segment).
 */
export function lgDraftUri(sessionKey: string, key: LgCheckpointKey, title: string, original = false): vscode.Uri {
  const at = `/langgraph/=${encodeURIComponent(key.thread_id)}/=${encodeURIComponent(key.checkpoint_ns)}/${encodeURIComponent(key.checkpoint_id)}`;
  return vscode.Uri.from({ scheme: FORK_SCHEME, authority: sessionKey, path: `${at}${original ? '/original' : ''}/${docTitle(title)}.json` });
}

export function parseLgDraftUri(uri: vscode.Uri): LgDraftRef | undefined {
  if (uri.scheme !== FORK_SCHEME) return undefined;
  const m = /^\/langgraph\/=([^/]*)\/=([^/]*)\/([^/]+)(\/original)?\/[^/]+\.json$/.exec(uri.path);
  if (!m) return undefined;
  try {
    const key = { thread_id: decodeURIComponent(m[1]), checkpoint_ns: decodeURIComponent(m[2]), checkpoint_id: decodeURIComponent(m[3]) };
    return { sessionKey: uri.authority, key, original: !!m[4] };
  } catch {
    return undefined;
  }
}

/** Which draft a document belongs to (the draft and its original share it); undefined for other documents. */
export function draftOf(uri: vscode.Uri): string | undefined {
  if (!parseDraftUri(uri) && !parseLgDraftUri(uri)) return undefined;
  return `${uri.authority}${uri.path.replace(/(\/original)?\/[^/]+\.json$/, '')}`;
}

function isOriginal(uri: vscode.Uri): boolean {
  return !!(parseDraftUri(uri)?.original ?? parseLgDraftUri(uri)?.original);
}

interface Entry {
  bytes: Uint8Array;
  ctime: number;
  mtime: number;
}

export class ForkDrafts implements vscode.FileSystemProvider, vscode.Disposable {
  private readonly files = new Map<string, Entry>();
  private readonly changed = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.changed.event;
  private readonly saved = new vscode.EventEmitter<{ uri: vscode.Uri; text: string }>();
  /** A draft was saved (its text as written). */
  readonly onDidSave = this.saved.event;
  readonly diagnostics = vscode.languages.createDiagnosticCollection('Jarvis Context fork');

  /** Puts the draft and its original in place; an open draft keeps the user's edits. */
  prepare(sessionKey: string, checkpointId: number, title: string, state: JsonObject): { draft: vscode.Uri; original: vscode.Uri } {
    return this.place(draftUri(sessionKey, checkpointId, title), draftUri(sessionKey, checkpointId, `Checkpoint #${checkpointId} state`, true), state);
  }

  /** The same for a LangGraph checkpoint's channel values (channel → value). */
  prepareLangGraph(sessionKey: string, key: LgCheckpointKey, title: string, originalTitle: string, values: Record<string, unknown>): { draft: vscode.Uri; original: vscode.Uri } {
    return this.place(lgDraftUri(sessionKey, key, title), lgDraftUri(sessionKey, key, originalTitle, true), values);
  }

  private place(draft: vscode.Uri, original: vscode.Uri, value: Record<string, unknown>): { draft: vscode.Uri; original: vscode.Uri } {
    const bytes = new TextEncoder().encode(draftText(value));
    this.put(original, bytes);
    if (!this.files.has(draft.toString())) this.put(draft, bytes);
    return { draft, original };
  }

  /** Drops a draft once forked (an editor still showing it reads it as gone). */
  discard(uri: vscode.Uri): void {
    this.files.delete(uri.toString());
    this.diagnostics.delete(uri);
  }

  /** Checks a saved draft: a diagnostic where it breaks, or the state it holds. */
  check(uri: vscode.Uri, text: string): JsonObject | undefined {
    const r = this.checkWith(uri, checkStateDraft(text), text);
    return r?.state;
  }

  /** A check's problem as a diagnostic on the draft (none when it passed); the check's result when it passed. */
  checkWith<T extends { ok: true }>(uri: vscode.Uri, r: T | { ok: false; message: string; offset: number }, text: string): T | undefined {
    if (r.ok) {
      this.diagnostics.delete(uri);
      return r;
    }
    const at = positionAt(text, r.offset);
    const pos = new vscode.Position(at.line, at.character);
    const d = new vscode.Diagnostic(new vscode.Range(pos, pos.translate(0, 1)), r.message, vscode.DiagnosticSeverity.Error);
    d.source = 'Jarvis Context';
    this.diagnostics.set(uri, [d]);
    return undefined;
  }

  private put(uri: vscode.Uri, bytes: Uint8Array): void {
    const now = Date.now();
    const prev = this.files.get(uri.toString());
    this.files.set(uri.toString(), { bytes, ctime: prev?.ctime ?? now, mtime: now });
    if (prev) this.changed.fire([{ type: vscode.FileChangeType.Changed, uri }]);
  }

  private entry(uri: vscode.Uri): Entry {
    const e = this.files.get(uri.toString());
    if (!e) throw vscode.FileSystemError.FileNotFound(uri);
    return e;
  }

  // ---- FileSystemProvider --------------------------------------------------------------------

  watch(): vscode.Disposable {
    return new vscode.Disposable(() => undefined);
  }

  stat(uri: vscode.Uri): vscode.FileStat {
    const e = this.entry(uri);
    const readonly = isOriginal(uri) ? vscode.FilePermission.Readonly : undefined;
    return { type: vscode.FileType.File, ctime: e.ctime, mtime: e.mtime, size: e.bytes.byteLength, permissions: readonly };
  }

  readDirectory(): [string, vscode.FileType][] {
    return [];
  }

  createDirectory(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  readFile(uri: vscode.Uri): Uint8Array {
    return this.entry(uri).bytes;
  }

  writeFile(uri: vscode.Uri, content: Uint8Array): void {
    if (!draftOf(uri) || isOriginal(uri) || !this.files.has(uri.toString())) throw vscode.FileSystemError.NoPermissions(uri);
    this.put(uri, content);
    // Saving only keeps the text; what it means is worked out after the editor has its answer.
    const text = new TextDecoder().decode(content);
    setImmediate(() => this.saved.fire({ uri, text }));
  }

  delete(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  rename(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  dispose(): void {
    this.changed.dispose();
    this.saved.dispose();
    this.diagnostics.dispose();
  }
}
