// Point reads for the request path (blob existence, manifest metadata) and the
// referrers of a subject.
import type { Db, EngineKind } from '../engine/engine.js';
import { prepare } from '../engine/prepared.js';
import type { LinkedBlob, ManifestInfo, Page, ReferrerDescriptor } from '../types.js';
import { pageSize } from './cursor.js';
import { defined, manifestInfo, parseJson } from './rows.js';

/** The blob's size when it is linked in the repository. */
const selectLinkedBlob = prepare<{ repo: string; digest: string }, { size: number; linked_at: number }>((db, p) =>
  db.selectFrom('layer_links as l').innerJoin('blobs as b', 'b.digest', 'l.digest')
    .select(['b.size', 'l.linked_at']).where('l.repo', '=', p.repo).where('l.digest', '=', p.digest));

export async function linkedBlob(db: Db, kind: EngineKind, repo: string, digest: string): Promise<LinkedBlob | undefined> {
  const [row] = await selectLinkedBlob(db, kind, { repo, digest });
  return row && { size: row.size, linkedAt: row.linked_at };
}

export async function blobSize(db: Db, digest: string): Promise<number | undefined> {
  return (await db.selectFrom('blobs').select('size').where('digest', '=', digest).executeTakeFirst())?.size;
}

/** A manifest's media type when the repository has it: the push path's check, without the whole row. */
const selectManifestMediaType = prepare<{ repo: string; digest: string }, { media_type: string }>((db, p) =>
  db.selectFrom('manifests').select('media_type').where('repo', '=', p.repo).where('digest', '=', p.digest));

export async function manifestMediaType(db: Db, kind: EngineKind, repo: string, digest: string): Promise<string | undefined> {
  const [row] = await selectManifestMediaType(db, kind, { repo, digest });
  return row?.media_type;
}

export async function getManifest(db: Db, repo: string, digest: string): Promise<ManifestInfo | undefined> {
  const row = await db.selectFrom('manifests')
    .select(['digest', 'media_type', 'artifact_type', 'size', 'config_digest', 'created', 'subject', 'annotations', 'platforms', 'pushed_at'])
    .where('repo', '=', repo).where('digest', '=', digest).executeTakeFirst();
  return row && manifestInfo(row);
}

/** Tags pointing at a manifest, in byte order. */
export async function tagsOf(db: Db, repo: string, digest: string): Promise<string[]> {
  const rows = await db.selectFrom('tags').select('tag').where('repo', '=', repo).where('digest', '=', digest).orderBy('tag').execute();
  return rows.map((r) => r.tag);
}

export const MAX_REFERRERS_PAGE = 1000;

/** Manifests in the repository whose subject is `subject`, by digest; `next` is the last digest when more follow. */
export async function referrers(db: Db, repo: string, subject: string,
  query: { artifactType?: string; limit?: number; after?: string } = {}): Promise<Page<ReferrerDescriptor>> {
  const limit = pageSize(query.limit, MAX_REFERRERS_PAGE, MAX_REFERRERS_PAGE);
  let q = db.selectFrom('manifests').select(['digest', 'media_type', 'size', 'artifact_type', 'annotations'])
    .where('repo', '=', repo).where('subject', '=', subject);
  if (query.artifactType !== undefined) q = q.where('artifact_type', '=', query.artifactType);
  if (query.after !== undefined) q = q.where('digest', '>', query.after);
  const rows = await q.orderBy('digest').limit(limit + 1).execute();
  const items = rows.slice(0, limit).map((r) => defined<ReferrerDescriptor>({
    mediaType: r.media_type,
    digest: r.digest,
    size: r.size,
    artifactType: r.artifact_type ?? undefined,
    annotations: parseJson<Record<string, string>>(r.annotations),
  }));
  return defined({ items, next: rows.length > limit ? items.at(-1)?.digest : undefined });
}
