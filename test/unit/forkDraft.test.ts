import * as assert from 'assert';
import { checkChannelDraft, checkStateDraft, draftText, positionAt } from '../../src/forkDraft';

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

// A LangGraph checkpoint's channel values as a draft: what it changes, and what it may not.
describe('LangGraph channel drafts', () => {
  const original = { log: ['plan', 'agent'], messages: [], blob: '‹msgpack value, 12 bytes: not JSON, shown read-only and left as it is›' };
  const opaque = new Set(['blob']);
  const channels = ['log', 'messages', 'blob', 'branch:to:agent'];

  it('only the channels whose value changed are edits; an unchanged draft edits nothing', () => {
    assert.deepStrictEqual(checkChannelDraft(draftText(original), original, opaque, channels), { ok: true, edits: {} });
    const text = draftText({ ...original, log: ['edited'] });
    assert.deepStrictEqual(checkChannelDraft(text, original, opaque, channels), { ok: true, edits: { log: ['edited'] } });
    // Key order and spacing are not edits; a channel left out is left as it is.
    assert.deepStrictEqual(checkChannelDraft('{"messages":[],"log":["plan","agent"]}', original, opaque, channels), { ok: true, edits: {} });
    // A channel of the checkpoint without a stored value may be given one.
    assert.deepStrictEqual(checkChannelDraft('{"branch:to:agent":null}', original, opaque, channels), { ok: true, edits: { 'branch:to:agent': null } });
  });

  it('a value that is not JSON stays as its note; an unknown channel is refused; bad JSON as for the state', () => {
    const text = draftText({ ...original, blob: 'changed' });
    const r = checkChannelDraft(text, original, opaque, channels);
    assert.ok(!r.ok);
    if (r.ok) return;
    assert.match(r.message, /^Channel "blob" holds a value that is not JSON: it is shown read-only/);
    assert.deepStrictEqual(positionAt(text, r.offset), { line: 6, character: 2 });
    const unknown = checkChannelDraft('{"nope": 1}', original, opaque, channels);
    assert.ok(!unknown.ok && /no channel "nope"/.test(unknown.message) && unknown.offset === 1);
    const array = checkChannelDraft('[]', original, opaque, channels);
    assert.ok(!array.ok && array.message === 'The channel values must be a JSON object ({ … }), not an array. Nothing was stored.');
    assert.ok(!checkChannelDraft('{"log": [}', original, opaque, channels).ok);
  });
});
