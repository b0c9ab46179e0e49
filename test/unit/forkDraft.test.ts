import * as assert from 'assert';
import { checkStateDraft, draftText, positionAt } from '../../src/forkDraft';

// What "Edit and Fork…" makes of a saved draft: the state, or a message and the place it breaks.

describe('fork drafts', () => {
  it('a JSON object is the state; the draft starts as the state pretty-printed', () => {
    const state = { phase: 'build', queue: ['task-5', 'task-3'], nested: { n: 1 } };
    assert.deepStrictEqual(checkStateDraft(draftText(state)), { ok: true, state });
    assert.strictEqual(draftText({ a: 1 }), '{\n  "a": 1\n}\n');
  });

  it('bad JSON: a message saying nothing was stored, at the place it breaks', () => {
    const text = '{\n  "phase": "build",\n  "queue": ["task-5" "task-3"]\n}\n';
    const r = checkStateDraft(text);
    assert.strictEqual(r.ok, false);
    if (r.ok) return;
    assert.match(r.message, /^Not valid JSON: .+\. Nothing was stored; fix it and save again\.$/);
    assert.doesNotMatch(r.message, /position/);
    assert.deepStrictEqual(positionAt(text, r.offset), { line: 2, character: 21 });
  });

  it('a draft cut short points at its end', () => {
    const text = '{\n  "phase": "build",\n';
    const r = checkStateDraft(text);
    assert.ok(!r.ok && r.offset === text.length);
    assert.deepStrictEqual(positionAt(text, text.length), { line: 2, character: 0 });
  });

  it('valid JSON that is not an object is refused, naming what it is', () => {
    for (const [text, what] of [['[1, 2]', 'an array'], ['"build"', 'a string'], ['null', 'null'], ['42', 'a number']]) {
      const r = checkStateDraft(text);
      assert.ok(!r.ok, text);
      if (!r.ok) assert.strictEqual(r.message, `The orchestrator state must be a JSON object ({ … }), not ${what}. Nothing was stored.`);
    }
  });
});
