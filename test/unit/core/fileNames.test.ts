import * as assert from 'assert';
import {
  emergencyFile, imageFile, isEmergencyFile, isReportFile, parseImageName, reportFile, reportMarkdownFile, segmentFile, stamp,
} from '../../../src/core/fileNames';

// The names of the storage folder: built in one place, and recognised by the same rules.

describe('file names', () => {
  const t = Date.parse('2026-11-26T09:05:07.123Z');

  it('stamps times so that names sort by time and carry no colon', () => {
    assert.strictEqual(stamp(t), '2026-11-26T09-05-07-123Z');
    assert.ok(stamp(t) < stamp(t + 1));
  });

  it('recognises what it builds, and nothing else', () => {
    assert.ok(isReportFile(reportFile(t)));
    assert.strictEqual(reportMarkdownFile(reportFile(t)), 'recovery_report_2026-11-26T09-05-07-123Z.md');
    assert.ok(!isReportFile(reportMarkdownFile(reportFile(t))));
    assert.ok(isEmergencyFile(emergencyFile(t)));
    assert.ok(!isEmergencyFile('emergency_notes.txt'));
    assert.strictEqual(segmentFile(t, 42, '_r1'), 'segment_2026-11-26T09-05-07-123Z_42_r1.sqlite');
  });

  it('orders database images by time, then journal position; schema 1 copies count as images', () => {
    const names = [imageFile(t, 9), imageFile(t, 10), imageFile(t - 1000, 99), 'recovery_2026-11-26T09-05-06-000Z_phase_2.sqlite'];
    const parsed = names.map(parseImageName);
    assert.ok(parsed.every(p => p !== undefined));
    const sorted = [...parsed].sort((a, b) => (a!.key < b!.key ? -1 : 1)).map(p => p!.name);
    assert.deepStrictEqual(sorted, [names[3], names[2], names[0], names[1]]);
    assert.strictEqual(parseImageName(imageFile(t, 1))!.gzip, true);
    assert.strictEqual(parseImageName(names[3])!.gzip, false);
    for (const other of ['image_x.sqlite.gz', 'image_2026-11-26T09-05-07-123Z_1.sqlite.gz.tmp', 'jarvis_context.db']) {
      assert.strictEqual(parseImageName(other), undefined, other);
    }
  });
});
