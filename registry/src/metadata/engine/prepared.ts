// Statements of the request path compiled once per engine. kysely builds an
// operation tree and compiles it to SQL text on every call, 10-20 µs a statement:
// more than SQLite takes to run a point write, and a manifest PUT runs 18 of them.
// A prepared statement is built once, with stand-ins where its values go; each call
// only puts the values in their places. Only for statements whose SQL does not
// depend on the values: no optional columns, no lists, no values kysely inlines
// (compiling checks that every stand-in became a parameter).
import type { Compilable, CompiledQuery } from 'kysely';
import type { Db, EngineKind } from './engine.js';

/** Where the value named `name` goes, found again by identity among the compiled parameters. */
class StandIn {
  constructor(readonly name: string) {}
}

interface Compiled {
  readonly query: CompiledQuery;
  /** Per parameter, the name of the value that goes there, or undefined for a constant of the statement. */
  readonly slots: readonly (string | undefined)[];
}

/** Runs the statement with these values; the rows it returns (none without `returning`). */
export type Prepared<P, O> = (db: Db, kind: EngineKind, values: P) => Promise<O[]>;

/**
 * `build` receives stand-ins typed as the values (`p.repo`, `p.at`, ...) and the
 * engine's kind, and returns the query. A name may be used more than once.
 */
export function prepare<P extends object, O>(build: (db: Db, p: P, kind: EngineKind) => Compilable<O>): Prepared<P, O> {
  const compiled = new Map<EngineKind, Compiled>();
  return async (db, kind, values) => {
    let c = compiled.get(kind);
    if (!c) {
      c = compile(db, kind, build);
      compiled.set(kind, c);
    }
    const given = values as Record<string, unknown>;
    const parameters = c.query.parameters.map((constant, i) => {
      const name = c.slots[i];
      if (name === undefined) return constant;
      const value = given[name];
      // kysely would have left an undefined value's column out: this SQL has it.
      if (value === undefined) throw new TypeError(`prepared statement: no value for ${name} in ${c.query.sql}`);
      return value;
    });
    return (await db.executeQuery<O>({ ...c.query, parameters })).rows;
  };
}

function compile<P extends object>(db: Db, kind: EngineKind, build: (db: Db, p: P, kind: EngineKind) => Compilable<unknown>): Compiled {
  const standIns = new Map<string, StandIn>();
  const p = new Proxy({}, {
    get(_, name) {
      if (typeof name !== 'string') return undefined;
      let s = standIns.get(name);
      if (!s) {
        s = new StandIn(name);
        standIns.set(name, s);
      }
      return s;
    },
  }) as P;
  const query = build(db, p, kind).compile();
  const slots = query.parameters.map((v) => (v instanceof StandIn ? v.name : undefined));
  for (const name of standIns.keys()) {
    if (!slots.includes(name)) throw new TypeError(`prepared statement: ${name} did not become a parameter of ${query.sql}`);
  }
  return { query, slots };
}
