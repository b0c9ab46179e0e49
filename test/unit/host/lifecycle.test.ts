import * as assert from 'assert';
import { Disposable, onDisposalError } from '../../../src/host/lifecycle';

class Owner extends Disposable {
  add(d: { dispose(): unknown }): void {
    this._register(d);
  }
}

describe('Disposable', () => {
  afterEach(() => onDisposalError(undefined));

  it('disposes in reverse order and past a failing disposable, reporting its error', () => {
    const order: string[] = [];
    const errors: unknown[] = [];
    onDisposalError(e => errors.push(e));
    const o = new Owner();
    o.add({ dispose: () => order.push('first') });
    o.add({ dispose: () => { throw new Error('second failed'); } });
    o.add({ dispose: () => order.push('third') });
    o.dispose();
    assert.deepStrictEqual(order, ['third', 'first']);
    assert.deepStrictEqual(errors.map(e => (e as Error).message), ['second failed']);
  });

  it('without a sink, throws the errors once everything is released', () => {
    const order: string[] = [];
    const o = new Owner();
    o.add({ dispose: () => order.push('first') });
    o.add({ dispose: () => { throw new Error('a'); } });
    o.add({ dispose: () => { throw new Error('b'); } });
    assert.throws(() => o.dispose(), (e: unknown) => e instanceof AggregateError && e.errors.length === 2);
    assert.deepStrictEqual(order, ['first']);
  });
});
