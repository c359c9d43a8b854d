// Which manifest a repository serves for a tag or digest, with what its answer's
// headers and the pull gate need: from memory, else the metadata index, else
// storage, as BlobPresence does for blobs. Without it a pull by tag on S3 cost
// two storage requests (a stat of the tag and of the manifest link) even when
// nothing had changed.
//
// The index never claims a manifest or tag storage lacks (deletes and GC remove
// its rows before the storage content), so its "yes" is served as is; its "no"
// is checked with storage, because a push committed just before a crash may not
// be indexed yet. Between a push's storage commit and its index write a reader
// still gets the previous answer, as if it had come a moment earlier; the pusher
// is answered only after the index write. With the database down, storage answers.
import type { Logger } from '../log.js';
import { MetadataUnavailableError, type MetadataIndex } from '../metadata/index.js';
import type { ManifestInfo } from '../metadata/types.js';
import { parseDigest, parseReference, type Digest } from '../reference.js';
import type { ManifestMeta, StoredManifest } from '../storage/manifest-store.js';
import type { RegistryStorage } from '../storage/registry-storage.js';
import { FactCache } from './fact-cache.js';

export interface ResolvedManifest {
  readonly digest: Digest;
  readonly meta: ManifestMeta;
}

/** Cache keys: `tag:<tag>` → digest, `@<digest>` → the manifest's metadata. */
type Fact = string | ManifestMeta;
const tagKey = (tag: string) => `tag:${tag}`;
const manifestKey = (digest: string) => `@${digest}`;

export class ManifestResolution {
  private readonly cache: FactCache<Fact>;

  constructor(private readonly index: MetadataIndex, private readonly storage: RegistryStorage, private readonly log: Logger) {
    this.cache = new FactCache<Fact>(index.invalidations, {
      repositories: 4096, perRepository: 512,
      forget: (facts, change) => {
        if (change.kind === 'tag') facts.delete(tagKey(change.tag));
        else if (change.kind === 'manifest') {
          facts.delete(manifestKey(change.digest));
          for (const [key, value] of facts) if (value === change.digest) facts.delete(key);
        }
      },
    });
  }

  /** The manifest a reference names in the repository; MANIFEST_UNKNOWN when there is none. */
  async resolve(repo: string, reference: string): Promise<ResolvedManifest> {
    const parsed = parseReference(reference);
    try {
      const known = await this.fromIndex(repo, parsed.tag, parsed.digest);
      if (known) return known;
    } catch (err) {
      if (!(err instanceof MetadataUnavailableError)) throw err;
      this.log.debug({ msg: 'metadata index unavailable; manifest resolved in storage', repo, reference });
    }
    return this.storage.manifests.resolve(repo, reference);
  }

  /** The manifest with its body. */
  async get(repo: string, reference: string): Promise<StoredManifest> {
    const { digest, meta } = await this.resolve(repo, reference);
    return { digest, meta, body: await this.storage.manifests.body(digest, reference) };
  }

  private async fromIndex(repo: string, tag: string | undefined, byDigest: Digest | undefined): Promise<ResolvedManifest | undefined> {
    const version = this.cache.version;
    let digest = byDigest?.value;
    if (tag !== undefined) {
      const cached = this.cache.get(repo, tagKey(tag));
      digest = typeof cached === 'string' ? cached : await this.index.resolveTag(repo, tag);
      if (digest === undefined) return undefined;
      if (cached === undefined) this.cache.set(repo, tagKey(tag), digest, version);
    }
    const parsedDigest = digest === undefined ? undefined : parseDigest(digest);
    if (!parsedDigest) return undefined;
    const cached = this.cache.get(repo, manifestKey(parsedDigest.value));
    if (cached !== undefined && typeof cached !== 'string') return { digest: parsedDigest, meta: cached };
    const info = await this.index.getManifest(repo, parsedDigest.value);
    if (!info) return undefined;
    const meta = servingMeta(info);
    this.cache.set(repo, manifestKey(parsedDigest.value), meta, version);
    return { digest: parsedDigest, meta };
  }
}

function servingMeta(info: ManifestInfo): ManifestMeta {
  return {
    mediaType: info.mediaType,
    size: info.size,
    subject: info.subject,
    artifactType: info.artifactType,
    annotations: info.annotations,
    pushedAt: new Date(info.pushedAt).toISOString(),
  };
}
