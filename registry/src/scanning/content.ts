// How the supply-chain services reach a registry's content: blobs by digest for
// the indexer and the database loader, and a repository view (manifests, blobs,
// referrers, tags, parent indexes) for the signature verifier. Reads go to
// storage for content and to the metadata index for listings.
import type { Readable } from 'node:stream';
import { Code, RegistryError } from '../errors.js';
import type { MetadataIndex } from '../metadata/index.js';
import { parseDigest } from '../reference.js';
import type { OpenBlob } from '../security/blob-source.js';
import type { Descriptor, RepositoryReader, StoredManifest } from '../security/signatures/repository.js';
import type { RegistryStorage } from '../storage/registry-storage.js';

/** Signature payloads and bundles are small; anything larger is not read whole. */
const MAX_SMALL_BLOB = 4 * 1024 * 1024;

function digestOf(value: string) {
  const d = parseDigest(value);
  if (!d) throw new RegistryError(Code.DIGEST_INVALID, { digest: value });
  return d;
}

export function blobOpener(storage: RegistryStorage): OpenBlob {
  return (digest: string): Promise<Readable> => storage.blobs.open(digestOf(digest));
}

/** The verifier's view of one repository. */
export class StoredRepository implements RepositoryReader {
  constructor(private readonly storage: RegistryStorage, private readonly index: MetadataIndex, private readonly repo: string) {}

  async getManifest(reference: string): Promise<StoredManifest | undefined> {
    try {
      const m = await this.storage.manifests.get(this.repo, reference);
      return { digest: m.digest.value, mediaType: m.meta.mediaType, bytes: m.body };
    } catch (err) {
      if (err instanceof RegistryError && (err.is(Code.MANIFEST_UNKNOWN) || err.is(Code.TAG_INVALID) || err.is(Code.DIGEST_INVALID))) return undefined;
      throw err;
    }
  }

  async getBlob(digest: string): Promise<Buffer> {
    const d = digestOf(digest);
    const size = await this.storage.blobs.globalSize(d);
    if (size === undefined) throw new RegistryError(Code.BLOB_UNKNOWN, { digest });
    if (size > MAX_SMALL_BLOB) throw new Error(`blob ${digest} of ${size} bytes is too large to read whole`);
    return this.storage.blobs.read(d);
  }

  async listReferrers(digest: string): Promise<readonly Descriptor[]> {
    const out: Descriptor[] = [];
    for (let after: string | undefined; ;) {
      const page = await this.index.referrers(this.repo, digest, { after, limit: 1000 });
      out.push(...page.items);
      if (!page.next) return out;
      after = page.next;
    }
  }

  async listTags(): Promise<readonly string[]> {
    const out: string[] = [];
    for (let last: string | undefined; ;) {
      const page = await this.index.tagNames(this.repo, { n: 1000, last });
      out.push(...page.items);
      if (!page.next) return out;
      last = page.next;
    }
  }

  indexesListing(digest: string): Promise<readonly string[]> {
    return this.index.indexesListing(this.repo, digest);
  }
}
