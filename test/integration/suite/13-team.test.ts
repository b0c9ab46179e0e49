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
import { COMMANDS } from '../../../src/ids';
import type { TeamView } from '../../../src/views/teamView';
import { PG_PASSWORD, startPg, type PgServer } from '../../unit/support/pgServer';
import { findCli } from '../../unit/support/serveProcess';
import { activate, type TestApi, waitFor } from '../harness';

const W = vscode.ConfigurationTarget.Workspace;

describe('team mode in VS Code', function () {
  this.timeout(120_000);
  let api: TestApi;
  let pg: PgServer | undefined;
  let other: ChildProcess | undefined;

  before(async function () {
    api = await activate();
    pg = await startPg();
  });

  after(async function () {
    await vscode.commands.executeCommand(COMMANDS.disconnectTeamDatabase);
    await vscode.workspace.getConfiguration('jarvis').update('team.project', undefined, W);
    await waitFor(() => {
      const s = api.testing.sessions.current!;
      return s.state === 'ready' && s.server && !s.team;
    }, 'team mode off again', 30_000);
    other?.kill('SIGTERM');
    pg?.stop();
  });

  it('Connect Team Database… replicates the folder; the Team view and GET /team show it beside another machine', async function () {
    const url = await pg!.createDatabase('vscode');
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
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'jarvis-team-other-'));
    other = spawn(process.execPath, [findCli(), 'serve', '--path', folder, '--port', '0', '--database-url', url, '--project', 'vscode-team'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    other.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const otherUrl = await waitFor(() => /listening on (\S+)/.exec(out)?.[1], 'the other server listening');
    const token = JSON.parse(fs.readFileSync(path.join(folder, 'endpoint.json'), 'utf8')).token as string;
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
    assert.ok(items.some(i => String(i.label).endsWith('(this folder)')), 'this folder is labelled');
    assert.ok(items.every(i => /seen /.test(String(i.description))), 'each origin says when it was seen');
    const otherNode = origins.find(o => !String(view.getTreeItem(o).label).endsWith('(this folder)'))!;
    await waitFor(async () => {
      view.update(ChangeBatch.everything());
      await view.whenIdle();
      return view.getChildren(otherNode).some(n => n.kind === 'decision' && view.getTreeItem(n).label === 'from the other machine');
    }, "the other machine's decision under its origin", 15_000);

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
});
