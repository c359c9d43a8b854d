// How manifests relate, for the browsing API: what a manifest references (with
// sizes), its children's rows, the referrers of a page of subjects counted by
// artifact type, which manifests share a layer (base and derived images), and
// which of a manifest's bytes nothing else references (what deleting it frees).
// Every query is a primary-key or index range read bounded by the page or limit.
import type { Db } from '../engine/engine.js';
import { chunks, IN_LIST } from '../engine/statement-shapes.js';
import type { ManifestInfo, ManifestKey, ReferencedBlob, ReferrerCount } from '../types.js';
import { manifestInfo } from './rows.js';

/** Everything a manifest references, with the blob sizes the index knows, in digest order per kind. */
export async function manifestRefs(db: Db, repo: string, digest: string): Promise<ReferencedBlob[]> {
  const rows = await db.selectFrom('manifest_refs as r').leftJoin('blobs as b', 'b.digest', 'r.ref_digest')
    .select(['r.kind', 'r.ref_digest', 'b.size']).where('r.repo', '=', repo).where('r.digest', '=', digest)
    .orderBy('r.kind').orderBy('r.ref_digest').execute();
  return rows.map((r) => ({ kind: r.kind, digest: r.ref_digest, ...(r.size !== null && r.size !== undefined ? { size: Number(r.size) } : {}) }));
}

/** The index's rows for several manifests of one repository (those it has). */
export async function manifestsIn(db: Db, repo: string, digests: readonly string[]): Promise<ManifestInfo[]> {
  const out: ManifestInfo[] = [];
  for (const slice of chunks([...new Set(digests)], IN_LIST)) {
    const rows = await db.selectFrom('manifests')
      .select(['digest', 'media_type', 'artifact_type', 'size', 'config_digest', 'created', 'subject', 'annotations', 'platforms', 'pushed_at'])
      .where('repo', '=', repo).where('digest', 'in', slice).execute();
    out.push(...rows.map(manifestInfo));
  }
  return out;
}

/** Referrers of each subject counted by artifact type (one grouped read per slice of subjects). */
export async function referrerCounts(db: Db, repo: string, subjects: readonly string[]): Promise<Map<string, ReferrerCount[]>> {
  const out = new Map<string, ReferrerCount[]>();
  for (const slice of chunks([...new Set(subjects)], IN_LIST)) {
    const rows = await db.selectFrom('manifests')
      .select((eb) => ['subject', 'artifact_type', eb.fn.countAll<number>().as('n')])
      .where('repo', '=', repo).where('subject', 'in', slice)
      .groupBy(['subject', 'artifact_type']).orderBy('subject').orderBy('artifact_type').execute();
    for (const r of rows) {
      const list = out.get(r.subject!) ?? [];
      list.push({ artifactType: r.artifact_type ?? '', count: Number(r.n) });
      out.set(r.subject!, list);
    }
  }
  return out;
}

/** Which of `tags` exist in the repository, with the digest each points to. */
export async function existingTags(db: Db, repo: string, tags: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const slice of chunks([...new Set(tags)], IN_LIST)) {
    for (const r of await db.selectFrom('tags').select(['tag', 'digest']).where('repo', '=', repo).where('tag', 'in', slice).execute()) {
      out.set(r.tag, r.digest);
    }
  }
  return out;
}

/** Manifests (in `repo`, or in any repository) that reference `ref` as `kind`, at most `limit`, in key order. */
export async function referencing(db: Db, ref: string, kind: 'layer' | 'manifest' | 'config', limit: number, repo?: string): Promise<ManifestKey[]> {
  let q = db.selectFrom('manifest_refs').select(['repo', 'digest']).where('ref_digest', '=', ref).where('kind', '=', kind);
  if (repo !== undefined) q = q.where('repo', '=', repo);
  const rows = await q.orderBy('repo').orderBy('digest').limit(limit).execute();
  return rows.map((r) => ({ repo: r.repo, digest: r.digest }));
}

/** Repositories holding a manifest with this digest, at most `limit`. */
export async function holders(db: Db, digest: string, limit: number): Promise<string[]> {
  const rows = await db.selectFrom('manifests').select('repo').where('digest', '=', digest).orderBy('repo').limit(limit).execute();
  return rows.map((r) => r.repo);
}

/**
 * For each manifest, how many layers it has and how many of them are in `within`:
 * a base image has all its layers within the image's, a derived image all of the
 * image's layers within its own.
 */
export async function layerOverlap(db: Db, manifests: readonly ManifestKey[], within: readonly string[]): Promise<Map<string, { layers: number; shared: number }>> {
  const out = new Map<string, { layers: number; shared: number }>();
  const wanted = new Set(within);
  const byRepo = new Map<string, string[]>();
  for (const m of manifests) byRepo.set(m.repo, [...(byRepo.get(m.repo) ?? []), m.digest]);
  for (const [repo, digests] of byRepo) {
    for (const slice of chunks([...new Set(digests)], IN_LIST)) {
      const rows = await db.selectFrom('manifest_refs').select(['digest', 'ref_digest'])
        .where('repo', '=', repo).where('kind', '=', 'layer').where('digest', 'in', slice).execute();
      for (const r of rows) {
        const key = `${repo}@${r.digest}`;
        const o = out.get(key) ?? { layers: 0, shared: 0 };
        o.layers += 1;
        if (wanted.has(r.ref_digest)) o.shared += 1;
        out.set(key, o);
      }
    }
  }
  return out;
}

/**
 * Of `blobs`, the ones no manifest outside `closure` (manifests of `repo`) references
 * or is: in every repository when `scope` is 'storage', in `repo` alone when it is
 * 'repository'. One bounded point read per blob (an index range stopped at its
 * first row), so a base layer shared by thousands of images costs the same as any.
 */
export async function unreferencedOutside(db: Db, repo: string, closure: readonly string[], blobs: readonly string[],
  scope: 'storage' | 'repository'): Promise<Set<string>> {
  const out = new Set<string>();
  for (const blob of new Set(blobs)) {
    let refs = db.selectFrom('manifest_refs').select('digest').where('ref_digest', '=', blob)
      .where((eb) => eb.not(eb.and([eb('repo', '=', repo), eb('digest', 'in', closure)])));
    let asManifest = db.selectFrom('manifests').select('digest').where('digest', '=', blob)
      .where((eb) => eb.not(eb.and([eb('repo', '=', repo), eb('digest', 'in', closure)])));
    if (scope === 'repository') {
      refs = refs.where('repo', '=', repo);
      asManifest = asManifest.where('repo', '=', repo);
    }
    if (await refs.limit(1).executeTakeFirst()) continue;
    if (await asManifest.limit(1).executeTakeFirst()) continue;
    out.add(blob);
  }
  return out;
}

/** Sizes of blobs the index knows. */
export async function blobSizes(db: Db, digests: readonly string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const slice of chunks([...new Set(digests)], IN_LIST)) {
    for (const r of await db.selectFrom('blobs').select(['digest', 'size']).where('digest', 'in', slice).execute()) out.set(r.digest, Number(r.size));
  }
  return out;
}

/** Whether the tag ever pointed at `digest` (as its target or the one it replaced). */
export async function tagHadDigest(db: Db, repo: string, tag: string, digest: string): Promise<boolean> {
  const row = await db.selectFrom('tag_history').select('id').where('repo', '=', repo).where('tag', '=', tag)
    .where((eb) => eb.or([eb('digest', '=', digest), eb('previous_digest', '=', digest)])).limit(1).executeTakeFirst();
  return row !== undefined;
}
