// Team mode in the real workbench, against a throwaway PostgreSQL: the command connects the
// folder, its server answers for the team, the Team view shows every origin, and the password
// stays in SecretStorage (never in settings).
import * as assert from 'assert';
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { ChangeBatch } from '../../../src/host/changes';
import { COMMANDS, PANEL_CONTAINER, VIEW_CONTAINERS, VIEWS } from '../../../src/ids';
import type { Pages } from '../../../src/views/pages/pages';
import type { TeamView } from '../../../src/views/teamView';

type TeamNodeOf<V extends TeamView> = ReturnType<V['getChildren']>[number];

/** An origin's rows, through its groups (agents, unfinished tasks, decisions). */
function rowsUnder(view: TeamView, origin: TeamNodeOf<TeamView>): TeamNodeOf<TeamView>[] {
  return view.getChildren(origin).flatMap(n => (n.kind === 'group' ? view.getChildren(n) : [n]));
}
import { PG_PASSWORD, startPg, type PgServer } from '../../unit/support/pgServer';
import { findCli } from '../../unit/support/serveProcess';
import { activate, closeAllEditors, screenshot, type TestApi, waitFor } from '../harness';

const W = vscode.ConfigurationTarget.Workspace;

describe('team mode in VS Code', function () {
  this.timeout(120_000);
  let api: TestApi;
  let pg: PgServer | undefined;
  let other: ChildProcess | undefined;
  let otherFolder = '';
  let dbUrl = '';
  let ep = { url: '', token: '' };
  const startOther = async (): Promise<{ url: string; token: string }> => {
    const child = spawn(process.execPath, [findCli(), 'serve', '--path', otherFolder, '--port', '0', '--database-url', dbUrl, '--project', 'vscode-team'], { stdio: ['ignore', 'pipe', 'pipe'] });
    other = child;
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const url = await waitFor(() => /listening on (\S+)/.exec(out)?.[1], 'the other server listening');
    ep = { url, token: JSON.parse(fs.readFileSync(path.join(otherFolder, 'endpoint.json'), 'utf8')).token as string };
    return ep;
  };
  const killOther = async (): Promise<void> => {
    const child = other!;
    const exited = new Promise(resolve => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  };

  before(async function () {
    api = await activate();
    pg = await startPg();
  });

  after(async function () {
    await vscode.commands.executeCommand(COMMANDS.disconnectTeamDatabase);
    await vscode.workspace.getConfiguration('jarvis').update('team.project', undefined, W);
    await vscode.workspace.getConfiguration('jarvis').update('staleAgentMinutes', undefined, W);
    await waitFor(() => {
      const s = api.testing.sessions.current!;
      return s.state === 'ready' && s.server && !s.team;
    }, 'team mode off again', 30_000);
    other?.kill('SIGTERM');
    pg?.stop();
  });

  it('Connect Team Database… replicates the folder; the Team view and GET /team show it beside another machine', async function () {
    const url = dbUrl = await pg!.createDatabase('vscode');
    await vscode.commands.executeCommand(COMMANDS.connectTeamDatabase, url, 'vscode-team');
    const session = await waitFor(() => {
      const s = api.testing.sessions.current;
      return s?.team?.replication()?.state === 'replicating' && s.server ? s : undefined;
    }, 'the folder replicating', 30_000);
    const call = async (route: string, init: RequestInit = {}): Promise<any> => {
      const res = await fetch(session.server!.url + route, { ...init, headers: { Authorization: `Bearer ${session.server!.token}`, 'Content-Type': 'application/json' } });
      return { status: res.status, text: await res.text() };
    };
    assert.strictEqual((await call('/agents/vscode-agent', { method: 'PUT', body: JSON.stringify({ status: 'working' }) })).status, 200);

    // Another machine of the project: a CLI server on another folder.
    otherFolder = fs.mkdtempSync(path.join(os.tmpdir(), 'jarvis-team-other-'));
    const { url: otherUrl, token } = await startOther();
    const res = await fetch(`${otherUrl}/decisions`, {
      method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ decision_type: 'routing', context: {}, decision: 'from the other machine', reasoning: 'r' }),
    });
    assert.strictEqual(res.status, 201);

    const view = (api.testing as unknown as { team: TeamView }).team;
    const origins = await waitFor(async () => {
      view.update(ChangeBatch.everything());
      await view.whenIdle();
      const nodes = view.getChildren().filter(n => n.kind === 'origin');
      return nodes.length === 2 ? nodes : undefined;
    }, 'two origins in the Team view', 30_000);
    const items = origins.map(o => view.getTreeItem(o));
    // this folder first, named by its workspace folder (not its storage path); the other by its folder
    const host = os.hostname();
    assert.deepStrictEqual(items.map(i => String(i.label)), [
      `${host}: ${vscode.workspace.workspaceFolders![0].name} (this folder)`, `${host}: ${path.basename(otherFolder)}`,
    ]);
    assert.ok(items.every(i => /seen /.test(String(i.description))), 'each origin says when it was seen');
    const otherNode = origins[1];
    await waitFor(async () => {
      view.update(ChangeBatch.everything());
      await view.whenIdle();
      return rowsUnder(view, otherNode).some(n => n.kind === 'decision' && view.getTreeItem(n).label === 'from the other machine');
    }, "the other machine's decision under its origin", 15_000);
    // grouped: agents, unfinished tasks, decisions, each a row of its own with a count
    const selfGroups = view.getChildren(origins[0]).filter(n => n.kind === 'group').map(n => [view.getTreeItem(n).label, view.getTreeItem(n).description]);
    // this folder's agents: every one the suite wrote so far (vscode-agent among them)
    assert.strictEqual(selfGroups[0][0], 'Agents');
    assert.ok(Number(selfGroups[0][1]) >= 1, String(selfGroups[0][1]));
    const selfAgents = view.getChildren(view.getChildren(origins[0]).find(n => n.kind === 'group')!).map(n => String(view.getTreeItem(n).label));
    assert.ok(selfAgents.includes('vscode-agent'), selfAgents.join(', '));
    assert.deepStrictEqual(selfAgents, [...selfAgents].sort((a, b) => a.localeCompare(b)), 'agents by name');
    assert.ok(view.getChildren(otherNode).some(n => n.kind === 'group' && view.getTreeItem(n).label === 'Decisions'));
    // the order does not move with refreshes (the database lists origins by when each was seen)
    for (let i = 0; i < 3; i++) {
      view.update(ChangeBatch.everything());
      await view.whenIdle();
      assert.deepStrictEqual(view.getChildren().filter(n => n.kind === 'origin').map(n => String(view.getTreeItem(n).label)), items.map(it => String(it.label)));
    }

    const team = JSON.parse((await call('/team')).text);
    assert.strictEqual(team.connected, true);
    assert.strictEqual(team.origins.length, 2);
    const decisions = JSON.parse((await call('/decisions?scope=team')).text).decisions as { decision: string; origin: string }[];
    assert.ok(decisions.some(d => d.decision === 'from the other machine' && d.origin !== team.origin.id));

    // The password lives in SecretStorage only.
    const settingsFile = path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, '.vscode', 'settings.json');
    const settings = fs.readFileSync(settingsFile, 'utf8');
    assert.match(settings, /"jarvis\.team\.project": "vscode-team"/);
    for (const s of [PG_PASSWORD, encodeURIComponent(PG_PASSWORD)]) {
      assert.ok(!settings.includes(s), 'settings.json holds the password');
      assert.ok(!JSON.stringify(team).includes(s), 'GET /team shows the password');
    }
  });

  it('the other machine crashes: its report opens read-only from the Team view; silent past jarvis.staleAgentMinutes it is lost, its tasks under it', async function () {
    this.timeout(180_000);
    const view = (api.testing as unknown as { team: TeamView }).team;
    const pages = (api.testing as unknown as { pages: Pages }).pages;
    const refreshed = async (): Promise<void> => {
      view.update(ChangeBatch.everything());
      await view.whenIdle();
    };
    const otherNode = (): TeamNodeOf<typeof view> | undefined => view.getChildren().find(n => n.kind === 'origin' && !String(view.getTreeItem(n).label).endsWith('(this folder)'));
    // 12 s: the folder's staleness threshold, which judges the other origins too.
    await vscode.workspace.getConfiguration('jarvis').update('staleAgentMinutes', 0.2, W);
    const put = await fetch(`${ep.url}/tasks/other-task`, {
      method: 'PUT', headers: { Authorization: `Bearer ${ep.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ description: 'left half done', status: 'in_progress', percentage: 50 }),
    });
    assert.strictEqual(put.status, 200);
    await killOther();
    await startOther();

    const reportNode = await waitFor(async () => {
      await refreshed();
      const o = otherNode();
      return o && /recovered from a crash \d\d:\d\d:\d\d/.test(String(view.getTreeItem(o).description))
        ? view.getChildren(o).find(n => n.kind === 'report') : undefined;
    }, 'the crash on the other origin', 30_000);
    const item = view.getTreeItem(reportNode);
    assert.strictEqual(item.label, 'Recovered from a crash');
    assert.match(String(item.description), /1 incomplete task$/);
    await vscode.commands.executeCommand(item.command!.command, ...(item.command!.arguments ?? []));
    const page = await waitFor(() => pages.open.reports.find(p => / · /.test(p.panel.title)), 'the other machine\'s report page');
    const r = await page.whenRendered();
    assert.strictEqual(r.title, 'Recovered from a crash');
    assert.deepStrictEqual(r.actions, ['copyMarkdown'], 'only Copy as Markdown acts on another machine\'s report');
    assert.ok(r.text.includes('Read-only here') && r.text.includes('left half done'), r.text.slice(0, 1500));
    page.panel.dispose();

    await killOther();
    other = undefined;
    const lost = await waitFor(async () => {
      await refreshed();
      const o = otherNode();
      return o && /lost, seen/.test(String(view.getTreeItem(o).description)) ? o : undefined;
    }, 'the other origin lost', 60_000);
    const lostItem = view.getTreeItem(lost);
    assert.strictEqual(lostItem.collapsibleState, vscode.TreeItemCollapsibleState.Expanded, 'a lost origin opens by itself');
    assert.ok(rowsUnder(view, lost).some(n => n.kind === 'task' && view.getTreeItem(n).label === 'left half done'), 'its unfinished task under it');
    const tasksGroup = view.getChildren(lost).find(n => n.kind === 'group' && view.getTreeItem(n).label === 'Unfinished tasks')!;
    assert.strictEqual(view.getTreeItem(tasksGroup).collapsibleState, vscode.TreeItemCollapsibleState.Expanded, 'its unfinished tasks open with it');
    // This folder is never lost.
    const self = view.getChildren().find(n => n.kind === 'origin' && String(view.getTreeItem(n).label).endsWith('(this folder)'))!;
    assert.doesNotMatch(String(view.getTreeItem(self).description), /lost/);

    // The Team view alone in the panel for the picture; the others come back after it.
    await closeAllEditors();
    const others = VIEW_CONTAINERS[PANEL_CONTAINER].filter(v => v !== VIEWS.team);
    await vscode.commands.executeCommand(`workbench.view.extension.${PANEL_CONTAINER}`);
    for (const v of others) await vscode.commands.executeCommand(`${v}.toggleVisibility`);
    await vscode.commands.executeCommand(`${VIEWS.team}.focus`);
    await refreshed();
    await new Promise(r => setTimeout(r, 500));
    const png = await screenshot('team').finally(async () => {
      for (const v of others) await vscode.commands.executeCommand(`${v}.toggleVisibility`);
    });
    if (png) assert.ok(fs.statSync(png).size > 10_000, 'screenshot too small');
  });
});
