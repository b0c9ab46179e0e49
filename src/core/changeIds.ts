/**
 * Adds `ids` to the set of `kind`: how the changes of one batch, one group commit or one
 * debounce window are merged, each id once per kind.
 */
export function addChangeIds<K>(into: Map<K, Set<string>>, kind: K, ids: Iterable<string>): void {
  let set = into.get(kind);
  if (!set) into.set(kind, (set = new Set()));
  for (const id of ids) set.add(id);
}
