import * as vscode from 'vscode';
import type { ContextEngineApi } from '../core/engineApi';
import type { RecoveryReport } from '../core/types';
import { reportBase } from '../documentUris';
import { canonicalJson } from '../format';
import { Disposable } from '../host/lifecycle';
import { channelValues } from '../langgraphText';
import type { Sessions } from '../host/sessions';

/**
 * The read-only documents on the `jarvis-context:` scheme (their addresses: documentUris.ts).
 * Status and metrics are a live page now (views/pages); these documents never change once written.
 */
export class JarvisDocuments extends Disposable implements vscode.TextDocumentContentProvider {
  constructor(private readonly sessions: Sessions) {
    super();
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const session = this.sessions.all.find(s => s.key === uri.authority);
    if (!session) return `// This document belongs to a workspace folder that is no longer open (${uri.toString()}).\n`;
    const engine = session.requireEngine();
    const p = uri.path;
    let m: RegExpExecArray | null;
    if ((m = /^\/checkpoints\/(\d+)(?:\/[^/]*)?\.json$/.exec(p))) {
      const snap = await engine.getCheckpointSnapshot(Number(m[1]));
      if (!snap) throw new Error(`checkpoint ${m[1]} not found (removed by a clean-up?)`);
      return canonicalJson(snap);
    }
    if ((m = /^\/decisions\/(\d+)(?:\/[^/]*)?\.json$/.exec(p))) {
      const d = await engine.getDecision(Number(m[1]));
      if (!d) throw new Error(`decision ${m[1]} not found`);
      return canonicalJson(d);
    }
    if ((m = /^\/langgraph\/=([^/]*)\/=([^/]*)\/([^/]+?)(?:\/[^/]*)?\.json$/.exec(p))) {
      const [thread, ns, id] = [m[1], m[2], m[3]].map(decodeURIComponent);
      const t = engine.langgraph.getTuple(thread, ns, id, true);
      if (!t) throw new Error(`LangGraph checkpoint ${id} of thread ${thread} not found (deleted or pruned?)`);
      return canonicalJson(channelValues(t).values);
    }
    if ((m = /^\/recovery\/(.+)\.(md|json)$/.exec(p))) {
      const report = await findReport(engine, m[1]);
      if (!report) throw new Error(`recovery report ${m[1]} not found`);
      return m[2] === 'md' ? engine.renderRecoveryReport(report) : canonicalJson(report);
    }
    throw new Error(`unknown Jarvis Context document ${uri.toString()}`);
  }
}

async function findReport(engine: ContextEngineApi, base: string): Promise<RecoveryReport | undefined> {
  if (base === 'latest') return engine.getLatestRecoveryReport();
  if (engine.recoveryReport && reportBase(engine.recoveryReport) === base) return engine.recoveryReport;
  return (await engine.listRecoveryReports(10)).find(r => reportBase(r) === base);
}
