// Data written into Markdown (the recovery report): read as words, never as markup. A report can
// come from another machine or a planted file, and a Markdown preview fetches images and follows
// links, so nothing from data may make HTML, a link, an image or an auto-linked address.
import { visibleId } from './visibleText';

const ESCAPED = /[\\`*_[\]()!|~<>&]/g;
const ENTITIES: Record<string, string> = { '<': '&lt;', '>': '&gt;', '&': '&amp;' };

/**
 * One value on one line: HTML and link/image syntax escaped, pipes too (safe in table cells), line
 * breaks as spaces, `scheme://` and `host.name` broken so a linkifying preview sees no address,
 * bidi and zero-width characters shown.
 */
export function mdText(value: unknown): string {
  return visibleId(String(value ?? ''))
    .replace(/[\r\n\u2028\u2029]+/g, ' ')
    .replace(ESCAPED, ch => ENTITIES[ch] ?? '\\' + ch)
    .replace(/:(?=\/\/)/g, '\\:')
    .replace(/(?<=[\p{L}\p{N}])\.(?=[\p{L}\p{N}])/gu, '\\.');
}
