// Where Jarvis Context's read-only documents live, and opening them. Views, commands and the crash
// notification all open documents; the providers that fill them are views/documents.ts and the
// span documents of views/tracesView.ts.
import * as vscode from 'vscode';
import type { LgCheckpointKey } from './core/langgraph';
import type { RecoveryReport, Span } from './core/types';
import type { WorkspaceSession } from './host/session';

export const SCHEME = 'jarvis-context';
export const SPAN_SCHEME = 'jarvis-span';

/** What the Traces view hands the "Open Span" command. */
export type SpanRef = Pick<Span, 'trace_id' | 'span_id' | 'name'>;

/**
 * The last path segment is what the editor's tab shows: a title a person reads ("Decision #2 —
 * Retry deploy"), never a slash, at most 60 characters.
 */
export function docTitle(text: string): string {
  const one = text.replace(/[\\/:*?"<>|\u0000-\u001f]+/g, ' ').replace(/\s+/g, ' ').trim();
  return one.length > 60 ? one.slice(0, 59).trimEnd() + '…' : one;
}

/**
 * The authority is the session key, the path names the record, so an editor stays bound to its
 * workspace folder; a last segment `/<title>` is for the tab and ignored when the content is read:
 *   jarvis-context: /checkpoints/<id>[/<title>].json   /decisions/<id>[/<title>].json
 *                   /recovery/<report file base>.md | .json   (`latest` = the newest report)
 *                   /langgraph/=<thread>/=<namespace>/<checkpoint id>[/<title>].json  (URI-encoded; channel values)
 *   jarvis-span:    /<trace id>/<span id>[/<title>].json
 */
export const uris = {
  checkpoint: (s: WorkspaceSession, id: number, title?: string) =>
    vscode.Uri.from({ scheme: SCHEME, authority: s.key, path: `/checkpoints/${id}${title ? `/${docTitle(title)}` : ''}.json` }),
  decision: (s: WorkspaceSession, id: number, title?: string) =>
    vscode.Uri.from({ scheme: SCHEME, authority: s.key, path: `/decisions/${id}${title ? `/${docTitle(title)}` : ''}.json` }),
  langgraph: (s: WorkspaceSession, k: LgCheckpointKey, title?: string) =>
    vscode.Uri.from({
      scheme: SCHEME, authority: s.key,
      path: `/langgraph/=${encodeURIComponent(k.thread_id)}/=${encodeURIComponent(k.checkpoint_ns)}/${encodeURIComponent(k.checkpoint_id)}${title ? `/${docTitle(title)}` : ''}.json`,
    }),
  report: (s: WorkspaceSession, report: RecoveryReport, ext: 'md' | 'json') =>
    vscode.Uri.from({ scheme: SCHEME, authority: s.key, path: `/recovery/${reportBase(report)}.${ext}` }),
  span: (s: WorkspaceSession, span: SpanRef) =>
    vscode.Uri.from({ scheme: SPAN_SCHEME, authority: s.key, path: `/${span.trace_id}/${span.span_id}/${docTitle(`Span ${span.name}`)}.json` }),
};

export function reportBase(report: RecoveryReport): string {
  const name = report.file.split(/[\\/]/).pop() ?? report.file;
  return name.replace(/\.(json|md)$/, '') || 'latest';
}

export async function showDocument(uri: vscode.Uri, options: vscode.TextDocumentShowOptions = {}): Promise<vscode.TextEditor> {
  const doc = await vscode.workspace.openTextDocument(uri);
  return vscode.window.showTextDocument(doc, { preview: false, ...options });
}
