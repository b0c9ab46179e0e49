// Phase "dayclean": activation on the same day-sized store after a clean exit.
import * as assert from 'assert';
import { activateAndWatch } from './activationFigures';
import { DAY } from './dayStore';

describe('phase dayclean (activation on a day-sized store after a clean exit)', function () {
  it('opens without a crash report and populates the views, never saying "Recovering…"', async function () {
    const { api, seen } = await activateAndWatch('activation_clean_ms', DAY.tasks);
    assert.ok(seen.every(s => s.message === undefined), JSON.stringify(seen));
    assert.strictEqual(api.testing.sessions.current!.engine!.recoveryReport, undefined);
  });
});
