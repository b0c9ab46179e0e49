// Status and metrics as a page: figures rounded for reading, sizes in KB/MB, counts in cards.
// No vscode import (unit-tested in plain Node).
import type { EngineMetrics, EngineStatus } from '../../core/types';
import type { StoreHolder } from '../../host/session';
import { ago, shortTime } from '../../format';
import { button, html, joinHtml, type SafeHtml } from './html';

export const STATUS_ACTIONS = { createCheckpoint: 'createCheckpoint', copyServerInfo: 'copyServerInfo', openStorageFolder: 'openStorageFolder', showLog: 'showLog' } as const;

/** 1,536 → "1.5 KB", 40,560,120 → "38.7 MB". */
export function bytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '—';
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${v < 10 ? v.toFixed(1) : Math.round(v).toLocaleString('en-US')} ${units[i]}`;
}

/** Milliseconds for reading: "0.42 ms", "3.1 ms", "41 ms", "2.3 s". */
export function millis(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}

/** A rate or count for reading: integers with separators, small fractions with one decimal. */
export function figure(n: number): string {
  if (!Number.isFinite(n)) return '—';
  if (Number.isInteger(n) || Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US');
  return n.toFixed(1);
}

export interface StatusPageData {
  folderName: string;
  status: EngineStatus;
  metrics: EngineMetrics;
  serverUrl: string | null;
  /** Who holds the store: this window, or the server the window attached to. */
  holder: StoreHolder;
  /** The checkpoints the Checkpoints view lists, and the newest of them. */
  checkpoints: { count: number; newest: { title: string; created_at: string } | null };
}

/** "opened by VS Code", or "attached to the server at URL (pid N, jarvis-context serve)". */
export function holderText(h: StoreHolder): string {
  return h.kind === 'own' ? 'opened by VS Code' : `attached to the server at ${h.url} (pid ${h.pid}${h.holder ? `, ${h.holder}` : ''})`;
}

export function statusTitle(folderName: string): string {
  return `Jarvis Context Status — ${folderName}`;
}

export function renderStatusBody(d: StatusPageData, now?: number): SafeHtml {
  const s = d.status;
  const m = d.metrics;
  const out: SafeHtml[] = [];
  out.push(html`<h1>Jarvis Context — ${d.folderName}</h1>`);
  const ok = s.persistence === 'ok';
  const recording = ok ? '● Recording: every write reaches the disk as it happens' : `● Not saving: ${s.persistence_error ?? 'unknown error'} (writes are still journaled)`;
  out.push(html`<p class="sub"><span class="${ok ? 'ok' : 'bad'}">${recording}</span> · running since ${shortTime(s.started_at, now)}${s.recovered_from_crash ? html` · <span class="warn">recovered from a crash</span>` : ''}</p>`);
  out.push(html`<p class="sub">Store ${holderText(d.holder)}: <code>${s.storage_path}</code></p>`);
  out.push(html`<div class="toolbar">${[
    button(STATUS_ACTIONS.createCheckpoint, 'Create Checkpoint'),
    d.serverUrl ? button(STATUS_ACTIONS.copyServerInfo, 'Copy Server URL and Token', { secondary: true }) : '',
    button(STATUS_ACTIONS.openStorageFolder, 'Open Storage Folder', { secondary: true }),
    button(STATUS_ACTIONS.showLog, 'Show Log', { secondary: true }),
  ]}</div>`);

  const card = (n: number, word: string): SafeHtml => html`<div class="card"><div class="value">${figure(n)}</div><div class="label">${n === 1 ? word : word + 's'}</div></div>`;
  out.push(html`<h2>What is recorded</h2><div class="cards">${[card(s.counts.agents, 'agent'), card(s.counts.tasks, 'task'), card(s.counts.decisions, 'decision'),
    card(s.counts.messages, 'message'), card(d.checkpoints.count, 'checkpoint')]}</div>`);

  const n = d.checkpoints.newest;
  out.push(html`<h2>Checkpoints</h2><dl class="facts">
<dt>Newest</dt><dd>${n ? `${n.title}, ${shortTime(n.created_at, now)} (${ago(n.created_at, now)})` : html`<span class="muted">none yet</span>`}</dd>
<dt>Taken this run</dt><dd>${figure(m.checkpoint.count)}, ${figure(m.dedup_hits)} of them with nothing new to store</dd>
${m.checkpoint.count ? html`<dt>Time per checkpoint</dt><dd>${millis(m.checkpoint.avg_ms)} on average, ${millis(m.checkpoint.p95_ms)} at the 95th percentile, last ${millis(m.checkpoint.last_ms)}</dd>` : ''}
<dt>Snapshots</dt><dd>${figure(m.snapshot_rates.hourly)} an hour, ${figure(m.snapshot_rates.daily)} a day</dd>
${m.recovery.last_ms !== null ? html`<dt>Last recovery</dt><dd>${millis(m.recovery.last_ms)}</dd>` : ''}
</dl>`);

  const st = m.storage_bytes;
  out.push(html`<h2>Storage</h2><dl class="facts">
<dt>Folder</dt><dd><code>${s.storage_path}</code></dd>
<dt>Held</dt><dd>${holderText(d.holder)}</dd>
<dt>On disk</dt><dd>${bytes(st.total)}: database ${bytes(st.database)}, journal ${bytes(st.journal)}, images ${bytes(st.images)}, archive ${bytes(st.archive)}</dd>
<dt>Growth</dt><dd>${figure(m.storage.growth_rate_mb_per_day)} MB a day</dd>
<dt>Memory</dt><dd>${bytes(m.memory_bytes)}</dd>
</dl>`);

  out.push(html`<h2>Activity</h2><dl class="facts">
<dt>Writes recorded</dt><dd>${figure(m.events_total)}</dd>
<dt>Messages</dt><dd>${figure(m.activity.messages_per_hour)} an hour</dd>
<dt>Decisions</dt><dd>${figure(m.activity.decisions_per_hour)} an hour</dd>
<dt>Compactions</dt><dd>${m.compaction.count ? `${figure(m.compaction.count)}, last ${millis(m.compaction.last_ms)}` : html`<span class="muted">none yet</span>`}</dd>
</dl>`);

  out.push(html`<h2>Server</h2><dl class="facts">
<dt>REST API</dt><dd>${d.serverUrl ? html`<code>${d.serverUrl}</code>` : html`<span class="muted">not running</span>`}</dd>
</dl>`);
  return joinHtml(out, '\n');
}
