// The checkpoint commands on a LangGraph checkpoint (a node of the Checkpoints view carrying `lg`):
// open and compare its channel values, resume the thread from it, edit and fork it. Resuming and
// forking go through the engine's LangGraph fork (POST /langgraph/fork does the same): a new newest
// checkpoint of the thread, so its next `invoke(null, { thread_id })` continues from there.
import * as vscode from 'vscode';
import { NotFoundError, ValidationError } from '../core/errors';
import type { LgCheckpointKey, LgForkInput, LgTuple } from '../core/langgraph';
import { showDocument, uris } from '../documentUris';
import { checkChannelDraft } from '../forkDraft';
import type { ForkDrafts } from '../forkDraftDocuments';
import { visibleId } from '../format';
import type { WorkspaceSession } from '../host/session';
import { channelValues, namespaceName } from '../langgraphText';
import { UserFacingError } from './run';

type Engine = NonNullable<WorkspaceSession['engine']>;

/** The LangGraph checkpoint a command was given (a view node, or its key), if it was given one. */
export function lgKeyOf(ref: unknown): LgCheckpointKey | undefined {
  const lg = typeof ref === 'object' && ref !== null && 'lg' in ref ? (ref as { lg: unknown }).lg : ref;
  if (typeof lg !== 'object' || lg === null) return undefined;
  const k = lg as Partial<LgCheckpointKey>;
  return typeof k.thread_id === 'string' && typeof k.checkpoint_ns === 'string' && typeof k.checkpoint_id === 'string'
    ? { thread_id: k.thread_id, checkpoint_ns: k.checkpoint_ns, checkpoint_id: k.checkpoint_id } : undefined;
}

function tupleOf(engine: Engine, k: LgCheckpointKey): LgTuple {
  const t = engine.langgraph.getTuple(k.thread_id, k.checkpoint_ns, k.checkpoint_id, true);
  if (!t) throw new UserFacingError(`LangGraph checkpoint ${k.checkpoint_id} of thread ${visibleId(k.thread_id)} no longer exists (deleted or pruned).`);
  return t;
}

/** "thread-7 step 2", "thread-7 › sub step 1". */
export function lgTitle(t: Pick<LgTuple, 'thread_id' | 'checkpoint_ns' | 'metadata'>): string {
  const step = typeof t.metadata.step === 'number' ? t.metadata.step : '?';
  return `${visibleId(t.thread_id)}${t.checkpoint_ns ? ` › ${namespaceName(t.checkpoint_ns)}` : ''} step ${step}`;
}

export async function openLgCheckpoint(s: WorkspaceSession & { engine: Engine }, k: LgCheckpointKey): Promise<vscode.Uri> {
  const t = tupleOf(s.engine, k);
  const editor = await showDocument(uris.langgraph(s, k, `${lgTitle(t)} channel values`));
  return editor.document.uri;
}

/** The diff of the checkpoint's channel values against its parent's (the step before it). */
export async function compareLgWithPrevious(s: WorkspaceSession & { engine: Engine }, k: LgCheckpointKey): Promise<vscode.Uri[]> {
  const t = tupleOf(s.engine, k);
  if (t.parent_checkpoint_id === null) throw new UserFacingError('This is the first checkpoint of its thread: nothing to compare with.');
  return compareLg(s, { ...k, checkpoint_id: t.parent_checkpoint_id }, k);
}

/** The diff of two checkpoints' channel values, the older on the left (ids sort by time). */
export async function compareLg(s: WorkspaceSession & { engine: Engine }, a: LgCheckpointKey, b: LgCheckpointKey): Promise<vscode.Uri[]> {
  const [older, newer] = [tupleOf(s.engine, a), tupleOf(s.engine, b)].sort((x, y) => (x.checkpoint_id < y.checkpoint_id ? -1 : 1));
  const left = uris.langgraph(s, older, `${lgTitle(older)} channel values`);
  const right = uris.langgraph(s, newer, `${lgTitle(newer)} channel values`);
  await vscode.commands.executeCommand('vscode.diff', left, right, `${lgTitle(older)} ↔ ${lgTitle(newer)} (channel values)`, { preview: false });
  return [left, right];
}

function rootOnly(k: LgCheckpointKey): void {
  // A subgraph's checkpoint is continued by its parent graph's run: fork the parent's instead.
  if (k.checkpoint_ns !== '') {
    throw new UserFacingError(`This checkpoint belongs to the subgraph ${namespaceName(k.checkpoint_ns)}: resume or fork the thread's own checkpoint (the run without a namespace) from which the subgraph ran.`);
  }
}

function announceLgFork(from: Pick<LgTuple, 'thread_id' | 'checkpoint_ns' | 'metadata'>, fork: LgCheckpointKey, edited: boolean): void {
  void vscode.window.showInformationMessage(
    `The next invoke(null) of thread ${visibleId(from.thread_id)} continues from ${lgTitle(from).replace(/^.* step/, 'step')}${edited ? ' with your edited values' : ''} (recorded as checkpoint ${fork.checkpoint_id}).`);
}

/** The engine's refusals (a checkpoint of another serializer, a non-JSON channel) said as information. */
async function fork(engine: Engine, input: LgForkInput): Promise<LgCheckpointKey> {
  try {
    return await engine.langgraph.fork(input);
  } catch (e) {
    if (e instanceof ValidationError) throw new UserFacingError(`Cannot fork: ${e.problem}`);
    if (e instanceof NotFoundError) throw new UserFacingError(e.message.replace(/^checkpoint_id: /, 'Cannot fork: '));
    throw e;
  }
}

/** Resume from this checkpoint: a fork of it without edits. */
export async function resumeLg(engine: Engine, k: LgCheckpointKey): Promise<LgCheckpointKey> {
  rootOnly(k);
  const t = tupleOf(engine, k);
  const made = await fork(engine, { ...k });
  announceLgFork(t, made, false);
  return made;
}

/** Opens the checkpoint's channel values as an editable draft (values that are not JSON as read-only notes). */
export async function editLgDraft(s: WorkspaceSession & { engine: Engine }, drafts: ForkDrafts, k: LgCheckpointKey): Promise<vscode.Uri> {
  rootOnly(k);
  const t = tupleOf(s.engine, k);
  const { draft } = drafts.prepareLangGraph(s.key, k, `Edit and fork ${lgTitle(t)}`, `${lgTitle(t)} channel values`, channelValues(t).values);
  await showDocument(draft);
  void vscode.window.setStatusBarMessage('$(edit) Jarvis: edit the values, then save to see the diff and fork', 6000);
  return draft;
}

/** A saved draft's edits (channel → value), or undefined with a diagnostic on the draft. */
export function checkLgDraft(engine: Engine, drafts: ForkDrafts, uri: vscode.Uri, k: LgCheckpointKey, text: string): { t: LgTuple; edits: Record<string, unknown> } | undefined {
  const t = tupleOf(engine, k);
  const { values, opaque } = channelValues(t);
  const r = drafts.checkWith(uri, checkChannelDraft(text, values, opaque, Object.keys(t.channel_versions)), text);
  return r && { t, edits: r.edits };
}

/** Writes the fork with the draft's edits (versions bumped by the engine, as updateState does). */
export async function forkLg(engine: Engine, t: LgTuple, edits: Record<string, unknown>): Promise<LgCheckpointKey> {
  const edited = Object.keys(edits).length > 0;
  const made = await fork(engine, { thread_id: t.thread_id, checkpoint_ns: t.checkpoint_ns, checkpoint_id: t.checkpoint_id, ...(edited ? { values: edits } : {}) });
  announceLgFork(t, made, edited);
  return made;
}
