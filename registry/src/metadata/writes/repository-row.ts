// The repository row: created by the first write, and holding the counters that
// make repository status one row read. A write transaction collects its counter
// changes and updates the row as its last statement, so on PostgreSQL the row
// lock that serializes writes to one repository is held only from there to the
// commit, not for the whole transaction.
import type { Db } from '../engine/engine.js';
import type { WriteScope } from './scope.js';

/** Creates the row if missing, without locking an existing one. */
export async function ensureRepository(w: WriteScope, repo: string, at: number, origin = 'local'): Promise<void> {
  await w.trx.insertInto('repositories').values({ name: repo, created_at: at, last_push_at: 0, origin })
    .onConflict((oc) => oc.column('name').doNothing()).execute();
}

export interface CounterChange {
  tags?: number;
  manifests?: number;
  bytes?: number;
}

interface Pending {
  tags: number;
  manifests: number;
  bytes: number;
  pushedAt: number;
}

export class RepositoryChanges {
  private readonly pending = new Map<string, Pending>();

  private entry(repo: string): Pending {
    let p = this.pending.get(repo);
    if (!p) {
      p = { tags: 0, manifests: 0, bytes: 0, pushedAt: 0 };
      this.pending.set(repo, p);
    }
    return p;
  }

  adjust(repo: string, change: CounterChange): void {
    const p = this.entry(repo);
    p.tags += change.tags ?? 0;
    p.manifests += change.manifests ?? 0;
    p.bytes += change.bytes ?? 0;
  }

  /** A manifest or tag push: last_push_at moves forward (never back). */
  pushed(repo: string, at: number): void {
    const p = this.entry(repo);
    p.pushedAt = Math.max(p.pushedAt, at);
  }

  /** One UPDATE per repository touched, in name order. */
  async apply(trx: Db): Promise<void> {
    for (const repo of [...this.pending.keys()].sort()) {
      const p = this.pending.get(repo)!;
      if (!p.tags && !p.manifests && !p.bytes && !p.pushedAt) continue;
      await trx.updateTable('repositories')
        .set((eb) => ({
          tag_count: eb('tag_count', '+', p.tags),
          manifest_count: eb('manifest_count', '+', p.manifests),
          size_bytes: eb('size_bytes', '+', p.bytes),
          // eb.val: kysely inlines a bare number given to then() into the SQL text, which made
          // every push time a new statement for SQLite to prepare and the statement cache to hold.
          last_push_at: eb.case().when('last_push_at', '<', p.pushedAt).then(eb.val(p.pushedAt)).else(eb.ref('last_push_at')).end(),
        }))
        .where('name', '=', repo)
        .execute();
    }
    this.pending.clear();
  }
}

/**
 * Whether `digest` counts toward the repository's size through the other table:
 * a digest linked both as a manifest and as a layer is counted once.
 */
export async function linkedAsLayer(w: WriteScope, repo: string, digest: string): Promise<boolean> {
  return !!(await w.trx.selectFrom('layer_links').select('digest').where('repo', '=', repo).where('digest', '=', digest).executeTakeFirst());
}

export async function linkedAsManifest(w: WriteScope, repo: string, digest: string): Promise<boolean> {
  return !!(await w.trx.selectFrom('manifests').select('digest').where('repo', '=', repo).where('digest', '=', digest).executeTakeFirst());
}

export async function blobSizeIn(w: WriteScope, digest: string): Promise<number | undefined> {
  return (await w.trx.selectFrom('blobs').select('size').where('digest', '=', digest).executeTakeFirst())?.size;
}
