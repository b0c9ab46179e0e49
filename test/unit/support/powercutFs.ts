import * as path from 'path';
import type { FileStat, FileSystemPort } from '../../../src/core/ports';

// An in-memory FileSystemPort that can lose power. Each file has durable bytes (on the platter)
// and volatile bytes (page cache); each folder has durable and volatile entries. fsync/fdatasync
// make a file's data durable, never its name; syncDir makes a folder's creates, renames and
// unlinks durable. At a cut, the surviving state is picked at random among those a power failure
// may leave, and the old instance refuses every later call (the process is dead).

export { mulberry32 } from './rng';
import { mulberry32 } from './rng';

export class Rng {
  private readonly next: () => number;
  constructor(readonly seed: number) {
    this.next = mulberry32(seed);
  }
  float(): number {
    return this.next();
  }
  /** 0 <= n < max */
  int(max: number): number {
    return Math.floor(this.next() * max);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
}

type DataOp = { k: 'write'; off: number; data: Uint8Array } | { k: 'truncate'; len: number };
type DirOp =
  | { k: 'link'; name: string; ino: number }
  | { k: 'unlink'; name: string }
  | { k: 'rename'; from: string; to: string; ino: number };

interface FileNode {
  type: 'file';
  ino: number;
  durable: Uint8Array;
  volatile: Uint8Array;
  /** Data ops since the last successful flush, in order; durable + pending = what a flush would leave. */
  pending: DataOp[];
  mtimeMs: number;
}

interface DirNode {
  type: 'dir';
  ino: number;
  durable: Map<string, number>;
  entries: Map<string, number>;
  pending: DirOp[];
}

type Node = FileNode | DirNode;

/** What survives a cut: every path with its bytes, folders as 'dir'. */
export type DiskState = Map<string, Uint8Array | 'dir'>;

export type SyncKind = 'fsync' | 'fdatasync' | 'syncDir';

/** Where in src/core a sync was called: the direct call (file:line) and the chain up to engine.ts. */
export interface SyncSite {
  kind: SyncKind;
  /** e.g. "fsync atomicFile.ts:15 writeFileAtomic" */
  direct: string;
  /** e.g. "fsync atomicFile.ts:15 writeFileAtomic <- engine.ts:470 compactNow" */
  chain: string;
}

export interface FaultPlan {
  /** Operation index (1-based, as counted by `opCount`) from which faults start. */
  from: number;
  /** How many eligible operations (write, fsync, fdatasync, ftruncate) fail from there. */
  count: number;
}

export interface PowercutOptions {
  rng: Rng;
  /** Folders that exist durably before the run (the storage folder's parents). */
  baseDirs?: string[];
  /** Initial durable files (a state from an earlier cut). */
  initial?: DiskState;
  /** The operation index at which power fails (that operation does not happen). */
  cutAt?: number;
  faults?: FaultPlan;
  /** Targeted faults: return an errno code to fail this operation (checked before `faults`). */
  failWhen?: (op: 'write' | SyncKind | 'ftruncate', path: string) => string | undefined;
  /** What of the unsynced data a failed fsync leaves on disk: a random part (default), all or none. */
  eioKeeps?: 'random' | 'all' | 'none';
  /** Probability that an operation first yields to the event loop, varying interleavings. */
  yieldChance?: number;
  /** Record call sites of syncs (costly: captures a source-mapped stack). */
  recordSites?: boolean;
  /** Sync call sites (direct or chain keys) that silently do nothing: the mutation under test. */
  mutate?: string;
}

export interface OpLogEntry {
  i: number;
  op: string;
  detail: string;
}

const powerError = () => Object.assign(new Error('power cut: the process is dead'), { code: 'EIO' });
const errno = (code: string, msg: string) => Object.assign(new Error(`${code}: ${msg}`), { code });

function applyData(base: Uint8Array, op: DataOp): Uint8Array {
  if (op.k === 'truncate') {
    const out = new Uint8Array(op.len);
    out.set(base.subarray(0, Math.min(op.len, base.length)));
    return out;
  }
  const end = op.off + op.data.length;
  const out = new Uint8Array(Math.max(base.length, end));
  out.set(base);
  out.set(op.data, op.off);
  return out;
}

function applyDir(entries: Map<string, number>, op: DirOp): void {
  if (op.k === 'link') entries.set(op.name, op.ino);
  else if (op.k === 'unlink') entries.delete(op.name);
  else {
    entries.delete(op.from);
    entries.set(op.to, op.ino);
  }
}

export class PowercutFs implements FileSystemPort {
  readonly rng: Rng;
  private readonly nodes = new Map<number, Node>();
  private nextIno = 2;
  private readonly fds = new Map<number, { ino: number; append: boolean; pos: number; path: string }>();
  private nextFd = 3;
  private opIndex = 0;
  private faultsLeft = 0;
  dead = false;
  cutAt: number | undefined;
  /** Faults that fired: operation, path, code. */
  readonly faultsFired: { i: number; op: string; path: string; code: string }[] = [];
  readonly sites = new Map<string, SyncSite>();
  /** Syncs skipped because of the mutation. */
  mutatedSkips = 0;
  readonly recent: OpLogEntry[] = [];
  /** Paths unlinked before the cut (the unlink ran; whether it is durable depends on a folder sync). */
  readonly unlinked = new Set<string>();
  private clockMs = 0;

  constructor(private readonly opts: PowercutOptions) {
    this.rng = opts.rng;
    this.cutAt = opts.cutAt;
    this.nodes.set(1, { type: 'dir', ino: 1, durable: new Map(), entries: new Map(), pending: [] });
    for (const d of opts.baseDirs ?? []) this.mkdirDurable(d);
    for (const [p, v] of opts.initial ?? []) {
      if (v === 'dir') this.mkdirDurable(p);
      else {
        this.mkdirDurable(path.posix.dirname(p));
        const parent = this.lookup(path.posix.dirname(p)) as DirNode;
        const f = this.newFile(v);
        f.durable = v.slice();
        parent.entries.set(path.posix.basename(p), f.ino);
        parent.durable.set(path.posix.basename(p), f.ino);
      }
    }
  }

  get opCount(): number {
    return this.opIndex;
  }

  /** Cuts the power now (if it has not failed already). */
  cut(): void {
    this.dead = true;
  }

  // ---- FileSystemPort -------------------------------------------------------------------------

  async open(p: string, flags: 'r' | 'a' | 'w' | 'wx' | 'rw'): Promise<number> {
    await this.enter('open', `${flags} ${p}`);
    const existing = this.lookup(p);
    if (existing?.type === 'dir' && flags !== 'r') throw errno('EISDIR', p);
    let ino: number;
    if (existing) {
      if (flags === 'wx') throw errno('EEXIST', p);
      ino = existing.ino;
      if (flags === 'w') this.dataOp(existing as FileNode, { k: 'truncate', len: 0 });
    } else {
      if (flags === 'r') throw errno('ENOENT', p);
      const parent = this.parentOf(p);
      const f = this.newFile(new Uint8Array());
      this.dirOp(parent, { k: 'link', name: path.posix.basename(p), ino: f.ino });
      ino = f.ino;
    }
    const fd = this.nextFd++;
    this.fds.set(fd, { ino, append: flags === 'a', pos: 0, path: p });
    return fd;
  }

  async write(fd: number, data: Uint8Array, position?: number): Promise<void> {
    const h = this.fd(fd);
    await this.enter('write', `${h.path} ${data.length} B${position === undefined ? '' : ` at ${position}`}`);
    const f = this.nodes.get(h.ino) as FileNode;
    // pwrite on a file opened O_APPEND still appends (Linux).
    const off = h.append ? f.volatile.length : position ?? h.pos;
    if (this.takeFault('write', h.path)) {
      // Disk full part-way: some of the bytes may have reached the cache before the error.
      const part = data.slice(0, this.rng.int(data.length + 1));
      if (part.length) this.dataOp(f, { k: 'write', off, data: part });
      this.fired('write', h.path, 'ENOSPC');
      throw errno('ENOSPC', `no space left on device, write '${h.path}'`);
    }
    this.dataOp(f, { k: 'write', off, data: data.slice() });
    if (!h.append && position === undefined) h.pos = off + data.length;
  }

  fsync(fd: number): Promise<void> {
    return this.flushFile(fd, 'fsync');
  }

  fdatasync(fd: number): Promise<void> {
    return this.flushFile(fd, 'fdatasync');
  }

  async ftruncate(fd: number, length: number): Promise<void> {
    const h = this.fd(fd);
    await this.enter('ftruncate', `${h.path} ${length}`);
    if (this.takeFault('ftruncate', h.path)) {
      this.fired('ftruncate', h.path, 'EIO');
      throw errno('EIO', `i/o error, ftruncate '${h.path}'`);
    }
    this.dataOp(this.nodes.get(h.ino) as FileNode, { k: 'truncate', len: length });
  }

  async close(fd: number): Promise<void> {
    await this.enter('close', this.fds.get(fd)?.path ?? String(fd));
    if (!this.fds.delete(fd)) throw errno('EBADF', String(fd));
  }

  async readFile(p: string): Promise<Uint8Array> {
    await this.enter('readFile', p);
    const n = this.lookup(p);
    if (!n) throw errno('ENOENT', p);
    if (n.type === 'dir') throw errno('EISDIR', p);
    return n.volatile.slice();
  }

  async rename(from: string, to: string): Promise<void> {
    await this.enter('rename', `${from} -> ${to}`);
    const n = this.lookup(from);
    if (!n) throw errno('ENOENT', from);
    if (this.lookup(to)?.type === 'dir') throw errno('EISDIR', to);
    const a = this.parentOf(from);
    const b = this.parentOf(to);
    if (a === b) this.dirOp(a, { k: 'rename', from: path.posix.basename(from), to: path.posix.basename(to), ino: n.ino });
    else {
      this.dirOp(b, { k: 'link', name: path.posix.basename(to), ino: n.ino });
      this.dirOp(a, { k: 'unlink', name: path.posix.basename(from) });
    }
  }

  async unlink(p: string): Promise<void> {
    await this.enter('unlink', p);
    const n = this.lookup(p);
    if (!n) throw errno('ENOENT', p);
    if (n.type === 'dir') throw errno('EISDIR', p);
    this.dirOp(this.parentOf(p), { k: 'unlink', name: path.posix.basename(p) });
    this.unlinked.add(p);
  }

  async mkdir(p: string): Promise<void> {
    await this.enter('mkdir', p);
    let cur = this.nodes.get(1) as DirNode;
    for (const part of p.split('/').filter(Boolean)) {
      const ino = cur.entries.get(part);
      if (ino === undefined) {
        const d: DirNode = { type: 'dir', ino: this.nextIno++, durable: new Map(), entries: new Map(), pending: [] };
        this.nodes.set(d.ino, d);
        this.dirOp(cur, { k: 'link', name: part, ino: d.ino });
        cur = d;
      } else {
        const n = this.nodes.get(ino)!;
        if (n.type !== 'dir') throw errno('ENOTDIR', p);
        cur = n;
      }
    }
  }

  async readdir(p: string): Promise<string[]> {
    await this.enter('readdir', p);
    const n = this.lookup(p);
    if (!n) throw errno('ENOENT', p);
    if (n.type !== 'dir') throw errno('ENOTDIR', p);
    return [...n.entries.keys()].sort();
  }

  async stat(p: string): Promise<FileStat> {
    await this.enter('stat', p);
    const n = this.lookup(p);
    if (!n) throw errno('ENOENT', p);
    return n.type === 'dir'
      ? { size: 4096, mtimeMs: 0, isDirectory: true }
      : { size: n.volatile.length, mtimeMs: n.mtimeMs, isDirectory: false };
  }

  async syncDir(p: string): Promise<void> {
    const site = this.site('syncDir');
    await this.enter('syncDir', p);
    const n = this.lookup(p);
    if (!n) throw errno('ENOENT', p);
    if (n.type !== 'dir') throw errno('ENOTDIR', p);
    if (this.isMutated(site)) return;
    if (this.takeFault('syncDir', p)) {
      // Some of the folder's changes may have been written before the error; the rest wait.
      const keep = n.pending.filter(() => this.rng.chance(0.5));
      keep.forEach(op => applyDir(n.durable, op));
      n.pending = n.pending.filter(op => !keep.includes(op));
      this.fired('syncDir', p, 'EIO');
      throw errno('EIO', `i/o error, fsync '${p}'`);
    }
    n.durable = new Map(n.entries);
    n.pending = [];
  }

  // ---- the cut --------------------------------------------------------------------------------

  /**
   * A state a power failure may leave: per folder, an arbitrary (or prefix, all, none) selection of
   * its unsynced entry changes, applied in order; per file, its durable bytes plus none, all or a
   * prefix of its unsynced data ops, the last one possibly torn at a 512/4096-byte block with
   * garbage or zeros in the torn block.
   */
  survivingState(rng: Rng = this.rng): DiskState {
    const entriesOf = new Map<number, Map<string, number>>();
    const contentOf = new Map<number, Uint8Array>();
    for (const n of this.nodes.values()) {
      if (n.type === 'dir') {
        const m = new Map(n.durable);
        const mode = rng.int(4);
        const k = rng.int(n.pending.length + 1);
        n.pending.forEach((op, i) => {
          const keep = mode === 0 ? false : mode === 1 ? true : mode === 2 ? i < k : rng.chance(0.5);
          if (keep) applyDir(m, op);
        });
        entriesOf.set(n.ino, m);
      } else {
        contentOf.set(n.ino, surviveData(n.durable, n.pending, rng));
      }
    }
    const out: DiskState = new Map();
    const walk = (ino: number, p: string) => {
      const m = entriesOf.get(ino)!;
      for (const [name, child] of m) {
        const cp = p === '/' ? `/${name}` : `${p}/${name}`;
        const node = this.nodes.get(child)!;
        if (node.type === 'dir') {
          out.set(cp, 'dir');
          walk(child, cp);
        } else out.set(cp, contentOf.get(child)!);
      }
    };
    walk(1, '/');
    return out;
  }

  /** What a reader sees now (volatile), as a state: for checks on a live instance. */
  currentState(): DiskState {
    const out: DiskState = new Map();
    const walk = (d: DirNode, p: string) => {
      for (const [name, child] of d.entries) {
        const cp = p === '/' ? `/${name}` : `${p}/${name}`;
        const node = this.nodes.get(child)!;
        if (node.type === 'dir') {
          out.set(cp, 'dir');
          walk(node, cp);
        } else out.set(cp, node.volatile.slice());
      }
    };
    walk(this.nodes.get(1) as DirNode, '/');
    return out;
  }

  // ---- internals ------------------------------------------------------------------------------

  private async flushFile(fd: number, kind: 'fsync' | 'fdatasync'): Promise<void> {
    const site = this.site(kind);
    const h = this.fd(fd);
    await this.enter(kind, h.path);
    const f = this.nodes.get(h.ino) as FileNode;
    if (this.isMutated(site)) return;
    if (this.takeFault(kind, h.path)) {
      // After EIO the kernel may have written some of it, and drops the rest from its dirty list:
      // a later fsync succeeds without writing it (the cache still shows it to readers).
      const keeps = this.opts.eioKeeps ?? 'random';
      if (keeps === 'all') for (const op of f.pending) f.durable = applyData(f.durable, op);
      else if (keeps === 'random') f.durable = surviveData(f.durable, f.pending, this.rng);
      f.pending = [];
      this.fired(kind, h.path, 'EIO');
      throw errno('EIO', `i/o error, ${kind} '${h.path}'`);
    }
    for (const op of f.pending) f.durable = applyData(f.durable, op);
    f.pending = [];
  }

  private async enter(op: string, detail: string): Promise<void> {
    if (!this.dead && (this.opts.yieldChance ?? 0) > 0 && this.rng.chance(this.opts.yieldChance!)) {
      await new Promise<void>(r => setImmediate(r));
    }
    if (this.dead) throw powerError();
    this.opIndex++;
    if (this.cutAt !== undefined && this.opIndex >= this.cutAt) {
      this.dead = true;
      this.log(op, `${detail} [POWER CUT]`);
      throw powerError();
    }
    this.log(op, detail);
    if (this.opts.faults && this.opIndex === this.opts.faults.from) this.faultsLeft = this.opts.faults.count;
  }

  private log(op: string, detail: string): void {
    this.recent.push({ i: this.opIndex, op, detail });
    if (this.recent.length > 40) this.recent.shift();
  }

  private takeFault(op: 'write' | SyncKind | 'ftruncate', p: string): boolean {
    if (this.opts.failWhen?.(op, p)) return true;
    if (this.faultsLeft <= 0) return false;
    this.faultsLeft--;
    return true;
  }

  private fired(op: string, p: string, code: string): void {
    this.faultsFired.push({ i: this.opIndex, op, path: p, code });
    this.log(op, `${p} -> injected ${code}`);
  }

  private site(kind: SyncKind): SyncSite | undefined {
    if (!this.opts.recordSites && !this.opts.mutate) return undefined;
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 40;
    const stack = new Error().stack ?? '';
    Error.stackTraceLimit = limit;
    const frames: { file: string; line: string; fn: string }[] = [];
    for (const l of stack.split('\n')) {
      const m = /at (?:async )?(?:(\S+) \()?.*?src[\\/]core[\\/]([\w.]+\.ts):(\d+):\d+\)?$/.exec(l.trim());
      if (m) frames.push({ fn: (m[1] ?? '<anonymous>').replace(/^ContextEngine\.|^Journal\./, ''), file: m[2], line: m[3] });
    }
    if (frames.length === 0) return { kind, direct: `${kind} <outside src/core>`, chain: `${kind} <outside src/core>` };
    const fmt = (f: { file: string; line: string; fn: string }) => `${f.file}:${f.line} ${f.fn}`;
    const chain: string[] = [];
    for (const f of frames) {
      chain.push(fmt(f));
      if (f.file === 'engine.ts') break;
    }
    const s: SyncSite = { kind, direct: `${kind} ${fmt(frames[0])}`, chain: `${kind} ${chain.join(' <- ')}` };
    if (this.opts.recordSites) this.sites.set(s.chain, s);
    return s;
  }

  private isMutated(site: SyncSite | undefined): boolean {
    const m = this.opts.mutate;
    if (!m || !site || (site.direct !== m && site.chain !== m)) return false;
    this.mutatedSkips++;
    return true;
  }

  private fd(fd: number) {
    const h = this.fds.get(fd);
    if (!h) throw errno('EBADF', String(fd));
    return h;
  }

  private newFile(content: Uint8Array): FileNode {
    const f: FileNode = { type: 'file', ino: this.nextIno++, durable: new Uint8Array(), volatile: content.slice(), pending: [], mtimeMs: this.clockMs };
    this.nodes.set(f.ino, f);
    return f;
  }

  private dataOp(f: FileNode, op: DataOp): void {
    f.volatile = applyData(f.volatile, op);
    f.pending.push(op);
    f.mtimeMs = ++this.clockMs;
  }

  private dirOp(d: DirNode, op: DirOp): void {
    applyDir(d.entries, op);
    d.pending.push(op);
  }

  private lookup(p: string): Node | undefined {
    let cur: Node = this.nodes.get(1)!;
    for (const part of p.split('/').filter(Boolean)) {
      if (cur.type !== 'dir') return undefined;
      const ino: number | undefined = cur.entries.get(part);
      if (ino === undefined) return undefined;
      cur = this.nodes.get(ino)!;
    }
    return cur;
  }

  private parentOf(p: string): DirNode {
    const d = this.lookup(path.posix.dirname(p));
    if (!d) throw errno('ENOENT', p);
    if (d.type !== 'dir') throw errno('ENOTDIR', p);
    return d;
  }

  private mkdirDurable(p: string): void {
    let cur = this.nodes.get(1) as DirNode;
    for (const part of p.split('/').filter(Boolean)) {
      let ino = cur.entries.get(part);
      if (ino === undefined) {
        const d: DirNode = { type: 'dir', ino: this.nextIno++, durable: new Map(), entries: new Map(), pending: [] };
        this.nodes.set(d.ino, d);
        cur.entries.set(part, d.ino);
        cur.durable.set(part, d.ino);
        ino = d.ino;
      }
      cur = this.nodes.get(ino) as DirNode;
    }
  }
}

/** Durable bytes plus what of the unsynced ops may have reached the disk before the power went. */
function surviveData(durable: Uint8Array, pending: DataOp[], rng: Rng): Uint8Array {
  if (pending.length === 0) return durable.slice();
  const mode = rng.int(4);
  if (mode === 0) return durable.slice();
  let out = durable;
  if (mode === 1) {
    for (const op of pending) out = applyData(out, op);
    return out.slice();
  }
  const k = rng.int(pending.length);
  for (let i = 0; i < k; i++) out = applyData(out, pending[i]);
  const op = pending[k];
  if (op.k === 'truncate') return rng.chance(0.5) ? applyData(out, op) : out.slice();
  // A torn write: whole blocks up to a boundary, then maybe one block of garbage, zeros or old bytes.
  const block = rng.chance(0.5) ? 512 : 4096;
  const boundaries = [op.off];
  for (let b = Math.ceil((op.off + 1) / block) * block; b < op.off + op.data.length; b += block) boundaries.push(b);
  const cutAt = rng.pick(boundaries);
  out = applyData(out, { k: 'write', off: op.off, data: op.data.subarray(0, cutAt - op.off) });
  const tornEnd = Math.min(op.off + op.data.length, Math.floor(cutAt / block) * block + block);
  if (tornEnd > cutAt && rng.chance(0.7)) {
    const len = tornEnd - cutAt;
    const kind = rng.int(3);
    const fill = kind === 0 ? rng.bytes(len) : kind === 1 ? new Uint8Array(len) : op.data.subarray(cutAt - op.off, cutAt - op.off + rng.int(len));
    out = applyData(out, { k: 'write', off: cutAt, data: fill });
  }
  return out.slice();
}
