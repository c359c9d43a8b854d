// Tag writes that are not pushes: rolling a tag back to a manifest it pointed to
// before. It runs, for every caller, in this order:
//   the digest is in the tag's history → immutability → GC touch and presence
//   check → open the index journal entry → the tag in storage → index (a
//   `restore` history entry) → listeners
// Who may roll back (push on the repository) is the caller's check.
import { Code, RegistryError } from '../errors.js';
import { isValidTag, type Digest } from '../reference.js';
import type { WriteContext } from './write-context.js';
import type { Actor } from './write-events.js';

export interface TagRestored {
  /** What the tag pointed to before, when it existed. */
  readonly previous?: Digest;
  /** False when the tag already pointed at the digest (nothing written). */
  readonly changed: boolean;
}

export class TagWrites {
  constructor(private readonly w: WriteContext) {}

  /**
   * Points `tag` back at `digest`. MANIFEST_UNKNOWN when the tag never named the
   * digest or the manifest is gone; DENIED when the tag is immutable and points
   * elsewhere; UNAVAILABLE when the index cannot be written.
   */
  async restore(repo: string, tag: string, digest: Digest, actor: Actor): Promise<TagRestored> {
    if (!isValidTag(tag)) throw new RegistryError(Code.TAG_INVALID, { tag });
    const { storage, immutability, gc, index } = this.w;
    if (!(await index.tagHadDigest(repo, tag, digest))) {
      throw new RegistryError(Code.MANIFEST_UNKNOWN, { tag, digest: digest.value, reason: 'the tag never pointed to this digest' });
    }
    const outcome = await immutability.serialise(repo, [tag], async () => {
      await immutability.checkPush(repo, [tag], digest);
      // The journal entry opens before the GC touch, as for a push (manifest-writes.ts).
      const intent = await index.begin(repo, 'tag-restore');
      let storageTouched = false;
      try {
        await gc.beforeTagRestore(repo, digest);
        const previous = await storage.tags.resolve(repo, tag);
        if (previous?.value === digest.value) return { previous, changed: false as const };
        const meta = await storage.manifests.meta(repo, digest);
        if (!meta) throw new RegistryError(Code.MANIFEST_UNKNOWN, { digest: digest.value });
        // A storage failure from here leaves the journal entry open: scrub settles what was written.
        storageTouched = true;
        await storage.tags.set(repo, tag, digest);
        return { previous, changed: true as const, intent, meta };
      } finally {
        if (!storageTouched) await index.end(intent);
      }
    });
    if (!outcome.changed) return { previous: outcome.previous, changed: false };
    await index.tagRestored(outcome.intent, repo, tag, digest, actor);
    await this.w.notify({
      kind: 'tag-restored', repo, tag, digest, previous: outcome.previous, mediaType: outcome.meta.mediaType, size: outcome.meta.size, actor,
    });
    return { previous: outcome.previous, changed: true };
  }
}
