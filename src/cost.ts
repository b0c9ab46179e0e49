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
 * Built-in list prices (US dollars per million tokens) of the models people use, as the providers
 * published them when this table was written (2025). They change: the setting adds entries or
 * replaces these, and its description says to check them. Open models are priced as the common
 * hosted providers (Groq, Together, DeepSeek's own API) list them; yours may differ.
 */
export const BUILT_IN_PRICES: PriceTable = {
  // OpenAI
  'gpt-5': { input: 1.25, output: 10 },
  'gpt-5-mini': { input: 0.25, output: 2 },
  'gpt-5-nano': { input: 0.05, output: 0.4 },
  'gpt-4.1': { input: 2, output: 8 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4 },
  'gpt-4o': { input: 2.5, output: 10 },
  'gpt-4o-mini': { input: 0.15, output: 0.6 },
  'gpt-4-turbo': { input: 10, output: 30 },
  'gpt-3.5-turbo': { input: 0.5, output: 1.5 },
  'o1': { input: 15, output: 60 },
  'o1-mini': { input: 1.1, output: 4.4 },
  'o3': { input: 2, output: 8 },
  'o3-mini': { input: 1.1, output: 4.4 },
  'o4-mini': { input: 1.1, output: 4.4 },
  // Anthropic
  'claude-opus-4-1': { input: 15, output: 75 },
  'claude-opus-4': { input: 15, output: 75 },
  'claude-sonnet-4-5': { input: 3, output: 15 },
  'claude-sonnet-4': { input: 3, output: 15 },
  'claude-haiku-4-5': { input: 1, output: 5 },
  'claude-3-7-sonnet': { input: 3, output: 15 },
  'claude-3-5-sonnet': { input: 3, output: 15 },
  'claude-3-5-haiku': { input: 0.8, output: 4 },
  'claude-3-opus': { input: 15, output: 75 },
  'claude-3-haiku': { input: 0.25, output: 1.25 },
  // Google Gemini (prompts up to 200k tokens)
  'gemini-2.5-pro': { input: 1.25, output: 10 },
  'gemini-2.5-flash': { input: 0.3, output: 2.5 },
  'gemini-2.5-flash-lite': { input: 0.1, output: 0.4 },
  'gemini-2.0-flash': { input: 0.1, output: 0.4 },
  'gemini-2.0-flash-lite': { input: 0.075, output: 0.3 },
  'gemini-1.5-pro': { input: 1.25, output: 5 },
  'gemini-1.5-flash': { input: 0.075, output: 0.3 },
  // Mistral
  'mistral-large': { input: 2, output: 6 },
  'mistral-medium': { input: 0.4, output: 2 },
  'mistral-small': { input: 0.1, output: 0.3 },
  'magistral-medium': { input: 2, output: 5 },
  'magistral-small': { input: 0.5, output: 1.5 },
  'codestral': { input: 0.3, output: 0.9 },
  'pixtral-large': { input: 2, output: 6 },
  'ministral-8b': { input: 0.1, output: 0.1 },
  'ministral-3b': { input: 0.04, output: 0.04 },
  'open-mistral-nemo': { input: 0.15, output: 0.15 },
  // Open models on hosted providers
  'llama-4-maverick': { input: 0.2, output: 0.6 },
  'llama-4-scout': { input: 0.11, output: 0.34 },
  'llama-3.3-70b': { input: 0.59, output: 0.79 },
  'llama-3.1-70b': { input: 0.59, output: 0.79 },
  'llama-3.1-8b': { input: 0.05, output: 0.08 },
  'deepseek-chat': { input: 0.27, output: 1.1 },
  'deepseek-reasoner': { input: 0.55, output: 2.19 },
  'deepseek-v3': { input: 0.27, output: 1.1 },
  'deepseek-r1': { input: 0.55, output: 2.19 },
  'qwen3-32b': { input: 0.29, output: 0.59 },
  'qwen-2.5-72b': { input: 1.2, output: 1.2 },
  'gpt-oss-120b': { input: 0.15, output: 0.75 },
  'gpt-oss-20b': { input: 0.1, output: 0.5 },
  'mixtral-8x7b': { input: 0.24, output: 0.24 },
  'gemma-2-9b': { input: 0.2, output: 0.2 },
  'kimi-k2': { input: 1, output: 3 },
};

/** What readers without the settings use: the built-in table. */
export const DEFAULT_PRICES: PriceTable = BUILT_IN_PRICES;

/**
 * The setting jarvis.cost.prices adds to the built-in table, and replaces its entries of the same
 * name; its malformed entries are left out.
 */
export function sanitizePrices(value: unknown): PriceTable {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return BUILT_IN_PRICES;
  const out: Record<string, ModelPrice> = { ...BUILT_IN_PRICES };
  for (const [model, p] of Object.entries(value as Record<string, unknown>)) {
    if (!p || typeof p !== 'object') continue;
    const { input, output } = p as Record<string, unknown>;
    if (typeof input === 'number' && typeof output === 'number' && input >= 0 && output >= 0 && Number.isFinite(input + output)) setOwn(out, model, { input, output });
  }
  return out;
}

/**
 * The price of a model: the table's entry of that name, or of the longest name the model's name
 * starts with followed by a version, date or host tag ("gpt-4o-2024-08-06",
 * "claude-3-5-sonnet-latest" and "llama-3.3-70b-versatile" are priced as "gpt-4o",
 * "claude-3-5-sonnet" and "llama-3.3-70b"; "gpt-4o-mini" is not "gpt-4o"). Case-insensitive.
 * Undefined: no price (shown as such, never as $0).
 */
export function priceFor(model: string | null | undefined, table: PriceTable): ModelPrice | undefined {
  if (!model) return undefined;
  const full = model.toLowerCase();
  // Hosted names carry a path ("models/gemini-2.5-flash", "meta-llama/llama-3.3-70b-instruct-turbo",
  // "openai/gpt-4o"): the table's name may be the whole or the last part.
  const last = full.slice(full.lastIndexOf('/') + 1);
  // "Meta-Llama-3.1-8B-Instruct", Bedrock's "us.anthropic.claude-3-5-sonnet-20241022-v2:0".
  const bare = last.replace(/^(?:meta-|(?:[a-z]{2}\.)?(?:anthropic|meta|mistral|deepseek)\.)/, '');
  let best: string | undefined;
  for (const name of Object.keys(table)) {
    const n = name.toLowerCase();
    if (!matches(full, n) && !matches(last, n) && !matches(bare, n)) continue;
    if (best === undefined || name.length > best.length) best = name;
  }
  return best === undefined ? undefined : table[best];
}

// What may follow a model's name and still be the same model: versions, dates, and the tags hosts
// add ("-instruct", "-versatile", "-turbo", "-it"). "-mini" or "-lite" is another model.
const SAME_MODEL_REST = /^(?:[-_@:.](?:\d[\w.]*|v\d[\w.]*|latest|preview|exp|instruct|versatile|turbo|chat|it|fp8|hf|specdec))+$/;

function matches(model: string, name: string): boolean {
  if (!model.startsWith(name)) return false;
  const rest = model.slice(name.length);
  return rest === '' || SAME_MODEL_REST.test(rest);
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
