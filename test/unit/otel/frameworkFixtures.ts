// Replays what a real framework exported (test/frameworks/fixtures, recorded by the scripts beside
// them) into the real receiver over HTTP, in the order it was sent, and reads back what the engine made of it.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import type { Agent, Decision, Message, Span, Task } from '../../../src/core/types';
import { costTotals, DEFAULT_PRICES } from '../../../src/cost';
import { post, startHarness } from './support';

export const FIXTURES = path.join(__dirname, '..', '..', '..', '..', 'test', 'frameworks', 'fixtures');

export interface Fixture {
  framework: string;
  packages: Record<string, string>;
  scenario: Record<string, unknown>;
  requests: { path: string; body: unknown }[];
}

export interface Replayed {
  agents: Agent[];
  tasks: Task[];
  decisions: Decision[];
  messages: Message[];
  spans: Span[];
  /** Tool calls as messages: [from agent, tool name]. */
  toolCalls: [string, string][];
  tokens: { input: number; output: number };
  /** US dollars by task, with the default price table. */
  cost: number;
}

export function loadFixture(name: string): Fixture {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8')) as Fixture;
}

export async function replay(fixture: Fixture): Promise<Replayed> {
  const h = await startHarness();
  try {
    for (const r of fixture.requests) {
      const answer = await post(h.base, JSON.stringify(r.body), { 'Content-Type': 'application/json' }, undefined, 'POST', r.path);
      assert.strictEqual(answer.status, 200, `${r.path}: ${answer.body.toString('utf8')}`);
    }
    const spans = await h.engine.getSpans({ limit: 10_000 });
    const messages = await h.engine.getMessages({ limit: 10_000 });
    const tokens = { input: 0, output: 0 };
    for (const s of spans) {
      tokens.input += s.input_tokens ?? 0;
      tokens.output += s.output_tokens ?? 0;
    }
    let cost = 0;
    for (const v of costTotals(spans, DEFAULT_PRICES).tasks.values()) cost += v;
    return {
      agents: h.engine.getAgents(),
      tasks: h.engine.getTasks(),
      decisions: (await h.engine.getDecisions({ limit: 10_000 })).reverse(),
      messages: messages.reverse(),
      spans,
      toolCalls: messages.filter(m => m.message_type === 'tool_call').map(m => [m.from_agent, m.to_agent.replace(/^tool:/, '')]),
      tokens,
      cost,
    };
  } finally {
    await h.close();
  }
}
