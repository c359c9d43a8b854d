// The repository row: created by the first write, and holding the counters that
// make repository status one row read. A write transaction collects its counter
// changes and updates the row as its last statement, so on PostgreSQL the row
// lock that serializes writes to one repository is held only from there to the
// commit, not for the whole transaction.
import type { Db, EngineKind } from '../engine/engine.js';
import { prepare } from '../engine/prepared.js';
import type { WriteScope } from './scope.js';

const insertRepository = prepare<{ name: string; at: number; origin: string }, never>((db, p) =>
  db.insertInto('repositories').values({ name: p.name, created_at: p.at, last_push_at: 0, origin: p.origin })
    .onConflict((oc) => oc.column('name').doNothing()));

/** Creates the row if missing, without locking an existing one. */
export async function ensureRepository(w: WriteScope, repo: string, at: number, origin = 'local'): Promise<void> {
  await insertRepository(w.trx, w.kind, { name: repo, at, origin });
}

const updateCounters = prepare<{ name: string; tags: number; manifests: number; bytes: number; pushedAt: number }, never>((db, p) =>
  db.updateTable('repositories')
    .set((eb) => ({
      tag_count: eb('tag_count', '+', p.tags),
      manifest_count: eb('manifest_count', '+', p.manifests),
      size_bytes: eb('size_bytes', '+', p.bytes),
      last_push_at: eb.case().when('last_push_at', '<', p.pushedAt).then(eb.val(p.pushedAt)).else(eb.ref('last_push_at')).end(),
    }))
    .where('name', '=', p.name));

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
  async apply(trx: Db, kind: EngineKind): Promise<void> {
    for (const repo of [...this.pending.keys()].sort()) {
      const p = this.pending.get(repo)!;
      if (!p.tags && !p.manifests && !p.bytes && !p.pushedAt) continue;
      await updateCounters(trx, kind, { name: repo, tags: p.tags, manifests: p.manifests, bytes: p.bytes, pushedAt: p.pushedAt });
    }
    this.pending.clear();
  }
}

/**
 * Whether `digest` counts toward the repository's size through the other table:
 * a digest linked both as a manifest and as a layer is counted once.
 */
const selectLayerLink = prepare<{ repo: string; digest: string }, { digest: string }>((db, p) =>
  db.selectFrom('layer_links').select('digest').where('repo', '=', p.repo).where('digest', '=', p.digest));

export async function linkedAsLayer(w: WriteScope, repo: string, digest: string): Promise<boolean> {
  return (await selectLayerLink(w.trx, w.kind, { repo, digest })).length > 0;
}

const selectManifestRow = prepare<{ repo: string; digest: string }, { digest: string }>((db, p) =>
  db.selectFrom('manifests').select('digest').where('repo', '=', p.repo).where('digest', '=', p.digest));

export async function linkedAsManifest(w: WriteScope, repo: string, digest: string): Promise<boolean> {
  return (await selectManifestRow(w.trx, w.kind, { repo, digest })).length > 0;
}

export async function blobSizeIn(w: WriteScope, digest: string): Promise<number | undefined> {
  return (await w.trx.selectFrom('blobs').select('size').where('digest', '=', digest).executeTakeFirst())?.size;
}
