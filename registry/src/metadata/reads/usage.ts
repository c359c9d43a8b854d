// Storage used by a quota scope: every unique digest linked (as a layer or a
// manifest) in any repository the scope's pattern matches, counted once however
// many repositories or tags share it. Exact, from indexed ranges; it reads each
// link in the scope once, so callers cache it between writes.
import { sql } from '../engine/kysely.js';
import type { Db, EngineKind } from '../engine/engine.js';
import type { Usage } from '../types.js';
import { matchesPattern } from './patterns.js';

export async function scopeUsage(db: Db, kind: EngineKind, pattern: string): Promise<Usage> {
  const linked = db.selectFrom('layer_links').select('digest').where(matchesPattern(kind, sql.ref('repo'), pattern))
    .union(db.selectFrom('manifests').select('digest').where(matchesPattern(kind, sql.ref('repo'), pattern)));
  const totals = await db.selectFrom('blobs')
    .select((eb) => [eb.fn.countAll<number>().as('digests'), eb.fn.coalesce(eb.fn.sum<number>('size'), sql<number>`0`).as('bytes')])
    .where('digest', 'in', linked)
    .executeTakeFirstOrThrow();
  const repos = await db.selectFrom('repositories').select((eb) => eb.fn.countAll<number>().as('n'))
    .where(matchesPattern(kind, sql.ref('name'), pattern)).executeTakeFirstOrThrow();
  return { bytes: Number(totals.bytes), digests: Number(totals.digests), repositories: Number(repos.n) };
}

/** The unique digests (with sizes) linked in the scope's repositories, a slice at a time: a quota manager's starting view. */
export async function* scopeContent(db: Db, kind: EngineKind, pattern: string, slice = 5000): AsyncGenerator<Array<{ digest: string; size: number }>> {
  const linked = db.selectFrom('layer_links').select('digest').where(matchesPattern(kind, sql.ref('repo'), pattern))
    .union(db.selectFrom('manifests').select('digest').where(matchesPattern(kind, sql.ref('repo'), pattern)));
  for (let after = ''; ;) {
    const rows = await db.selectFrom('blobs').select(['digest', 'size']).where('digest', 'in', linked).where('digest', '>', after)
      .orderBy('digest').limit(slice).execute();
    if (rows.length) yield rows.map((r) => ({ digest: r.digest, size: Number(r.size) }));
    if (rows.length < slice) return;
    after = rows.at(-1)!.digest;
  }
}
