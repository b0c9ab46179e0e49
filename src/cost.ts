// Token counts become money: a price table (US dollars per million tokens, per model) from the
// setting jarvis.cost.prices. Pure (no vscode import), shared by the views and the settings.
import { setOwn } from './core/ownKeys';

export interface ModelPrice {
  /** US dollars per million input (prompt) tokens. */
  input: number;
  /** US dollars per million output (completion) tokens. */
  output: number;
}

export type PriceTable = Readonly<Record<string, ModelPrice>>;

/**
 * Defaults: the providers' published list prices for a few common models when this table was
 * written (early 2025). They change; the setting's description says so, and any entry can be
 * replaced or added in the settings.
 */
export const DEFAULT_PRICES: PriceTable = {
  'gpt-4o': { input: 2.5, output: 10 },
  'gpt-4o-mini': { input: 0.15, output: 0.6 },
  'gpt-4.1': { input: 2, output: 8 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6 },
  'o3-mini': { input: 1.1, output: 4.4 },
  'claude-3-5-sonnet': { input: 3, output: 15 },
  'claude-3-7-sonnet': { input: 3, output: 15 },
  'claude-3-5-haiku': { input: 0.8, output: 4 },
};

/** Keeps the well-formed entries of a table read from the settings. */
export function sanitizePrices(value: unknown): PriceTable {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return DEFAULT_PRICES;
  const out: Record<string, ModelPrice> = {};
  for (const [model, p] of Object.entries(value as Record<string, unknown>)) {
    if (!p || typeof p !== 'object') continue;
    const { input, output } = p as Record<string, unknown>;
    if (typeof input === 'number' && typeof output === 'number' && input >= 0 && output >= 0 && Number.isFinite(input + output)) setOwn(out, model, { input, output });
  }
  return out;
}

/**
 * The price of a model: the table's entry of that name, or of the longest name the model's name
 * starts with followed by a version or date ("gpt-4o-2024-08-06" and "claude-3-5-sonnet-latest"
 * are priced as "gpt-4o" and "claude-3-5-sonnet"; "gpt-4o-mini" is not "gpt-4o"). Case-insensitive.
 */
export function priceFor(model: string | null | undefined, table: PriceTable): ModelPrice | undefined {
  if (!model) return undefined;
  const m = model.toLowerCase();
  let best: string | undefined;
  for (const name of Object.keys(table)) {
    const n = name.toLowerCase();
    if (!m.startsWith(n)) continue;
    const rest = m.slice(n.length);
    if (rest !== '' && !/^[-_@:.](\d|latest\b|preview\b)/.test(rest)) continue;
    if (best === undefined || name.length > best.length) best = name;
  }
  return best === undefined ? undefined : table[best];
}

export function costUsd(inputTokens: number, outputTokens: number, price: ModelPrice): number {
  return (inputTokens * price.input + outputTokens * price.output) / 1_000_000;
}

/** What the model calls of each agent and each task cost, from spans (US dollars). */
export interface CostTotals {
  agents: ReadonlyMap<string, number>;
  tasks: ReadonlyMap<string, number>;
}

export const NO_COSTS: CostTotals = { agents: new Map(), tasks: new Map() };

export function costTotals(
  spans: readonly { agent_id: string | null; task_id: string | null; model: string | null; input_tokens: number | null; output_tokens: number | null }[],
  table: PriceTable,
): CostTotals {
  const agents = new Map<string, number>();
  const tasks = new Map<string, number>();
  for (const s of spans) {
    if (!s.input_tokens && !s.output_tokens) continue;
    const price = priceFor(s.model, table);
    if (!price) continue;
    const usd = costUsd(s.input_tokens ?? 0, s.output_tokens ?? 0, price);
    if (s.agent_id) agents.set(s.agent_id, (agents.get(s.agent_id) ?? 0) + usd);
    if (s.task_id) tasks.set(s.task_id, (tasks.get(s.task_id) ?? 0) + usd);
  }
  return { agents, tasks };
}

/** "$1.23", "$0.05", "<$0.01". */
export function formatCost(usd: number): string {
  if (!(usd > 0)) return '$0';
  if (usd < 0.01) return '<$0.01';
  return `$${usd >= 100 ? Math.round(usd).toLocaleString('en-US') : usd.toFixed(2)}`;
}
