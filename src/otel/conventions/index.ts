// Every convention a span may speak, read into one SpanReading. Vendor conventions come first (they
// know their spans best); the GenAI semantic conventions fill what they leave out. Adding a
// framework is a file beside these and a line in CONVENTIONS.
import type { JsonObject } from '../../core/types';
import { genAi } from './genai';
import { genkit } from './genkit';
import { googleAdk } from './googleAdk';
import { mastra } from './mastra';
import { openInference } from './openinference';
import { str } from './read';
import { traceloop } from './traceloop';
import { emptyReading, OP, type Convention, type RawSpan, type SpanReading } from './types';
import { vercelAi } from './vercelAi';
import { voltAgent } from './voltAgent';

export const CONVENTIONS: readonly Convention[] = [vercelAi, googleAdk, genkit, mastra, voltAgent, openInference, traceloop, genAi];

const MAX_ID = 256;
const clip = (s: string | null): string | null => (s !== null && s.length > MAX_ID ? s.slice(0, MAX_ID) : s);

function empty(v: unknown): boolean {
  return v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);
}

// Readings are asked for several times per span (decoder, mapping, views): kept per attributes object.
const cache = new WeakMap<JsonObject, SpanReading>();

export function readSpan(span: RawSpan): SpanReading {
  const hit = cache.get(span.attributes);
  if (hit) return hit;
  const out = emptyReading();
  const fields = out as unknown as Record<string, unknown>;
  for (const c of CONVENTIONS) {
    if (!c.matches(span)) continue;
    out.convention ??= c.name;
    const part = c.read(span) as Record<string, unknown>;
    for (const k in part) if (empty(fields[k]) && !empty(part[k])) fields[k] = part[k];
  }
  const a = span.attributes;
  // Names some SDKs give without any attribute: "Handoff: A -> B", "handoff to B".
  if (out.operation === null && /^handoff\b/i.test(span.name)) out.operation = OP.handoff;
  if (out.operation === OP.handoff && !out.handoff_to) {
    const named = /^handoff:?\s*(?:(.+?)\s*->\s*(.+)|to\s+(.+))$/i.exec(span.name);
    out.handoff_to = str(a, 'to_agent', 'openai.agents.handoff.to_agent') ?? (named?.[2] ?? named?.[3])?.trim() ?? null;
    out.handoff_from ??= str(a, 'from_agent', 'openai.agents.handoff.from_agent') ?? named?.[1]?.trim() ?? null;
  }
  out.agent_name ??= str(a, 'agent.name');
  out.agent_id = clip(out.agent_id ?? out.agent_name);
  out.conversation_id = clip(out.conversation_id ?? str(a, 'session.id'));
  cache.set(span.attributes, out);
  return out;
}
