// Manifest writes: the manifest row with what the UI and the referrers API show,
// its references (blobs and child manifests), the blob sizes it names, its tags,
// and the repository's counters.
import { prepare } from '../engine/prepared.js';
import type { ManifestRecord } from '../types.js';
import { ensureRepository, linkedAsLayer } from './repository-row.js';
import { chunks } from '../engine/statement-shapes.js';
import { sortedBy, type WriteScope } from './scope.js';
import { recordTagDeletions, writeTag } from './tags.js';

type ManifestRow = ReturnType<typeof manifestRow>;

function manifestRow(m: ManifestRecord, at: number) {
  return {
    media_type: m.mediaType,
    artifact_type: m.artifactType ?? null,
    size: m.size,
    config_digest: m.configDigest ?? null,
    created: m.created ?? null,
    subject: m.subject ?? null,
    annotations: m.annotations && Object.keys(m.annotations).length ? JSON.stringify(m.annotations) : null,
    platforms: m.platforms?.length ? JSON.stringify(m.platforms) : null,
    pushed_at: at,
  };
}

/** Sizes of the content-addressed objects the index learns of: the manifest body and the blobs it names. */
export async function recordBlobSizes(w: WriteScope, blobs: readonly { digest: string; size: number }[]): Promise<void> {
  const unique = new Map(blobs.map((b) => [b.digest, b.size]));
  const rows = sortedBy([...unique].map(([digest, size]) => ({ digest, size })), (r) => r.digest);
  for (const slice of chunks(rows, 256)) {
    await w.trx.insertInto('blobs').values(slice).onConflict((oc) => oc.column('digest').doNothing()).execute();
  }
}

/** The row's columns taken from a prepared statement's stand-ins (a Proxy has no keys to spread). */
const rowOf = (p: ManifestRow): ManifestRow => ({
  media_type: p.media_type, artifact_type: p.artifact_type, size: p.size, config_digest: p.config_digest,
  created: p.created, subject: p.subject, annotations: p.annotations, platforms: p.platforms, pushed_at: p.pushed_at,
});
const insertManifest = prepare<ManifestRow & { repo: string; digest: string }, { digest: string }>((db, p) =>
  db.insertInto('manifests').values({ repo: p.repo, digest: p.digest, ...rowOf(p) })
    .onConflict((oc) => oc.columns(['repo', 'digest']).doNothing()).returning('digest'));
const updateManifest = prepare<ManifestRow & { repo: string; digest: string }, never>((db, p) =>
  db.updateTable('manifests').set(rowOf(p)).where('repo', '=', p.repo).where('digest', '=', p.digest));

export interface ManifestWrite {
  readonly tags: readonly string[];
  readonly actor?: string;
  readonly at: number;
  readonly origin?: string;
}

/**
 * Records a pushed manifest and the tags pushed with it. A manifest already known
 * gets its metadata and push time refreshed and any missing references added.
 */
export async function recordManifest(w: WriteScope, m: ManifestRecord, op: ManifestWrite): Promise<void> {
  const { repo, digest } = m;
  await ensureRepository(w, repo, op.at, op.origin);
  await recordBlobSizes(w, [
    { digest, size: m.size },
    ...m.refs.filter((r) => r.kind !== 'manifest' && r.size !== undefined).map((r) => ({ digest: r.digest, size: r.size! })),
  ]);
  const row = { repo, digest, ...manifestRow(m, op.at) };
  if ((await insertManifest(w.trx, w.kind, row)).length) {
    w.repositories.adjust(repo, { manifests: 1, bytes: (await linkedAsLayer(w, repo, digest)) ? 0 : m.size });
  } else {
    await updateManifest(w.trx, w.kind, row);
  }
  const refs = sortedBy(m.refs.map((r) => ({ repo, digest, kind: r.kind, ref_digest: r.digest })), (r) => `${r.kind} ${r.ref_digest}`);
  for (const slice of chunks(refs, 128)) {
    await w.trx.insertInto('manifest_refs').values(slice).onConflict((oc) => oc.columns(['repo', 'digest', 'kind', 'ref_digest']).doNothing()).execute();
  }
  w.repositories.pushed(repo, op.at);
  w.changed({ kind: 'manifest', repo, digest });
  for (const tag of [...new Set(op.tags)].sort()) await writeTag(w, repo, tag, digest, { actor: op.actor, at: op.at, action: 'push' });
}

export interface ManifestDeletion {
  readonly deleted: boolean;
  /** Tags that pointed at the manifest and went with it. */
  readonly tags: string[];
}

/** Deletes a manifest, every tag pointing at it (with history), its references and pull times. */
export async function deleteManifest(w: WriteScope, repo: string, digest: string, actor: string | undefined, at: number): Promise<ManifestDeletion> {
  const row = await w.trx.deleteFrom('manifests').where('repo', '=', repo).where('digest', '=', digest).returning('size').executeTakeFirst();
  if (!row) return { deleted: false, tags: [] };
  const removed = await w.trx.deleteFrom('tags').where('repo', '=', repo).where('digest', '=', digest).returning(['tag', 'digest']).execute();
  await recordTagDeletions(w, repo, removed, actor, at);
  await w.trx.deleteFrom('manifest_refs').where('repo', '=', repo).where('digest', '=', digest).execute();
  await w.trx.deleteFrom('pulls').where('repo', '=', repo).where('digest', '=', digest).execute();
  const bytes = (await linkedAsLayer(w, repo, digest)) ? 0 : -row.size;
  w.repositories.adjust(repo, { manifests: -1, tags: -removed.length, bytes });
  w.changed({ kind: 'manifest', repo, digest });
  return { deleted: true, tags: removed.map((r) => r.tag).sort() };
}
