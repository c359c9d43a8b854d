// Manifest writes: pushes (with their tags), deletes by digest, tag deletes and
// whole-repository deletes. A push runs, for every caller, in this order:
//   verify the digest → validate → immutability → open the index journal entry →
//   GC touch and reference check → admit the body (quota) → commit (body, link,
//   referrer entry, tags) → index → listeners
// and a delete: immutability → index → storage → listeners.
import { Code, RegistryError, hasCode } from '../errors.js';
import { failpoint } from '../failpoints.js';
import { parseManifest, type ParsedManifest } from '../manifest/parse.js';
import { digestOf, isValidTag, parseReference, type Digest } from '../reference.js';
import type { WriteContext } from './write-context.js';
import type { Actor } from './write-events.js';

export interface ManifestPushed {
  readonly digest: Digest;
  readonly parsed: ParsedManifest;
  readonly tags: readonly string[];
}

export class ManifestWrites {
  constructor(private readonly w: WriteContext) {}

  /**
   * Stores a manifest under a tag or digest reference plus any extra `tags`
   * (the OCI `tag` query parameter). DIGEST_INVALID when a digest reference does
   * not match the body; MANIFEST_INVALID, MANIFEST_BLOB_UNKNOWN, DENIED
   * (immutable tag, quota) refuse it before anything is written.
   */
  async put(repo: string, reference: string, body: Buffer, contentType: string | undefined, extraTags: readonly string[], actor: Actor): Promise<ManifestPushed> {
    const ref = parseReference(reference);
    for (const t of extraTags) if (!isValidTag(t)) throw new RegistryError(Code.TAG_INVALID, { tag: t });
    const digest = digestOf(body, ref.digest?.algorithm ?? 'sha256');
    if (ref.digest && ref.digest.hex !== digest.hex) {
      throw new RegistryError(Code.DIGEST_INVALID, { expected: ref.digest.value, actual: digest.value });
    }
    const parsed = parseManifest(body, contentType);
    const tags = [...new Set(ref.tag ? [ref.tag, ...extraTags] : extraTags)];
    const { immutability, gc, quota, storage, index } = this.w;
    const intent = await immutability.serialise(repo, tags, async () => {
      await immutability.checkPush(repo, tags, digest);
      // The journal entry opens before the GC touch: a collector waits for entries
      // older than its cutoff before it marks (gc/collector.ts), so a push whose touch
      // is too old to protect its references is seen in the index instead.
      const opened = await index.begin(repo, 'manifest-put');
      let storageTouched = false;
      try {
        const linkStands = await gc.beforeManifestPut(repo, digest, parsed);
        let admitted: (committed: boolean) => Promise<void>;
        try {
          admitted = await quota.admit(repo, digest, body.length);
        } catch (err) {
          if (hasCode(err, Code.QUOTA_EXCEEDED)) await this.w.notify({ kind: 'quota-refused', repo, refusal: err.detail as Record<string, unknown>, actor });
          throw err;
        }
        let committed = false;
        try {
          failpoint('manifest-put:intent-opened');
          storageTouched = true;
          await storage.manifests.commit(repo, digest, body, parsed, tags, linkStands);
          failpoint('manifest-put:storage-committed');
          committed = true;
          return opened;
        } finally {
          await admitted(committed);
        }
      } finally {
        // Refused before storage changed: nothing for scrub to settle. A failed commit leaves it open.
        if (!storageTouched) await index.end(opened);
      }
    });
    await index.manifestPut(intent, repo, digest, parsed.mediaType, body, tags, actor);
    this.w.metrics.pushes.inc({ repository: repo });
    await this.w.notify({
      kind: 'manifest-put', repo, digest, mediaType: parsed.mediaType, size: body.length, body, tags, subject: parsed.subject, actor,
    });
    return { digest, parsed, tags };
  }

  /** Deletes a manifest and every tag on it; DENIED when one of them is immutable, MANIFEST_UNKNOWN when absent. */
  async deleteManifest(repo: string, digest: Digest, actor: Actor, reason?: string): Promise<void> {
    const { storage, immutability, index } = this.w;
    immutability.checkRemoval(repo, await storage.tags.tagsFor(repo, digest));
    const intent = await index.manifestDeleting(repo, digest, actor);
    failpoint('manifest-delete:index-deleted');
    const tags = await index.afterDelete(intent, () => storage.manifests.delete(repo, digest));
    await this.w.notify({ kind: 'manifest-deleted', repo, digest, tags, actor, reason });
  }

  /** Deletes a tag (the manifest stays); DENIED when immutable, MANIFEST_UNKNOWN when absent. */
  async deleteTag(repo: string, tag: string, actor: Actor, reason?: string): Promise<void> {
    const { storage, immutability, index } = this.w;
    if (await storage.tags.resolve(repo, tag)) immutability.checkRemoval(repo, [tag]);
    const intent = await index.tagDeleting(repo, tag, actor);
    failpoint('tag-delete:index-deleted');
    await index.afterDelete(intent, async () => {
      if (!(await storage.tags.delete(repo, tag))) throw new RegistryError(Code.MANIFEST_UNKNOWN, { tag });
    });
    await this.w.notify({ kind: 'tag-deleted', repo, tag, actor, reason });
  }

  /** Deletes every tag, manifest and blob link of a repository; the content goes with the next GC run. */
  async deleteRepository(repo: string, actor: Actor): Promise<void> {
    const { repositories } = this.w.storage;
    if (!(await repositories.exists(repo))) throw new RegistryError(Code.NAME_UNKNOWN, { name: repo });
    const intent = await this.w.index.repositoryDeleting(repo, actor);
    await this.w.index.afterDelete(intent, () => repositories.deleteContent(repo));
    await this.w.notify({ kind: 'repository-deleted', repo, actor });
  }
}
