// The announcements of garbage-collection runs (migrations/0004-gc-runs.ts).
import type { Db, EngineKind } from '../engine/engine.js';
import { prepare } from '../engine/prepared.js';

/** Inserts the run's row; a trigger counts it in `gc_announcements` in the same transaction (migrations/0005). */
export async function announceRun(db: Db, at: number): Promise<number> {
  const row = await db.insertInto('gc_runs').values({ started_at: at, heartbeat_at: at }).returning('id').executeTakeFirstOrThrow();
  return Number(row.id);
}

/** True while the run's announcement is still there. */
export async function heartbeatRun(db: Db, id: number, at: number): Promise<boolean> {
  const result = await db.updateTable('gc_runs').set({ heartbeat_at: at }).where('id', '=', id).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function runAnnounced(db: Db, id: number): Promise<boolean> {
  return (await db.selectFrom('gc_runs').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
}

export async function endRun(db: Db, id: number): Promise<void> {
  await db.deleteFrom('gc_runs').where('id', '=', id).execute();
}

/** Whether any run is announced now, and how many were ever announced, read in one statement (one snapshot). */
export interface GcRunState {
  readonly running: boolean;
  readonly announced: number;
}

const selectRunState = prepare<{ id: number }, { announced: number; running: unknown }>((db, p) => db.selectFrom('gc_announcements')
  .select((eb) => ['announced', eb.exists(eb.selectFrom('gc_runs').select('id')).as('running')])
  .where('id', '=', p.id));

export async function runState(db: Db, kind: EngineKind): Promise<GcRunState> {
  const [row] = await selectRunState(db, kind, { id: 1 });
  if (!row) throw new Error('gc_announcements has no row (migration 5 creates it)');
  return { running: Boolean(row.running), announced: Number(row.announced) };
}

/** Removes announcements whose run stopped beating before `before` (its process died); how many. */
export async function clearSilentRuns(db: Db, before: number): Promise<number> {
  const result = await db.deleteFrom('gc_runs').where('heartbeat_at', '<', before).executeTakeFirst();
  return Number(result.numDeletedRows);
}
