import * as assert from 'assert';
import * as fs from 'fs';
import * as vscode from 'vscode';
import { activate, closeAllEditors, rest, screenshot, type TestApi, waitFor } from '../harness';

// A loop driven over REST, as an orchestrator would: the Alerts view, the notification, the status
// bar, the link to the agent, and dismissing it from the view.
describe('alerts: a looping agent', function () {
  let api: TestApi;

  before(async function () {
    api = await activate();
    // Earlier suites leave busy agents behind; start from no active alert.
    for (const a of (await rest(api, 'GET', '/alerts?active=true')).json.alerts) await rest(api, 'POST', `/alerts/${a.id}/dismiss`);
  });

  after(async function () {
    await vscode.workspace.getConfiguration('jarvis').update('alerts.notifications', undefined, vscode.ConfigurationTarget.Workspace);
  });

  const engine = () => api.testing.sessions.current!.engine!;
  const activeNow = () => engine().getAlerts({ active: true }).length;

  it('five identical tool calls raise one alert: view, notification with Show, warning status bar; dismiss clears it', async function () {
    const { view, notifications } = api.testing.alerts;
    const bar = api.testing.statusBar;
    assert.strictEqual((await rest(api, 'PUT', '/agents/researcher', { status: 'busy', current_task: 'find-sources' })).status, 200);
    const notifiedBefore = notifications.notified.length;
    for (let i = 0; i < 5; i++) {
      const r = await rest(api, 'POST', '/messages', {
        from_agent: 'researcher', to_agent: 'tool:web_search', message_type: 'tool_call',
        content: { tool_name: 'web_search', arguments: { query: 'agent loop detection' }, tool_call_id: `call_${i}` },
      });
      assert.strictEqual(r.status, 201);
    }
    const listed = await rest(api, 'GET', '/alerts?active=true');
    const alert = listed.json.alerts.find((a: { subject: { id: string } }) => a.subject.id === 'researcher');
    assert.ok(alert, JSON.stringify(listed.json));
    assert.strictEqual(alert.kind, 'loop');

    const row = await waitFor(() => view.visibleAlerts().find(a => a.id === alert.id), 'the alert in the Alerts view');
    assert.strictEqual(row.label, 'Loop: researcher');
    assert.match(row.description, /^5× · (just now|\d+ s ago)$/);
    assert.strictEqual(row.active, true);
    await waitFor(() => notifications.notified.slice(notifiedBefore).some(a => a.id === alert.id), 'one notification');
    // Counted from this test on: an earlier store of this window may have used the same id.
    assert.strictEqual(notifications.notified.slice(notifiedBefore).filter(a => a.id === alert.id).length, 1);
    await waitFor(() => bar.activeAlerts === activeNow() && bar.activeAlerts > 0, 'the status bar counts it');
    assert.strictEqual(bar.warning, true);
    // the count on the panel tab and, through the Agents view, on the activity bar icon
    await waitFor(() => api.testing.alerts.tree.badge?.value === activeNow(), 'the badge counts the active alerts');
    assert.deepStrictEqual(view.badges, [activeNow(), activeNow()], 'the Alerts view and the Agents view (the activity bar icon) count them');
    assert.match(api.testing.alerts.tree.badge!.tooltip, /^\d+ active alerts?$/);
    assert.match(bar.text, /^\$\(warning\) Jarvis: \d+ alerts?$/);
    assert.match(bar.tooltipText, /researcher sent the same tool\\_call to tool:web\\_search 5 times/);

    // More repetitions: the same alert counts them, no second notification.
    for (let i = 5; i < 8; i++) {
      await rest(api, 'POST', '/messages', { from_agent: 'researcher', to_agent: 'tool:web_search', message_type: 'tool_call', content: { tool_name: 'web_search', arguments: { query: 'agent loop detection' }, tool_call_id: `call_${i}` } });
    }
    await vscode.commands.executeCommand('jarvis.refresh');
    await waitFor(() => view.visibleAlerts().find(a => a.id === alert.id)?.description.startsWith('8×'), 'the count follows');
    assert.strictEqual(notifications.notified.slice(notifiedBefore).filter(a => a.id === alert.id).length, 1);

    // The subject links to its agent.
    const subject = await vscode.commands.executeCommand('jarvis.showAlertSubject', view.nodeOf(alert.id));
    assert.deepStrictEqual(subject, { type: 'agent', id: 'researcher' });

    await closeAllEditors();
    await vscode.commands.executeCommand('workbench.action.closePanel');
    await vscode.commands.executeCommand('jarvis.showAlerts');
    await api.testing.alerts.tree.reveal(view.nodeOf(alert.id)!, { select: true, focus: false });
    const png = await screenshot('alerts');
    if (png) assert.ok(fs.statSync(png).size > 10_000, 'screenshot too small');

    assert.strictEqual(await vscode.commands.executeCommand('jarvis.dismissAlert', view.nodeOf(alert.id)), true);
    await waitFor(() => view.visibleAlerts().find(a => a.id === alert.id)?.active === false, 'shown as dismissed');
    assert.match(view.visibleAlerts().find(a => a.id === alert.id)!.description, /^dismissed (just now|\d+ s ago)$/);
    assert.strictEqual((await rest(api, 'GET', '/alerts?active=true')).json.alerts.some((a: { id: number }) => a.id === alert.id), false);
    await waitFor(() => bar.activeAlerts === activeNow(), 'the status bar follows');
    await waitFor(() => (api.testing.alerts.tree.badge?.value ?? 0) === activeNow(), 'the badge follows');
    assert.deepStrictEqual(view.badges.map(n => n ?? 0), [activeNow(), activeNow()]);
    assert.strictEqual(bar.warning, activeNow() > 0);
  });

  it('with jarvis.alerts.notifications off, a new loop shows in the view without a notification', async function () {
    await vscode.workspace.getConfiguration('jarvis').update('alerts.notifications', false, vscode.ConfigurationTarget.Workspace);
    const { view, notifications } = api.testing.alerts;
    const before = notifications.notified.length;
    for (let i = 0; i < 5; i++) {
      await rest(api, 'POST', '/messages', { from_agent: 'quiet-looper', to_agent: 'reviewer', message_type: 'request', content: 'please review again' });
    }
    await waitFor(() => view.visibleAlerts().find(a => a.label === 'Loop: quiet-looper' && a.active), 'the alert in the view');
    assert.strictEqual(notifications.notified.length, before);
  });
});
