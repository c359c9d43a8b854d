// The repository row: created by the first write, locked first by every write to
// the repository (on PostgreSQL the upsert takes its row lock), and holding the
// counters that make repository status one row read.
import type { WriteScope } from './scope.js';

/**
 * Creates the row if missing and locks it; a push also moves last_push_at forward.
 * Every write transaction that adds content starts here.
 */
export async function upsertRepository(w: WriteScope, repo: string, at: number, push: boolean, origin = 'local'): Promise<void> {
  await w.trx.insertInto('repositories')
    .values({ name: repo, created_at: at, last_push_at: push ? at : 0, origin })
    .onConflict((oc) => oc.column('name').doUpdateSet((eb) => ({
      last_push_at: push
        ? eb.case().when('excluded.last_push_at', '>', eb.ref('repositories.last_push_at')).then(eb.ref('excluded.last_push_at'))
          .else(eb.ref('repositories.last_push_at')).end()
        : eb.ref('repositories.last_push_at'),
    })))
    .execute();
}

/** Locks an existing row; false when the repository is unknown (a delete then has nothing to do). */
export async function lockRepository(w: WriteScope, repo: string): Promise<boolean> {
  const result = await w.trx.updateTable('repositories').set((eb) => ({ name: eb.ref('name') })).where('name', '=', repo).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export interface CounterChange {
  tags?: number;
  manifests?: number;
  bytes?: number;
}

export async function adjustCounters(w: WriteScope, repo: string, change: CounterChange): Promise<void> {
  const { tags = 0, manifests = 0, bytes = 0 } = change;
  if (!tags && !manifests && !bytes) return;
  await w.trx.updateTable('repositories')
    .set((eb) => ({
      tag_count: eb('tag_count', '+', tags),
      manifest_count: eb('manifest_count', '+', manifests),
      size_bytes: eb('size_bytes', '+', bytes),
    }))
    .where('name', '=', repo)
    .execute();
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
