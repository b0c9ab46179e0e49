import * as assert from 'assert';
import { ChangeBatch, ChangeDebouncer } from '../../../src/host/changes';
import type { ChangeEvent, ChangeKind } from '../../../src/core/types';

const ev = (kind: ChangeKind, id: string): ChangeEvent => ({ kind, ids: [id], at: '' });

/** A debouncer whose deliveries can be awaited one by one, each with the time it came. */
function recorder(gapMs: number) {
  const got: { batch: ChangeBatch; at: number }[] = [];
  let wake: (() => void) | undefined;
  const d = new ChangeDebouncer(batch => {
    got.push({ batch, at: performance.now() });
    wake?.();
  }, gapMs);
  const next = async (n: number) => {
    while (got.length < n) await new Promise<void>(r => (wake = r));
    return got[n - 1];
  };
  return { d, got, next };
}

// A gap long enough that "at once" and "after the gap" cannot be confused on a loaded machine.
const GAP = 1000;

describe('ChangeDebouncer', function () {
  this.timeout(10_000);

  it('delivers the first change after a quiet spell at once, with the rest of its turn', async function () {
    const { d, got, next } = recorder(GAP);
    const t0 = performance.now();
    d.push(ev('task', 'a'));
    d.push(ev('task', 'b'));
    d.push(ev('agent', 'x'));
    assert.strictEqual(got.length, 0, 'delivered inside the turn: the rest of a group commit would miss it');
    const first = await next(1);
    assert.ok(first.at - t0 < GAP / 2, `the first change waited ${Math.round(first.at - t0)} ms`);
    assert.deepStrictEqual([...first.batch.idsOf('task')].sort(), ['a', 'b']);
    assert.ok(first.batch.has('agent') && !first.batch.has('decision') && !first.batch.all);
    d.dispose();
  });

  it('batches a stream: what follows a delivery waits for the gap and travels together', async function () {
    const { d, got, next } = recorder(GAP);
    d.push(ev('task', 'a'));
    const first = await next(1);
    for (let i = 0; i < 20; i++) d.push(ev('message', String(i)));
    await new Promise(r => setTimeout(r, 10));
    d.push(ev('task', 'b'));
    const second = await next(2);
    assert.ok(second.at - first.at >= GAP - 5, `delivered ${Math.round(second.at - first.at)} ms after the previous one`);
    assert.strictEqual(second.batch.idsOf('message').size, 20);
    assert.deepStrictEqual([...second.batch.idsOf('task')], ['b']);
    assert.strictEqual(got.length, 2);
    d.dispose();
  });

  it('an alert (or a recovery) does not wait for the gap, and takes what was pending along', async function () {
    for (const kind of ['alert', 'recovery'] as const) {
      const { d, next } = recorder(GAP);
      d.push(ev('task', 'a'));
      const first = await next(1);
      d.push(ev('message', 'm'));
      d.push(ev(kind, '7'));
      const second = await next(2);
      assert.ok(second.at - first.at < GAP / 2, `${kind} waited ${Math.round(second.at - first.at)} ms`);
      assert.ok(second.batch.has(kind) && second.batch.has('message'));
      d.dispose();
    }
  });

  it('flushNow delivers the pending batch at once and leaves no timer behind', async function () {
    const { d, got } = recorder(30);
    d.push(ev('task', 'a'));
    d.push('all');
    d.flushNow();
    assert.strictEqual(got.length, 1);
    assert.ok(got[0].batch.all);
    await new Promise(r => setTimeout(r, 80));
    assert.strictEqual(got.length, 1, 'the cancelled timer fired a second, empty batch');
    d.flushNow();
    assert.strictEqual(got.length, 1, 'flushNow with nothing pending fired');
    d.dispose();
  });
});
