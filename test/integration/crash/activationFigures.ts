// Activation → views populated, in the real workbench, printed as FIGURE lines for the README.
import * as assert from 'assert';
import type * as vscode from 'vscode';
import { RECOVERING_MESSAGE } from '../../../src/views/sessionTree';
import { activateOnly, figure, type TestApi, waitFor } from '../harness';

/** What the Tasks view showed at one moment: its message and how many tasks it held. */
interface Seen { message: string | undefined; tasks: number }

/**
 * Activates the extension and watches the Tasks view until it holds `tasks` tasks; prints the time
 * since activate() was entered. Returns what the view showed on the way, each change once.
 */
export async function activateAndWatch(name: string, tasks: number): Promise<{ api: TestApi; seen: Seen[] }> {
  const api = await activateOnly();
  const testing = api.testing as unknown as { activatedAt: number; trees: { tasks: vscode.TreeView<unknown> } };
  const seen: Seen[] = [];
  const look = () => {
    // A view without a message has '' (VS Code's default) or undefined (cleared).
    const now: Seen = { message: testing.trees.tasks.message || undefined, tasks: api.testing.views.tasks.visibleTaskIds().length };
    const last = seen[seen.length - 1];
    if (!last || last.message !== now.message || last.tasks !== now.tasks) seen.push(now);
    return now;
  };
  await waitFor(() => look().tasks >= tasks, `${tasks} tasks in the Tasks view`, 120_000);
  figure(name, Date.now() - testing.activatedAt);
  // The other views of the container, loaded from the same store.
  const { agents, decisions, checkpoints } = api.testing.views;
  await Promise.all([agents, decisions, checkpoints].map(v => v.whenIdle()));
  figure(name.replace(/_ms$/, '_all_views_ms'), Date.now() - testing.activatedAt);
  await waitFor(() => look().message === undefined, 'the Tasks view\'s message gone', 10_000);
  return { api, seen };
}

/** The view said "Recovering…" while it was empty, then held the tasks. */
export function assertRecoveringThenData(seen: Seen[], tasks: number): void {
  const said = seen.findIndex(s => s.message === RECOVERING_MESSAGE);
  const data = seen.findIndex(s => s.tasks >= tasks);
  assert.ok(said >= 0, `"Recovering…" never shown: ${JSON.stringify(seen)}`);
  assert.ok(said < data, `the data came before "Recovering…": ${JSON.stringify(seen)}`);
  assert.ok(seen.slice(0, data).every(s => s.tasks === 0), `rows before the store was loaded: ${JSON.stringify(seen)}`);
}
