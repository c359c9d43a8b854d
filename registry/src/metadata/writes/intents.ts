// The write journal's rows (migrations/0002-write-intents.ts).
import type { Db, EngineKind } from '../engine/engine.js';
import { prepare } from '../engine/prepared.js';

export interface WriteIntent {
  readonly id: number;
  readonly repo: string;
  readonly operation: string;
  readonly startedAt: number;
}

const insertIntent = prepare<{ repo: string; operation: string; at: number }, { id: number }>((db, p) =>
  db.insertInto('write_intents').values({ repo: p.repo, operation: p.operation, started_at: p.at }).returning('id'));
const deleteIntent = prepare<{ id: number }, never>((db, p) => db.deleteFrom('write_intents').where('id', '=', p.id));

export async function openIntent(db: Db, kind: EngineKind, repo: string, operation: string, at: number): Promise<number> {
  const [row] = await insertIntent(db, kind, { repo, operation, at });
  return Number(row.id);
}

export async function closeIntent(db: Db, kind: EngineKind, id: number): Promise<void> {
  await deleteIntent(db, kind, { id });
}

function intentOf(r: { id: number; repo: string; operation: string; started_at: number }): WriteIntent {
  return { id: Number(r.id), repo: r.repo, operation: r.operation, startedAt: r.started_at };
}

/** Intents opened before `before` (epoch ms), oldest first: writes that died between storage and index. */
export async function staleIntents(db: Db, before: number, limit = 1000): Promise<WriteIntent[]> {
  const rows = await db.selectFrom('write_intents').select(['id', 'repo', 'operation', 'started_at'])
    .where('started_at', '<', before).orderBy('started_at').orderBy('id').limit(limit).execute();
  return rows.map(intentOf);
}

/** How many journal entries are open for a repository (writes in flight, or left behind), optionally only those opened before `before`. */
export async function openIntentsFor(db: Db, repo: string, before?: number): Promise<number> {
  let query = db.selectFrom('write_intents').select((eb) => eb.fn.countAll<number>().as('n')).where('repo', '=', repo);
  if (before !== undefined) query = query.where('started_at', '<', before);
  const row = await query.executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The journal entries open now for the given operations. */
export async function openIntentsOf(db: Db, operations: readonly string[]): Promise<WriteIntent[]> {
  if (!operations.length) return [];
  const rows = await db.selectFrom('write_intents').select(['id', 'repo', 'operation', 'started_at'])
    .where('operation', 'in', operations).orderBy('id').execute();
  return rows.map(intentOf);
}

/** Whether the journal entry is still open. */
export async function intentOpen(db: Db, id: number): Promise<boolean> {
  return (await db.selectFrom('write_intents').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
}
