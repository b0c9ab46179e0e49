// `npm run test:electron`: the same suites through @vscode/test-electron, for machines with
// internet access (it downloads VS Code desktop). CI here uses run.sh (code-server) instead.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runTests } from '@vscode/test-electron';

async function main(): Promise<void> {
  const root = path.resolve(__dirname, '../../..');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'jarvis-electron-'));
  const workspace = path.join(work, 'workspace');
  fs.mkdirSync(workspace);
  fs.writeFileSync(path.join(workspace, 'orchestrator.py'), '# orchestrator under development\n');
  try {
    await runTests({
      extensionDevelopmentPath: root,
      extensionTestsPath: path.join(root, 'out/test/integration/suite/index.js'),
      launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--user-data-dir', path.join(work, 'udd')],
      extensionTestsEnv: { HARNESS_OUT: path.join(work, 'out') },
    });
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch(err => {
  process.stderr.write(`integration tests failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
