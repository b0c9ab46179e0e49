import type { Logger } from './ports';

/** A non-negative number from the environment; unset or empty is undefined, anything else invalid is ignored with a warning. */
export function envNumber(env: NodeJS.ProcessEnv, name: string, logger?: Logger): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) {
    logger?.warn(`[config] ignoring ${name}=${raw}: not a non-negative number`);
    return undefined;
  }
  return n;
}
