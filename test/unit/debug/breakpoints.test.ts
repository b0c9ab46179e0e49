import * as assert from 'assert';
import { BreakpointError, BreakpointIndex, compileBreakpoint, filterHit, matchEvent, parseFilters, parsePause, pauseHits, scopeOf, type DebugEvent } from '../../../src/debug/breakpoints';
import { evaluate, ExpressionError, parseExpression } from '../../../src/debug/expression';
import { callerOf, writtenEvents } from '../../../src/debug/writtenEvents';

const tool = (name: string, args: unknown, agent = 'coder'): DebugEvent =>
  ({ kind: 'tool', agent_id: agent, task_id: 't1', name, from: agent, to: `tool:${name}`, record: { tool: name, args } });

function hits(names: { name: string; condition?: string; hit_condition?: string; log_message?: string }[], events: DebugEvent[]): string[][] {
  const bps = new BreakpointIndex(names.map((n, i) => compileBreakpoint(n, i)));
  return events.map(e => matchEvent(bps, e, () => scopeOf(e)).map(h => h.log ?? h.breakpoint.name));
}

describe('debug breakpoints', () => {
  it('matches the grammar: tool, agent, decision, task, message with globs', () => {
    const decision: DebugEvent = { kind: 'decision', agent_id: 'planner', task_id: 'deploy', name: 'retry_policy', record: {} };
    const msg: DebugEvent = { kind: 'message', agent_id: 'planner', task_id: null, name: 'coder', from: 'planner', to: 'coder', record: {} };
    const got = hits(
      [{ name: 'tool:web_*' }, { name: 'agent:planner' }, { name: 'decision:retry_policy' }, { name: 'task:dep*' }, { name: 'message:planner->*' }, { name: 'message:*->tester' }],
      [tool('web_search', {}), tool('search', {}), decision, msg],
    );
    assert.deepStrictEqual(got, [['tool:web_*'], [], ['agent:planner', 'decision:retry_policy', 'task:dep*'], ['agent:planner', 'message:planner->*']]);
  });

  it('conditions read the event, task and agent; hit counts count matching events', () => {
    const got = hits(
      [{ name: 'tool:search', condition: 'event.args.query contains "weather" && !(event.args.n > 3)' }, { name: 'tool:*', hit_condition: '%2' }, { name: 'tool:*', hit_condition: '>=3' }],
      [tool('search', { query: 'weather today', n: 1 }), tool('search', { query: 'weather', n: 5 }), tool('search', { query: 'news' })],
    );
    assert.deepStrictEqual(got, [['tool:search'], ['tool:*'], ['tool:*']]);
    let lookups = 0;
    const scope = scopeOf(tool('x', {}), { task: () => (lookups++, { percentage: 40, blockers: ['db down'] }), agent: () => null });
    assert.strictEqual(evaluate(parseExpression('event.kind == "tool" || task.percentage == 0'), scope), true);
    assert.strictEqual(lookups, 0, 'the task is looked up only when read');
    assert.strictEqual(evaluate(parseExpression('task.percentage >= 40 && task.blockers[0] == "db down"'), scope), true);
    assert.strictEqual(lookups, 1);
  });

  it('logpoints interpolate {paths} and never count as stops', () => {
    assert.deepStrictEqual(hits([{ name: 'tool:search', log_message: 'q={event.args.query} {{literal}} n={event.args.n}' }], [tool('search', { query: 'a"b', n: 2 })]),
      [['q=a"b {literal} n=2']]);
  });

  it('refuses bad input naming the breakpoint and the position', () => {
    const refuse = (b: object, where: RegExp, position?: number) => assert.throws(() => compileBreakpoint(b, 3), (e: BreakpointError) => {
      assert.ok(e instanceof BreakpointError, String(e));
      assert.match(e.where, where);
      if (position !== undefined) assert.strictEqual(e.position, position);
      return true;
    });
    refuse({ name: 'tools:x' }, /breakpoints\[3\]/);
    refuse({ name: 'message:a' }, /name/);
    refuse({ name: 'tool:' }, /name/);
    refuse({ name: 'tool:x', condition: 'event.a == ' }, /condition/, 11);
    refuse({ name: 'tool:x', condition: 'event.a === 1' }, /condition/, 10);
    refuse({ name: 'tool:x', hit_condition: 'often' }, /hit_condition/);
    refuse({ name: 'tool:x', log_message: 'x {event.' }, /log_message/);
    assert.throws(() => parsePause('everything'), BreakpointError);
    assert.throws(() => parseFilters(['alert', 'panic']), /filters\[1\]/);
  });

  it('is safe against hostile expressions: no prototypes, no eval, bounded depth and length', () => {
    const scope = scopeOf(tool('x', JSON.parse('{"__proto__": {"polluted": 1}, "a": [1]}')));
    assert.strictEqual(evaluate(parseExpression('event.args.__proto__.polluted == 1'), scope), true, 'an own __proto__ key is data');
    assert.strictEqual(evaluate(parseExpression('event.constructor'), scope), undefined);
    assert.strictEqual(evaluate(parseExpression('event.args.a.length'), scope), undefined);
    assert.strictEqual(evaluate(parseExpression('event.toString'), scope), undefined);
    assert.strictEqual(evaluate(parseExpression('event["constructor"]["constructor"]'), scope), undefined);
    assert.strictEqual(({} as Record<string, unknown>).polluted, undefined);
    assert.throws(() => parseExpression('('.repeat(10_00) + '1' + ')'.repeat(1000)), ExpressionError);
    assert.throws(() => parseExpression('!'.repeat(500) + 'a'), /nested deeper/);
    assert.throws(() => parseExpression('"' + 'x'.repeat(5000) + '"'), /longer than/);
    assert.throws(() => parseExpression('a\u0000'), /control/);
    assert.throws(() => parseExpression('process.exit()'), ExpressionError);
    assert.strictEqual(evaluate(parseExpression('event.args.a contains 1'), scope), true);
    assert.strictEqual(evaluate(parseExpression('event.kind < 3'), scope), false, 'mixed types never order');
  });

  it('filters and pause modes', () => {
    const failed: DebugEvent = { kind: 'task', agent_id: 'a', task_id: 't', name: 't', record: { status: 'failed' }, update: { status: 'failed' } };
    const progress: DebugEvent = { kind: 'task', agent_id: 'a', task_id: 't', name: 't', record: { status: 'blocked', blockers: ['x'] }, update: { percentage: 5 } };
    assert.strictEqual(filterHit(parseFilters(['task_failed']), failed), 'task_failed');
    assert.strictEqual(filterHit(parseFilters(['blocker']), progress), undefined, 'an update that adds no blocker');
    assert.strictEqual(filterHit(parseFilters(['blocker']), { ...progress, update: { blockers: ['y'] } }), 'blocker');
    assert.ok(pauseHits(parsePause('any'), failed));
    assert.ok(pauseHits(parsePause('agent:a'), failed));
    assert.ok(!pauseHits(parsePause('task:other'), failed));
  });

  it('maps writes to events: tool calls are tool_call messages or tool:<name> recipients, arguments parsed', () => {
    const [e] = writtenEvents('/messages', {}, { from_agent: 'coder', to_agent: 'tool:search', message_type: 'tool_call', content: { arguments: '{"query":"q"}' } }, { id: 3 }, new URLSearchParams());
    assert.strictEqual(e!.kind, 'tool');
    assert.strictEqual(e!.name, 'search');
    assert.deepStrictEqual(e!.record.args, { query: 'q' });
    const batch = writtenEvents('/events', {}, { events: [{ type: 'task', task_id: 'a' }, { type: 'bogus' }, { type: 'decision', decision_type: 'd' }] }, {}, new URLSearchParams());
    assert.deepStrictEqual(batch.map(x => x.kind), ['task', 'decision']);
  });

  it('reads Jarvis-Caller warily', () => {
    assert.deepStrictEqual(callerOf(`${encodeURIComponent('/home/u/orch.ts')}:42:main`), { file: '/home/u/orch.ts', line: 42, function: 'main' });
    assert.deepStrictEqual(callerOf('C%3A%5Corch.py:7:'), { file: 'C:\\orch.py', line: 7, function: null });
    assert.strictEqual(callerOf('x'.repeat(2000) + ':1:f'), null);
    assert.strictEqual(callerOf('a%0Ab:1:f'), null);
    assert.strictEqual(callerOf('a:b:c'), null);
  });
});
