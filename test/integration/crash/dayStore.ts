// The day-sized store of the activation figures: built by bench/crashedDay.js (a busy day's tasks
// with a recovery point at every step, a history of 100k events, 10k records only in the journal,
// then a SIGKILL) into this folder's storage, for the next phases to open.
import { spawn } from 'child_process';
import * as path from 'path';
import * as vscode from 'vscode';
import { EXTENSION_ID } from '../harness';

export const DAY = { events: 100_000, tasks: 300, journalRecords: 10_000 };

export function buildCrashedDay(folder: string): Promise<void> {
  const root = vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'out', 'bench', 'crashedDay.js'), folder, String(DAY.events), String(DAY.tasks), String(DAY.journalRecords)], {
      stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    });
    let err = '';
    child.stderr.on('data', d => (err += d));
    child.on('error', reject);
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`crashedDay ended with ${signal ?? code}: ${err}`))));
  });
}
