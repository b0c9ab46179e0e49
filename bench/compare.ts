// Pure part of `npm run bench -- --against <ref>`: which figures count, their new/old ratios over
// rounds, and the pass/fail decision. Kept free of I/O so test/unit/benchCompare.test.ts checks it.

export type Direction = 'higher' | 'lower';

/** Numeric leaves of a bench result as `a.b.c` paths. */
export function flatten(value: unknown, prefix = '', out: Record<string, number> = {}): Record<string, number> {
  if (typeof value === 'number' && Number.isFinite(value)) out[prefix] = value;
  else if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  }
  return out;
}

/**
 * Which way a figure is better, from its name; undefined for counts, sizes and settings (not compared).
 * Only throughputs and shares of the bare server are gated: latencies are printed, their p99 on a
 * shared 2-core machine is too noisy to fail a run on.
 */
export function direction(path: string): Direction | undefined {
  const leaf = path.split('.').pop() ?? '';
  if (/(^|\.)(targets|met|machine|cpus)(\.|$)/.test(path)) return undefined;
  if (/per_s$/.test(leaf) || /(^|\.)share_of/.test(path)) return 'higher';
  if (/_ms$/.test(leaf)) return 'lower';
  return undefined;
}

export interface FigureVerdict {
  figure: string;
  direction: Direction;
  gated: boolean;
  /** new/old per round, paired by round (old and new ran back to back). */
  ratios: number[];
  median: number;
  min: number;
  max: number;
  /** Worse beyond the spread: even the best round's ratio is past the threshold. */
  regressed: boolean;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Compares figures present in every round of both sides. A gated figure regresses when every
 * round's ratio is worse than 1 - threshold (higher-is-better) or 1 / (1 - threshold)
 * (lower-is-better): the whole spread sits beyond it, so one noisy round cannot fail the guard.
 */
export function compareRounds(olds: Record<string, number>[], news: Record<string, number>[], threshold: number): FigureVerdict[] {
  const rounds = Math.min(olds.length, news.length);
  if (rounds === 0) return [];
  const out: FigureVerdict[] = [];
  for (const figure of Object.keys(news[0]).sort()) {
    const dir = direction(figure);
    if (!dir) continue;
    const ratios: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const o = olds[r][figure];
      const n = news[r][figure];
      if (typeof o !== 'number' || typeof n !== 'number' || o <= 0) break;
      ratios.push(n / o);
    }
    if (ratios.length < rounds) continue;
    // The bare server runs the same code on both sides: its ratio shows the noise, it is not gated.
    const gated = dir === 'higher' && !/(^|\.)bare_/.test(figure);
    const min = Math.min(...ratios);
    const max = Math.max(...ratios);
    const regressed = gated && (dir === 'higher' ? max < 1 - threshold : min > 1 / (1 - threshold));
    out.push({ figure, direction: dir, gated, ratios, median: median(ratios), min, max, regressed });
  }
  return out;
}

const f2 = (n: number): string => n.toFixed(2);

/** One line a figure: median ratio new/old, its range over rounds, and the verdict. */
export function formatVerdicts(verdicts: FigureVerdict[], threshold: number): string {
  const width = Math.max(10, ...verdicts.map(v => v.figure.length));
  // Gated figures first: they decide; the rest (latencies, the bare server's noise) follow.
  const ordered = [...verdicts.filter(v => v.gated), ...verdicts.filter(v => !v.gated)];
  const lines = ordered.map(v => {
    const mark = v.regressed ? `WORSE (> ${Math.round(threshold * 100)} % in every round)` : v.gated ? 'ok' : 'info';
    return `${v.figure.padEnd(width)}  ${f2(v.median)}x  [${f2(v.min)}–${f2(v.max)}]  ${v.direction === 'higher' ? 'higher' : 'lower '} is better  ${mark}`;
  });
  return [`${'figure'.padEnd(width)}  new/old  [min–max over rounds]`, ...lines].join('\n');
}
