import * as assert from 'assert';
import { ChangeBatch, ChangeDebouncer } from '../../../src/host/changes';

const tick = (ms: number) => new Promise<void>(r => setTimeout(r, ms));

describe('ChangeDebouncer', function () {
  it('merges a burst into one batch', async function () {
    const got: ChangeBatch[] = [];
    const d = new ChangeDebouncer(b => got.push(b), 30, 200);
    d.push({ kind: 'task', ids: ['a'], at: '' });
    d.push({ kind: 'task', ids: ['b'], at: '' });
    d.push({ kind: 'agent', ids: ['x'], at: '' });
    assert.strictEqual(got.length, 0, 'fired before the window closed');
    await tick(80);
    assert.strictEqual(got.length, 1);
    assert.deepStrictEqual([...got[0].idsOf('task')].sort(), ['a', 'b']);
    assert.ok(got[0].has('agent') && !got[0].has('decision') && !got[0].all);
    d.dispose();
  });

  it('flushNow delivers the pending batch at once and leaves no timer behind', async function () {
    const got: ChangeBatch[] = [];
    const d = new ChangeDebouncer(b => got.push(b), 30, 200);
    d.push({ kind: 'task', ids: ['a'], at: '' });
    d.push('all');
    d.flushNow();
    assert.strictEqual(got.length, 1);
    assert.ok(got[0].all);
    await tick(80);
    assert.strictEqual(got.length, 1, 'the cancelled timer fired a second, empty batch');
    d.flushNow();
    assert.strictEqual(got.length, 1, 'flushNow with nothing pending fired');
    d.dispose();
  });
});
