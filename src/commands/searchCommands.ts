// "Search Context…": the search of GET /search in a quick pick, live as one types; picking a result
// jumps to it (a decision, snapshot or span opens, a task or agent is revealed in its view).
import * as vscode from 'vscode';
import type { SpanRef } from '../documentUris';
import { shortTime } from '../format';
import { COMMANDS } from '../ids';
import { search, type SearchKind, type SearchResult } from '../server/search';
import { type CommandContext, registerCommand, requireSession } from './run';

const ICONS: Record<SearchKind, string> = {
  decision: 'lightbulb', message: 'mail', task: 'tasklist', agent: 'person', span: 'pulse', checkpoint: 'bookmark',
};
const KIND_NAMES: Record<SearchKind, string> = {
  decision: 'decision', message: 'message', task: 'task', agent: 'agent', span: 'span', checkpoint: 'checkpoint',
};

type Item = vscode.QuickPickItem & { result: SearchResult };

export function registerSearchCommands(ctx: CommandContext): vscode.Disposable[] {
  async function jump(r: SearchResult): Promise<unknown> {
    const s = requireSession(ctx);
    switch (r.kind) {
      case 'decision': return vscode.commands.executeCommand(COMMANDS.openDecision, Number(r.id));
      case 'checkpoint': return vscode.commands.executeCommand(COMMANDS.openCheckpoint, Number(r.id));
      case 'span': {
        const [trace_id, span_id] = r.id.split('/');
        const ref: SpanRef = { trace_id, span_id, name: r.title };
        return vscode.commands.executeCommand(COMMANDS.openSpan, ref);
      }
      case 'task': return ctx.views.reveal.task(r.id);
      case 'agent': return ctx.views.reveal.agent(r.id);
      case 'message': {
        const m = (await s.engine.getMessages({ limit: 10_000 })).find(x => String(x.id) === r.id);
        const doc = await vscode.workspace.openTextDocument({ language: 'json', content: JSON.stringify(m ?? r, null, 2) + '\n' });
        return vscode.window.showTextDocument(doc, { preview: true });
      }
    }
  }

  return [
    /** With a query string (scripts, tests): the results, without the picker. */
    registerCommand(ctx, COMMANDS.search, async (query?: unknown): Promise<SearchResult[] | SearchResult | undefined> => {
      const s = requireSession(ctx);
      if (typeof query === 'string') return search(s.engine, query, 50);
      const pick = vscode.window.createQuickPick<Item>();
      pick.title = 'Search Context';
      pick.placeholder = 'Words from decisions, messages, tasks, agents, spans or checkpoint labels, in any language';
      pick.matchOnDescription = true;
      pick.matchOnDetail = true;
      let timer: ReturnType<typeof setTimeout> | undefined;
      let generation = 0;
      pick.onDidChangeValue(value => {
        if (timer) clearTimeout(timer);
        timer = setTimeout(async () => {
          const mine = ++generation;
          pick.busy = true;
          try {
            const results = await search(s.engine, value, 50);
            if (mine !== generation) return;
            pick.items = results.map(r => ({
              label: `$(${ICONS[r.kind]}) ${r.title}`,
              description: `${KIND_NAMES[r.kind]} · ${shortTime(r.ts)}`,
              detail: r.snippet,
              alwaysShow: true,
              result: r,
            }));
          } catch (err) {
            ctx.errors.report(COMMANDS.search, err);
          } finally {
            if (mine === generation) pick.busy = false;
          }
        }, 150);
      });
      const chosen = await new Promise<SearchResult | undefined>(resolve => {
        pick.onDidAccept(() => {
          resolve(pick.selectedItems[0]?.result);
          pick.hide();
        });
        pick.onDidHide(() => resolve(undefined));
        pick.show();
      });
      if (timer) clearTimeout(timer);
      pick.dispose();
      if (chosen) await jump(chosen);
      return chosen;
    }),

    /** Jumps to one result (scripts, tests). */
    registerCommand(ctx, COMMANDS.openSearchResult, (r?: SearchResult) => (r ? jump(r) : undefined)),
  ];
}
