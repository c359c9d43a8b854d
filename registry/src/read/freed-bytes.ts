// How many bytes deleting a manifest would free, counting shared content once:
// the manifest goes with its tags, and its index children that nothing else in
// the repository holds (no tag, no other index) go with it. Of everything those
// manifests are and reference, garbage collection frees from storage what no
// other manifest in any repository references, and from the repository's usage
// (its quotas) what no other manifest in the repository references. Referrers are
// not counted: deleting a subject leaves them for retention to judge.
import type { MetadataIndex } from '../metadata/index.js';

export interface FreedBytes {
  /** Bytes garbage collection removes from storage. */
  readonly bytes: number;
  /** Bytes the repository's usage (and its quotas) drops by. */
  readonly repositoryBytes: number;
  /** Manifests deleted: this one and the children that go with it. */
  readonly manifests: number;
  /** Distinct blobs (manifests, configs, layers) involved, and how many of them other content shares. */
  readonly blobs: number;
  readonly sharedBlobs: number;
}

/** Index children below this depth are not followed (an index of indexes of indexes is not a real layout). */
const MAX_DEPTH = 3;

export async function freedBytes(index: MetadataIndex, repo: string, digest: string): Promise<FreedBytes> {
  const closure = [digest];
  const blobs = new Set<string>([digest]);
  let frontier = [digest];
  for (let depth = 0; depth < MAX_DEPTH && frontier.length; depth++) {
    const next: string[] = [];
    for (const d of frontier) {
      for (const ref of await index.manifestRefs(repo, d)) {
        if (ref.kind !== 'manifest') {
          blobs.add(ref.digest);
          continue;
        }
        if (closure.includes(ref.digest) || (await held(index, repo, ref.digest, closure))) continue;
        closure.push(ref.digest);
        blobs.add(ref.digest);
        next.push(ref.digest);
      }
    }
    frontier = next;
  }
  const all = [...blobs];
  const [storageFree, repoFree, sizes] = await Promise.all([
    index.unreferencedOutside(repo, closure, all, 'storage'),
    index.unreferencedOutside(repo, closure, all, 'repository'),
    index.blobSizes(all),
  ]);
  const sum = (set: Set<string>) => [...set].reduce((total, d) => total + (sizes.get(d) ?? 0), 0);
  return { bytes: sum(storageFree), repositoryBytes: sum(repoFree), manifests: closure.length, blobs: all.length, sharedBlobs: all.length - storageFree.size };
}

/** A child is kept when a tag names it or a manifest outside the closure lists it. */
async function held(index: MetadataIndex, repo: string, child: string, closure: readonly string[]): Promise<boolean> {
  if ((await index.tagsOf(repo, child)).length) return true;
  const parents = await index.referencing(child, 'manifest', closure.length + 1, repo);
  return parents.some((p) => !closure.includes(p.digest));
}
