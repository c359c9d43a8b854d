// What the repositories under a name prefix hold, link by link: each manifest and
// each linked layer, with its size. A pull-through cache's size budget starts from
// these (an upstream's repositories all start with `<host>/`) instead of walking
// storage. Keyset-paged on (repo, digest), a slice at a time.
import type { Db } from '../engine/engine.js';
import { prefixEnd } from './patterns.js';

export interface HeldDigest {
  readonly repo: string;
  readonly digest: string;
  /** A manifest of the repository, or a blob linked into it. */
  readonly as: 'manifest' | 'layer';
  readonly size: number;
}

export async function* heldUnder(db: Db, prefix: string, slice = 5000): AsyncGenerator<HeldDigest[]> {
  yield* manifestsUnder(db, prefix, slice);
  yield* layersUnder(db, prefix, slice);
}

async function* manifestsUnder(db: Db, prefix: string, slice: number): AsyncGenerator<HeldDigest[]> {
  for (let after = { repo: '', digest: '' }; ;) {
    const rows = await db.selectFrom('manifests').select(['repo', 'digest', 'size'])
      .where('repo', '>=', prefix).where('repo', '<', prefixEnd(prefix))
      .where((eb) => eb.or([eb('repo', '>', after.repo), eb.and([eb('repo', '=', after.repo), eb('digest', '>', after.digest)])]))
      .orderBy('repo').orderBy('digest').limit(slice).execute();
    if (rows.length) yield rows.map((r) => ({ repo: r.repo, digest: r.digest, as: 'manifest' as const, size: Number(r.size) }));
    if (rows.length < slice) return;
    after = rows.at(-1)!;
  }
}

async function* layersUnder(db: Db, prefix: string, slice: number): AsyncGenerator<HeldDigest[]> {
  for (let after = { repo: '', digest: '' }; ;) {
    const rows = await db.selectFrom('layer_links').innerJoin('blobs', 'blobs.digest', 'layer_links.digest')
      .select(['layer_links.repo as repo', 'layer_links.digest as digest', 'blobs.size as size'])
      .where('layer_links.repo', '>=', prefix).where('layer_links.repo', '<', prefixEnd(prefix))
      .where((eb) => eb.or([eb('layer_links.repo', '>', after.repo),
        eb.and([eb('layer_links.repo', '=', after.repo), eb('layer_links.digest', '>', after.digest)])]))
      .orderBy('layer_links.repo').orderBy('layer_links.digest').limit(slice).execute();
    if (rows.length) yield rows.map((r) => ({ repo: r.repo, digest: r.digest, as: 'layer' as const, size: Number(r.size) }));
    if (rows.length < slice) return;
    after = rows.at(-1)!;
  }
}
