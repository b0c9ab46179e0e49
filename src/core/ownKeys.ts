// Objects filled with keys users choose (context keys, task and agent ids, attribute names).
// `o[k] = v` with k = "__proto__" sets the prototype instead of adding a key, and `o[k]` or `k in o`
// find inherited members ("constructor"): such objects are written and read as own properties only.

/** Sets `o[k]` as an own, enumerable property, whatever the key (keeps insertion order). */
export function setOwn<T>(o: { [key: string]: T }, k: string, v: T): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

/** `o[k]` when `o` has it as its own property, else undefined (never an inherited member). */
export function getOwn<T>(o: { [key: string]: T }, k: string): T | undefined {
  return Object.hasOwn(o, k) ? o[k] : undefined;
}
