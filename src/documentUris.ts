// Where Jarvis Context's read-only documents live, and opening them. Views, commands and the crash
// notification all open documents; the providers that fill them are views/documents.ts and the
// span documents of views/tracesView.ts.
import * as vscode from 'vscode';
import type { RecoveryReport, Span } from './core/types';
import type { WorkspaceSession } from './host/session';

export const SCHEME = 'jarvis-context';
export const SPAN_SCHEME = 'jarvis-span';

/** What the Traces view hands the "Open Span" command. */
export type SpanRef = Pick<Span, 'trace_id' | 'span_id' | 'name'>;

/**
 * The authority is the session key, the path names the record, so an editor stays bound to its
 * workspace folder:
 *   jarvis-context: /checkpoints/<id>.json   /decisions/<id>.json   /status.json   /metrics.json
 *                   /recovery/<report file base>.md | .json   (`latest` = the newest report)
 *   jarvis-span:    /<trace id>/<span id>.json
 */
export const uris = {
  checkpoint: (s: WorkspaceSession, id: number, label?: string) =>
    vscode.Uri.from({ scheme: SCHEME, authority: s.key, path: `/checkpoints/${id}.json`, query: label ? `label=${encodeURIComponent(label)}` : '' }),
  decision: (s: WorkspaceSession, id: number) => vscode.Uri.from({ scheme: SCHEME, authority: s.key, path: `/decisions/${id}.json` }),
  status: (s: WorkspaceSession) => vscode.Uri.from({ scheme: SCHEME, authority: s.key, path: '/status.json' }),
  metrics: (s: WorkspaceSession) => vscode.Uri.from({ scheme: SCHEME, authority: s.key, path: '/metrics.json' }),
  report: (s: WorkspaceSession, report: RecoveryReport, ext: 'md' | 'json') =>
    vscode.Uri.from({ scheme: SCHEME, authority: s.key, path: `/recovery/${reportBase(report)}.${ext}` }),
  span: (s: WorkspaceSession, span: SpanRef) =>
    vscode.Uri.from({ scheme: SPAN_SCHEME, authority: s.key, path: `/${span.trace_id}/${span.span_id}.json`, query: `name=${encodeURIComponent(span.name)}` }),
};

export function reportBase(report: RecoveryReport): string {
  const name = report.file.split(/[\\/]/).pop() ?? report.file;
  return name.replace(/\.(json|md)$/, '') || 'latest';
}

export async function showDocument(uri: vscode.Uri, options: vscode.TextDocumentShowOptions = {}): Promise<vscode.TextEditor> {
  const doc = await vscode.workspace.openTextDocument(uri);
  return vscode.window.showTextDocument(doc, { preview: false, ...options });
}

/** Opens a report as its Markdown rendering (the JSON is one click away in the editor title). */
export async function openReport(session: WorkspaceSession, report: RecoveryReport): Promise<vscode.Uri> {
  const editor = await showDocument(uris.report(session, report, 'md'));
  return editor.document.uri;
}
