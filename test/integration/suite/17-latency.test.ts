// The workbench figures of the README: how long a write acknowledged over REST takes to be drawn in
// the views, and a loop's fifth repetition to be shown as an alert (notification and Alerts row).
// Timings are printed as FIGURE lines, not asserted; every write must become visible.
import * as assert from 'assert';
import Mocha = require('mocha');
import type * as vscode from 'vscode';
import { activate, rest, type TestApi } from '../harness';

/** Milliseconds from `t0` until `check` holds, looked at on every `events` fire and every few ms. */
function timeUntil(t0: number, check: () => boolean, events: vscode.Event<unknown>[], what: string, timeoutMs = 15_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const subs: vscode.Disposable[] = [];
    let poll: NodeJS.Timeout | undefined;
    const done = (err?: Error) => {
      subs.forEach(s => s.dispose());
      clearTimeout(poll);
      if (err) reject(err);
      else resolve(performance.now() - t0);
    };
    const look = () => {
      try {
        if (check()) return done();
      } catch { /* not drawn yet */ }
      if (performance.now() - t0 > timeoutMs) return done(new Error(`timed out waiting for ${what}`));
      poll = setTimeout(look, 5);
    };
    for (const e of events) subs.push(e(() => { try { if (check()) done(); } catch { /* not yet */ } }));
    look();
  });
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * q) - 1)];
}
const p95 = (values: number[]) => quantile(values, 0.95);
/** Into the spec output (mocha.log), where the run's figures are read. */
const print = (line: string) => (Mocha.reporters.Base as unknown as { consoleLog: (s: string) => void }).consoleLog(line);
const fmt = (values: number[]) => `p50 ${Math.round(quantile(values, 0.5))} ms, p95 ${Math.round(p95(values))} ms, max ${Math.round(Math.max(...values))} ms`;

describe('latency: write to view, loop to alert', function () {
  let api: TestApi;
  this.timeout(180_000);

  // Meanwhile an agent chats 20 times a second, as the example's do: the steady stream of ordinary
  // writes that batching exists for, and that must not hold urgent changes back.
  let chatting = true;
  let chatter: Promise<number> = Promise.resolve(0);
  // The extension host's CPU meanwhile (it serves the REST API too): what repainting more often costs.
  let cpu0 = process.cpuUsage();
  let wall0 = performance.now();

  before(async function () {
    api = await activate();
    cpu0 = process.cpuUsage();
    wall0 = performance.now();
    chatter = (async () => {
      let n = 0;
      while (chatting) {
        await rest(api, 'POST', '/messages', { from_agent: 'latency-chatter', to_agent: 'planner', message_type: 'status', content: `tick ${n++}` });
        await new Promise(r => setTimeout(r, 50));
      }
      return n;
    })();
  });

  after(async function () {
    chatting = false;
    const n = await chatter;
    const cpu = process.cpuUsage(cpu0);
    const wall = performance.now() - wall0;
    print(`  (meanwhile ${n} chat messages; extension host CPU ${Math.round(((cpu.user + cpu.system) / 1000 / wall) * 100)}% of a core over ${(wall / 1000).toFixed(1)} s)`);
  });

  it('40 task updates over REST are each drawn in the Tasks view', async function () {
    const tasks = api.testing.views.tasks;
    const times: number[] = [];
    for (let i = 0; i < 40; i++) {
      const text = `latency probe step ${i}`;
      const r = await rest(api, 'PUT', '/tasks/latency-probe', { description: text, status: 'in_progress', percentage: i + 1 });
      const acked = performance.now();
      assert.strictEqual(r.status, 200);
      times.push(await timeUntil(acked, () => tasks.describe('latency-probe')?.tooltip.includes(text) ?? false,
        [tasks.onDidChangeTreeData], `write ${i} drawn`));
      // An orchestrator reports a step every so often, not back to back.
      await new Promise(r => setTimeout(r, 150));
    }
    print(`FIGURE write_visible_p95_ms=${Math.round(p95(times))}`);
    print(`  write → visible: ${fmt(times)} (n=${times.length})`);
  });

  it('10 loops over REST: the fifth repetition is notified and listed', async function () {
    const { view, notifications } = api.testing.alerts;
    const notifiedAt: number[] = [];
    const listedAt: number[] = [];
    const run = Date.now().toString(36);
    for (let i = 0; i < 10; i++) {
      const agent = `latency-looper-${run}-${i}`;
      const before = notifications.notified.length;
      let acked = 0;
      for (let k = 0; k < 5; k++) {
        const r = await rest(api, 'POST', '/messages', {
          from_agent: agent, to_agent: 'tool:web_search', message_type: 'tool_call',
          content: { tool_name: 'web_search', arguments: { query: `latency ${i}` }, tool_call_id: `call_${k}` },
        });
        assert.strictEqual(r.status, 201);
        acked = performance.now();
      }
      const [notified, listed] = await Promise.all([
        timeUntil(acked, () => notifications.notified.slice(before).some(a => a.subject.id === agent), [], `the notification of loop ${i}`),
        timeUntil(acked, () => view.visibleAlerts().some(a => a.active && a.label === `Loop: ${agent}`), [view.onDidChangeTreeData], `the Alerts row of loop ${i}`),
      ]);
      notifiedAt.push(notified);
      listedAt.push(listed);
      const alerts = (await rest(api, 'GET', '/alerts?active=true')).json.alerts as { id: number; subject: { id: string } }[];
      for (const a of alerts.filter(a => a.subject.id === agent)) await rest(api, 'POST', `/alerts/${a.id}/dismiss`);
    }
    const both = notifiedAt.map((n, i) => Math.max(n, listedAt[i]));
    print(`FIGURE alert_visible_p95_ms=${Math.round(p95(both))}`);
    print(`  loop → notification: ${fmt(notifiedAt)}; → Alerts row: ${fmt(listedAt)} (n=${both.length})`);
  });
});
