import type { Database, SqlJsStatic } from 'sql.js';

// A database file holds our schema and nothing else. A file planted in the folder (or edited in
// place) could carry a trigger that rewrites every acknowledged write, a view shadowing one of our
// tables, or objects of its own; they are dropped before anything of ours runs on the file (our
// schema statements and migrations would already fire a trigger). Dropping loses nothing of ours.

export interface ForeignObject {
  type: string;
  name: string;
}

interface SchemaObject extends ForeignObject {
  sql: string;
}

/** What a new database of that kind holds (type and name, to its definition), made once per sql.js instance and kind. */
const expected = new WeakMap<SqlJsStatic, { live?: Map<string, string>; segment?: Map<string, string> }>();

export type EmptyMaker = (live: boolean) => { db: Database; close(): void };

const key = (type: string, name: string) => `${type}\u0000${name}`;

function objects(db: Database): SchemaObject[] {
  const res = db.exec('SELECT type, name, sql FROM sqlite_master');
  return (res[0]?.values ?? []).map(([type, name, sql]) => ({ type: String(type), name: String(name), sql: String(sql ?? '').replace(/\s+/g, ' ') }));
}

/**
 * `makeEmpty` opens a new database of each kind with our schema (Store.open without bytes): the
 * expected objects are read from it, so this list never needs to follow the schema by hand.
 */
function expectedObjects(SQL: SqlJsStatic, live: boolean, makeEmpty: EmptyMaker): Map<string, string> {
  let e = expected.get(SQL);
  if (!e) expected.set(SQL, (e = {}));
  const kind = live ? 'live' : 'segment';
  // Only the kind asked for: opening a store needs the live one, and an empty store costs ~80 ms
  // while the wasm is cold (every activation).
  let names = e[kind];
  if (!names) {
    const empty = makeEmpty(live);
    try {
      names = e[kind] = new Map(objects(empty.db).map(o => [key(o.type, o.name), o.sql]));
    } finally {
      empty.close();
    }
  }
  return names;
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Order of removal: what hangs on a table goes before it (dropping a table also drops its triggers). */
const ORDER = ['trigger', 'view', 'index', 'table'];

/**
 * Drops every trigger, every view, every index not defined as ours and every table our schema does not have from a
 * database just opened from bytes, before any statement of ours runs on it; returns what went.
 * Throws when an object cannot be dropped (a virtual table of a module sql.js lacks): the file is
 * then refused, as a corrupt one is, and the recovery chain falls back.
 */
export function dropForeignObjects(SQL: SqlJsStatic, db: Database, live: boolean, makeEmpty: EmptyMaker): ForeignObject[] {
  // Functions named in the schema (a view, a default, an index expression) only run if harmless.
  db.exec('PRAGMA trusted_schema = OFF');
  const ours = expectedObjects(SQL, live, makeEmpty);
  const foreign = objects(db)
    // sqlite_* objects are SQLite's own (automatic indexes, sqlite_sequence, sqlite_stat1).
    .filter(o => !o.name.startsWith('sqlite_'))
    // An index of ours never changes: one redefined (made UNIQUE to refuse writes, say) goes, and our schema makes it again.
    .filter(o => o.type === 'trigger' || o.type === 'view' || !ours.has(key(o.type, o.name)) || (o.type === 'index' && ours.get(key(o.type, o.name)) !== o.sql))
    .sort((a, b) => ORDER.indexOf(a.type) - ORDER.indexOf(b.type));
  const dropped: ForeignObject[] = [];
  for (const o of foreign) {
    // A table dropped before may have taken its triggers and indexes with it.
    const still = db.exec('SELECT 1 FROM sqlite_master WHERE type = ? AND name = ?', [o.type, o.name]);
    if (still.length > 0) {
      if (!ORDER.includes(o.type)) throw new Error(`the database holds an object of unknown type ${o.type} named ${o.name}`);
      try {
        db.exec(`DROP ${o.type.toUpperCase()} ${quote(o.name)}`);
      } catch (e) {
        throw new Error(`the database holds a ${o.type} ${o.name} that is not ours and cannot be dropped: ${(e as Error).message}`);
      }
    }
    dropped.push({ type: o.type, name: o.name });
  }
  return dropped;
}

/** For logs and report steps: `trigger tamper, view v`. */
export function describeForeign(objs: ForeignObject[]): string {
  return objs.map(o => `${o.type} ${o.name}`).join(', ');
}
