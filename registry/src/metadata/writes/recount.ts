// Counters recomputed from the rows (scrub, and after a crash between a storage
// commit and the index write): compares with the stored ones and repairs drift.
import { sql } from '../engine/kysely.js';
import type { Db } from '../engine/engine.js';
import { lockedRead, type WriteScope } from './scope.js';

export interface Counters {
  readonly tagCount: number;
  readonly manifestCount: number;
  readonly sizeBytes: number;
}

export async function countRepository(db: Db, repo: string): Promise<Counters> {
  const tags = await db.selectFrom('tags').select((eb) => eb.fn.countAll<number>().as('n')).where('repo', '=', repo).executeTakeFirstOrThrow();
  const manifests = await db.selectFrom('manifests').select((eb) => eb.fn.countAll<number>().as('n')).where('repo', '=', repo).executeTakeFirstOrThrow();
  const linked = db.selectFrom('layer_links').select('digest').where('repo', '=', repo)
    .union(db.selectFrom('manifests').select('digest').where('repo', '=', repo));
  const size = await db.selectFrom('blobs').select((eb) => eb.fn.coalesce(eb.fn.sum<number>('size'), sql<number>`0`).as('n'))
    .where('digest', 'in', linked).executeTakeFirstOrThrow();
  return { tagCount: Number(tags.n), manifestCount: Number(manifests.n), sizeBytes: Number(size.n) };
}

/** Recomputes the counters; returns the stored ones when they differed (and were repaired), else undefined. */
export async function recountRepository(w: WriteScope, repo: string): Promise<Counters | undefined> {
  // Lock the row first: no write to the repository commits between the count and the repair.
  const stored = await lockedRead(w.kind, w.trx.selectFrom('repositories').select(['tag_count', 'manifest_count', 'size_bytes']).where('name', '=', repo))
    .executeTakeFirst();
  if (!stored) return undefined;
  const actual = await countRepository(w.trx, repo);
  if (stored.tag_count === actual.tagCount && stored.manifest_count === actual.manifestCount && stored.size_bytes === actual.sizeBytes) return undefined;
  await w.trx.updateTable('repositories')
    .set({ tag_count: actual.tagCount, manifest_count: actual.manifestCount, size_bytes: actual.sizeBytes })
    .where('name', '=', repo).execute();
  return { tagCount: stored.tag_count, manifestCount: stored.manifest_count, sizeBytes: stored.size_bytes };
}
