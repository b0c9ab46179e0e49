// The persistence engine's public surface: everything outside src/core imports from here.
export * from './types';
export * from './errors';
export * from './config';
export * from './ports';
export type { ContextEngineApi, Disposable } from './engineApi';
export { ContextEngine, DB_FILE, JOURNAL_FILE, CHECKPOINT_DIR, ARCHIVE_DIR } from './engine';
export { MARKER_FILE } from './crashMarker';
export { nodeFileSystem } from './nodeFs';
export { readWasmBinary } from './wasm';
export { canonicalJson } from './canonicalJson';
export { renderRecoveryReport } from './reportMarkdown';
export { ingestSpool, SPOOL_FILE, type SpoolResult } from './spool';
export * as validate from './validate';
export { ALERT_DEFAULTS, ALERT_ENV, resolveAlertSettings, alertSettingsFromEnv, type AlertSettings } from './alertSettings';
