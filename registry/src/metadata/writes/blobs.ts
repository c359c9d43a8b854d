// Layer links (a blob may be served from a repository) and blob sizes.
import { prepare } from '../engine/prepared.js';
import { blobSizeIn, ensureRepository, linkedAsManifest } from './repository-row.js';
import { chunks, IN_LIST } from '../engine/statement-shapes.js';
import type { WriteScope } from './scope.js';

// Every upload and mount runs these: compiled once (engine/prepared.ts).
const insertBlobSize = prepare<{ digest: string; size: number }, never>((db, p) =>
  db.insertInto('blobs').values({ digest: p.digest, size: p.size }).onConflict((oc) => oc.column('digest').doNothing()));
const insertLayerLink = prepare<{ repo: string; digest: string; at: number }, { digest: string }>((db, p) =>
  db.insertInto('layer_links').values({ repo: p.repo, digest: p.digest, linked_at: p.at })
    .onConflict((oc) => oc.columns(['repo', 'digest']).doNothing()).returning('digest'));
const refreshLayerLink = prepare<{ repo: string; digest: string; at: number }, never>((db, p) =>
  db.updateTable('layer_links').set({ linked_at: p.at }).where('repo', '=', p.repo).where('digest', '=', p.digest));

/** Links a blob into a repository (upload completed, mount); a repeated link refreshes its time. */
export async function linkBlob(w: WriteScope, repo: string, digest: string, size: number, at: number, origin?: string): Promise<void> {
  await ensureRepository(w, repo, at, origin);
  await insertBlobSize(w.trx, w.kind, { digest, size });
  const created = (await insertLayerLink(w.trx, w.kind, { repo, digest, at })).length > 0;
  if (created) {
    if (!(await linkedAsManifest(w, repo, digest))) w.repositories.adjust(repo, { bytes: size });
  } else {
    await refreshLayerLink(w.trx, w.kind, { repo, digest, at });
  }
  w.changed({ kind: 'link', repo, digest });
}

/** Removes a layer link; false when there was none. */
export async function unlinkBlob(w: WriteScope, repo: string, digest: string): Promise<boolean> {
  const row = await w.trx.deleteFrom('layer_links').where('repo', '=', repo).where('digest', '=', digest).returning('digest').executeTakeFirst();
  if (!row) return false;
  if (!(await linkedAsManifest(w, repo, digest))) w.repositories.adjust(repo, { bytes: -((await blobSizeIn(w, digest)) ?? 0) });
  w.changed({ kind: 'link', repo, digest });
  return true;
}

/**
 * Forgets blobs deleted from storage (after a GC sweep). A digest still linked in
 * some repository, as a layer or a manifest, is kept. Returns how many went.
 */
export async function forgetBlobs(w: WriteScope, digests: readonly string[]): Promise<number> {
  let removed = 0;
  for (const slice of chunks([...new Set(digests)].sort(), IN_LIST)) {
    const result = await w.trx.deleteFrom('blobs')
      .where('digest', 'in', slice)
      .where((eb) => eb.not(eb.exists(eb.selectFrom('layer_links').select('layer_links.digest').whereRef('layer_links.digest', '=', 'blobs.digest'))))
      .where((eb) => eb.not(eb.exists(eb.selectFrom('manifests').select('manifests.digest').whereRef('manifests.digest', '=', 'blobs.digest'))))
      .executeTakeFirst();
    removed += Number(result.numDeletedRows);
  }
  return removed;
}
