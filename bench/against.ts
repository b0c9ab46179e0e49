// `npm run bench -- --against <ref> [--sections http,engine] [--rounds 3] [--threshold 0.1]`:
// builds <ref> in a temp folder, runs the chosen bench sections for it and for this tree,
// alternating, each run a fresh process, and fails when a figure got worse beyond its spread.
// The HTTP section runs this tree's client and bare-server baseline against the old build's
// `serve` (JARVIS_BENCH_CLI), so both sides are measured by the same harness; other sections run
// in-process and so use the old tree's own bench code (figures missing on one side are skipped).
// Exit status: 0 no figure worse, 1 some figure worse beyond its spread, 2 the comparison failed.
import { execFileSync, spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { compareRounds, flatten, formatVerdicts } from './compare';

const SECTION_KEYS: Record<string, string> = {
  busyday: 'busy_day', engine: 'engine', http: 'http', otel: 'otel', spool: 'spool_drain',
  alerts: 'alerts', search: 'search', team: 'team', timeline: 'timeline', langgraph: 'langgraph',
};

export interface AgainstOptions {
  ref: string;
  sections: string[];
  rounds: number;
  threshold: number;
  reuseNodeModules: boolean;
}

export function parseAgainstArgs(argv: string[]): AgainstOptions | undefined {
  const at = argv.indexOf('--against');
  if (at < 0) return undefined;
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const ref = argv[at + 1];
  if (!ref || ref.startsWith('--')) throw new Error('--against needs a git ref');
  const sections = (value('--sections') ?? 'http').split(',').map(s => s.trim()).filter(Boolean);
  for (const s of sections) if (!SECTION_KEYS[s]) throw new Error(`unknown section ${s} (${Object.keys(SECTION_KEYS).join(', ')})`);
  const rounds = Number(value('--rounds') ?? 3);
  const threshold = Number(value('--threshold') ?? 0.1);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds must be a positive integer');
  if (!(threshold > 0 && threshold < 1)) throw new Error('--threshold must be between 0 and 1 (0.1 = 10 %)');
  return { ref, sections, rounds, threshold, reuseNodeModules: argv.includes('--reuse-node-modules') };
}

const log = (s: string) => process.stderr.write(`[against] ${s}\n`);

function git(root: string, args: string[]): string {
  return execFileSync('git', args, { cwd: root, encoding: 'utf8', maxBuffer: 1 << 30 }).trim();
}

/** Every package the old lock pins is in this checkout's lock at the same version: its node_modules serves. */
function lockCovers(oldLock: string, newLock: string): boolean {
  if (oldLock === newLock) return true;
  try {
    const o = JSON.parse(oldLock).packages as Record<string, { version?: string }>;
    const n = JSON.parse(newLock).packages as Record<string, { version?: string }>;
    return Object.entries(o).every(([k, v]) => k === '' || n[k]?.version === v.version);
  } catch {
    return false;
  }
}

// The running child, so a signal ends it before the temp folder goes.
let current: ChildProcess | undefined;

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    // Its own process group: a signal takes down the bench and the `serve` it started.
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    current = child;
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-4000)));
    child.once('error', reject);
    child.once('close', (code, signal) => {
      current = undefined;
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.join(' ')} (in ${cwd}) failed (${code ?? signal}):\n${err}`));
    });
  });
}

/** Builds `ref` in `dir` (git archive, node_modules reused when the lock allows, else npm ci). */
async function buildRef(root: string, sha: string, dir: string, reuse: boolean): Promise<void> {
  execFileSync('bash', ['-c', 'git archive --format=tar "$0" | tar -x -C "$1"', sha, dir], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  const oldLock = fs.existsSync(path.join(dir, 'package-lock.json')) ? fs.readFileSync(path.join(dir, 'package-lock.json'), 'utf8') : '';
  const newLock = fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8');
  if (reuse || lockCovers(oldLock, newLock)) {
    fs.symlinkSync(fs.realpathSync(path.join(root, 'node_modules')), path.join(dir, 'node_modules'), 'dir');
  } else {
    log(`${sha.slice(0, 7)}: package-lock differs, npm ci there`);
    await run('npm', ['ci', '--no-audit', '--no-fund', '--ignore-scripts'], dir);
  }
  log(`building ${sha.slice(0, 7)}`);
  await run(process.execPath, ['esbuild.js'], dir);
}

/** One section in a fresh process; returns its flattened figures. */
async function benchOnce(benchJs: string, section: string, env: NodeJS.ProcessEnv): Promise<Record<string, number>> {
  const out = await run(process.execPath, ['--expose-gc', '--enable-source-maps', benchJs], path.dirname(path.dirname(path.dirname(benchJs))), { ...env, JARVIS_BENCH_ONLY: section });
  const json = JSON.parse(out.slice(out.indexOf('{'))) as Record<string, unknown>;
  return flatten(json[SECTION_KEYS[section]]);
}

export async function runAgainst(options: AgainstOptions): Promise<number> {
  // out/bench/against.js -> the checkout
  const root = path.resolve(__dirname, '..', '..');
  let sha: string;
  try {
    sha = git(root, ['rev-parse', '--verify', '--quiet', `${options.ref}^{commit}`]);
  } catch {
    throw new Error(`--against ${options.ref}: not a commit in ${root}`);
  }
  const head = git(root, ['rev-parse', '--short', 'HEAD']) + (git(root, ['status', '--porcelain', '--untracked-files=no']) ? '+changes' : '');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'jarvis-bench-against-'));
  const tmpdirBefore = process.env.TMPDIR;
  const cleanup = () => fs.rmSync(tmp, { recursive: true, force: true });
  const onSignal = () => {
    try { if (current?.pid) process.kill(-current.pid, 'SIGTERM'); } catch { /* already gone */ }
    cleanup();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const oldDir = path.join(tmp, 'tree');
    fs.mkdirSync(oldDir);
    // The benches' own temp folders land in ours, so a signal mid-run leaves nothing behind.
    const childTmp = path.join(tmp, 'tmp');
    fs.mkdirSync(childTmp);
    process.env.TMPDIR = childTmp;
    await buildRef(root, sha, oldDir, options.reuseNodeModules);
    const newBench = path.join(root, 'out', 'bench', 'bench.js');
    const oldBench = path.join(oldDir, 'out', 'bench', 'bench.js');
    const lines: string[] = [`bench ${head} (new) against ${options.ref} = ${sha.slice(0, 7)} (old): ${options.rounds} rounds, alternating, threshold ${Math.round(options.threshold * 100)} %`];
    const worse: string[] = [];
    for (const section of options.sections) {
      // HTTP: this tree's client against the old server; the rest: the old tree's own bench.
      const old = section === 'http'
        ? () => benchOnce(newBench, section, { JARVIS_BENCH_CLI: path.join(oldDir, 'dist', 'cli.js') })
        : () => benchOnce(oldBench, section, {});
      const cur = () => benchOnce(newBench, section, {});
      const olds: Record<string, number>[] = [];
      const news: Record<string, number>[] = [];
      for (let r = 0; r < options.rounds; r++) {
        // Alternate who goes first so a slow patch of the machine hits both sides.
        log(`${section}: round ${r + 1}/${options.rounds}`);
        if (r % 2 === 0) { olds.push(await old()); news.push(await cur()); } else { news.push(await cur()); olds.push(await old()); }
      }
      const verdicts = compareRounds(olds, news, options.threshold);
      lines.push('', `[${section}]`, formatVerdicts(verdicts, options.threshold));
      for (const v of verdicts) if (v.regressed) worse.push(`${section}: ${v.figure} ${v.median.toFixed(2)}x [${v.min.toFixed(2)}–${v.max.toFixed(2)}]`);
    }
    lines.push('', worse.length ? `WORSE beyond spread by > ${Math.round(options.threshold * 100)} %:\n  ${worse.join('\n  ')}` : 'no figure worse beyond its spread');
    process.stdout.write(lines.join('\n') + '\n');
    return worse.length ? 1 : 0;
  } finally {
    if (tmpdirBefore === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = tmpdirBefore;
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    cleanup();
  }
}
