// A short fuzz run inside npm test; `npm run fuzz` runs the long one (test/fuzz/http-fuzz.ts).
import * as assert from 'assert';
import { runHttpFuzz } from '../../fuzz/http-fuzz';

describe('server: fuzz', () => {
  it('survives 1,000 random and mutated requests and holds exactly what it acknowledged', async function () {
    this.timeout(180_000);
    const count = Number(process.env.JARVIS_FUZZ_UNIT_COUNT ?? 1_000);
    const res = await runHttpFuzz({ count });
    assert.strictEqual(res.requests, count);
    // The run must have exercised both sides: accepted writes and refusals.
    assert.ok(res.accepted > count / 10, JSON.stringify(res));
    assert.ok(Object.keys(res.byStatus).some(s => s.startsWith('4')), JSON.stringify(res));
  });
});
