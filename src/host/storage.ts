import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { DEFAULTS } from '../core/config';
import * as vscode from 'vscode';
import type { JarvisConfig } from './config';

/**
 * The storage folder of one workspace folder's engine: `jarvis.contextPath` when set (relative to
 * the folder); else the store `jarvis-context serve` sets up when the folder has one
 * (`memory/context/jarvis`), so VS Code shows what the CLI and the clients record; else the
 * extension's workspace storage, where in a multi-root workspace each folder gets its own
 * sub-folder so two engines never share one folder.
 */
export function storageFolderFor(
  storageUri: vscode.Uri | undefined,
  folder: vscode.WorkspaceFolder,
  folderCount: number,
  config: JarvisConfig,
): string | undefined {
  if (config.contextPath) {
    const expanded = config.contextPath.replace(/^~(?=$|[\\/])/, process.env.HOME ?? '~');
    return path.resolve(folder.uri.fsPath, expanded);
  }
  // A cloned repository's store is read only once the workspace is trusted, as its settings are.
  const cliStore = vscode.workspace.isTrusted ? cliStoreIn(folder) : undefined;
  if (cliStore) return cliStore;
  if (!storageUri || storageUri.scheme !== 'file') return undefined;
  if (folderCount <= 1) return storageUri.fsPath;
  const hash = crypto.createHash('sha256').update(folder.uri.toString()).digest('hex').slice(0, 8);
  const safe = folder.name.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 40);
  return path.join(storageUri.fsPath, `${safe}-${hash}`);
}

/** The CLI's default store, relative to the folder it runs in. */
export const CLI_STORE = path.posix.normalize(DEFAULTS.cliContextPath);

/** The CLI's default store (`./memory/context/jarvis` run from the folder) when the folder holds one. */
export function cliStoreIn(folder: vscode.WorkspaceFolder): string | undefined {
  if (folder.uri.scheme !== 'file') return undefined;
  const store = path.resolve(folder.uri.fsPath, CLI_STORE);
  try {
    return fs.statSync(store).isDirectory() ? store : undefined;
  } catch {
    return undefined;
  }
}
