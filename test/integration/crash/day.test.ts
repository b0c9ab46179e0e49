// Phase "day": the first activation on the crashed day-sized store (dayprep).
import * as assert from 'assert';
import { activateAndWatch, assertRecoveringThenData } from './activationFigures';
import { DAY } from './dayStore';

describe('phase day (activation after a crash of a day-sized store)', function () {
  it('the views say "Recovering…" at once, then show the recovered store', async function () {
    const { api, seen } = await activateAndWatch('activation_after_crash_ms', DAY.tasks);
    assertRecoveringThenData(seen, DAY.tasks);
    assert.ok(api.testing.sessions.current!.engine!.recoveryReport, 'the crash was not detected');
  });
});
