import * as crypto from 'crypto';
import * as path from 'path';
import * as vscode from 'vscode';
import type { JarvisConfig } from './config';

/**
 * The storage folder of one workspace folder's engine: `jarvis.contextPath` when set (relative to
 * the folder), else the extension's workspace storage; in a multi-root workspace each folder gets
 * its own sub-folder there so two engines never share one folder.
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
  if (!storageUri || storageUri.scheme !== 'file') return undefined;
  if (folderCount <= 1) return storageUri.fsPath;
  const hash = crypto.createHash('sha256').update(folder.uri.toString()).digest('hex').slice(0, 8);
  const safe = folder.name.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 40);
  return path.join(storageUri.fsPath, `${safe}-${hash}`);
}
