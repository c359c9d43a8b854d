// What an image weighs as a client pulls it: its config and layers at their
// compressed (stored) sizes, summed from the manifest's references and the blob
// sizes. An index weighs per platform (each child image the repository holds
// with a platform; build attestations have none), and as a whole the distinct
// blobs of those platforms, shared layers counted once. Two indexed reads per
// level (references by the (repo, digest) key, child rows by primary key), for
// the digests of a page at once.
import type { Db } from '../engine/engine.js';
import { chunks, IN_LIST } from '../engine/statement-shapes.js';
import type { Platform } from '../types.js';
import { parseJson } from './rows.js';

export interface PlatformSize {
  readonly digest: string;
  readonly platform: Platform;
  readonly bytes: number;
}

export interface ImageSize {
  /** An image: config + layers. An index: the distinct blobs of its platforms. */
  readonly bytes: number;
  /** An index's platforms, each with its own image's size, by platform name. */
  readonly platforms?: PlatformSize[];
}

interface Refs {
  /** Blob digest → stored size (blobs not in the store, foreign layers, count 0). */
  readonly blobs: Map<string, number>;
  readonly children: string[];
}

async function refsOf(db: Db, repo: string, digests: readonly string[]): Promise<Map<string, Refs>> {
  const out = new Map<string, Refs>();
  for (const slice of chunks(digests, IN_LIST)) {
    const rows = await db.selectFrom('manifest_refs as r').leftJoin('blobs as b', 'b.digest', 'r.ref_digest')
      .select(['r.digest', 'r.kind', 'r.ref_digest', 'b.size'])
      .where('r.repo', '=', repo).where('r.digest', 'in', slice)
      .orderBy('r.digest').orderBy('r.ref_digest').execute();
    for (const r of rows) {
      let refs = out.get(r.digest);
      if (!refs) out.set(r.digest, refs = { blobs: new Map(), children: [] });
      if (r.kind === 'manifest') refs.children.push(r.ref_digest);
      else refs.blobs.set(r.ref_digest, Number(r.size ?? 0));
    }
  }
  return out;
}

async function platformsOf(db: Db, repo: string, digests: readonly string[]): Promise<Map<string, Platform>> {
  const out = new Map<string, Platform>();
  for (const slice of chunks(digests, IN_LIST)) {
    const rows = await db.selectFrom('manifests').select(['digest', 'platforms'])
      .where('repo', '=', repo).where('digest', 'in', slice).execute();
    for (const r of rows) {
      const platform = parseJson<Platform[]>(r.platforms)?.[0];
      if (platform) out.set(r.digest, platform);
    }
  }
  return out;
}

const name = (p: Platform) => `${p.os}/${p.architecture}/${p.variant ?? ''}`;
const sum = (blobs: Map<string, number>) => [...blobs.values()].reduce((a, b) => a + b, 0);

/** Sizes of the repository's manifests among `digests`; a digest it does not hold is absent. */
export async function imageSizes(db: Db, repo: string, digests: readonly string[]): Promise<Map<string, ImageSize>> {
  const unique = [...new Set(digests)];
  const top = await refsOf(db, repo, unique);
  const childDigests = [...new Set([...top.values()].flatMap((r) => r.children))];
  const [children, platforms] = childDigests.length
    ? await Promise.all([refsOf(db, repo, childDigests), platformsOf(db, repo, childDigests)])
    : [new Map<string, Refs>(), new Map<string, Platform>()];
  const out = new Map<string, ImageSize>();
  for (const [digest, refs] of top) {
    if (!refs.children.length) {
      out.set(digest, { bytes: sum(refs.blobs) });
      continue;
    }
    const distinct = new Map<string, number>();
    const perPlatform: PlatformSize[] = [];
    for (const child of refs.children) {
      const platform = platforms.get(child);
      const blobs = children.get(child)?.blobs;
      if (!platform || !blobs) continue;
      for (const [d, size] of blobs) distinct.set(d, size);
      perPlatform.push({ digest: child, platform, bytes: sum(blobs) });
    }
    perPlatform.sort((a, b) => name(a.platform).localeCompare(name(b.platform)));
    out.set(digest, { bytes: sum(distinct), platforms: perPlatform });
  }
  return out;
}
