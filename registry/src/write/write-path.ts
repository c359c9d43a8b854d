// The registry's one write path. Every change to content — a client's push or
// delete, a mount, retention, an upload purge, garbage collection's deletions,
// cache fills, rollbacks — goes through it, so every invariant and
// every listener (events, quotas, the metadata index) applies to all of them.
import { Code, hasCode } from '../errors.js';
import type { Logger } from '../log.js';
import type { MetadataIndex } from '../metadata/index.js';
import type { Metrics } from '../metrics/metrics.js';
import type { TagImmutability } from '../policy/immutability.js';
import type { QuotaGate } from '../policy/quota-gate.js';
import type { RetentionExecutor } from '../policy/retention.js';
import type { RegistryStorage } from '../storage/registry-storage.js';
import type { CollectionListener } from '../gc/collector.js';
import { BlobWrites } from './blob-writes.js';
import { CacheFills } from './cache-fills.js';
import { GcWriterProtocol, UNMARKED_OPERATIONS } from './gc-protocol.js';
import { IndexWriter, type Intent } from './index-writer.js';
import { ManifestWrites } from './manifest-writes.js';
import { TagWrites } from './tag-writes.js';
import { WriteContext } from './write-context.js';
import { SYSTEM_RETENTION, type WriteEvent, type WriteListener } from './write-events.js';
import { WritesInFlight } from './writes-in-flight.js';

export interface WritePathOptions {
  readonly storage: RegistryStorage;
  readonly index: MetadataIndex;
  readonly quota: QuotaGate;
  readonly immutability: TagImmutability;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly listeners: readonly WriteListener[];
}

export class WritePath {
  readonly blobs: BlobWrites;
  readonly manifests: ManifestWrites;
  /** What a pull-through cache writes (mirror/): no quota, partial images allowed. */
  readonly cache: CacheFills;
  /** Rollbacks: a tag pointed back at a digest from its history. */
  readonly tags: TagWrites;
  /** Client uploads and manifest PUTs in progress (the /v2 dispatcher counts them); scans on push yield to them. */
  readonly inFlight = new WritesInFlight();
  private readonly context: WriteContext;

  constructor(options: WritePathOptions) {
    const index = new IndexWriter(options.index, options.storage, options.log);
    this.context = new WriteContext(options.storage, options.quota, options.immutability, new GcWriterProtocol(options.storage, index, index),
      index, options.metrics, options.log, options.listeners);
    this.blobs = new BlobWrites(this.context);
    this.manifests = new ManifestWrites(this.context);
    this.cache = new CacheFills(this.context);
    this.tags = new TagWrites(this.context);
  }

  /** Retention deletes through the write path, as the actor "retention". */
  get retention(): RetentionExecutor {
    return {
      deleteTag: async (repo, tag, reason) => missingIsFalse(() => this.manifests.deleteTag(repo, tag, SYSTEM_RETENTION, reason)),
      deleteManifest: async (repo, digest, reason) => missingIsFalse(() => this.manifests.deleteManifest(repo, digest, SYSTEM_RETENTION, reason)),
    };
  }

  /** Garbage collection's deletions: the index follows them (first, for links), then the listeners. */
  get collection(): CollectionListener {
    const { index } = this.context;
    const notify = (event: WriteEvent) => this.context.notify(event);
    return {
      unmarkedOperations: UNMARKED_OPERATIONS,
      sweepStarting: (repo) => index.begin(repo, 'gc-sweep'),
      sweepFinished: (intent) => index.end(intent as Intent),
      manifestCollecting: (repo, digest) => index.manifestForgetting(repo, digest),
      manifestRestored: (repo, digest) => index.manifestRestored(repo, digest),
      manifestCollected: (repo, digest) => notify({ kind: 'gc-manifest-collected', repo, digest }),
      layerLinkCollecting: (repo, digest) => index.linkForgetting(repo, digest),
      layerLinkRestored: (repo, digest) => index.linkRestored(repo, digest),
      layerLinkCollected: (repo, digest) => notify({ kind: 'gc-link-collected', repo, digest }),
      blobCollected: async (digest, size) => {
        await index.blobCollected(digest);
        await notify({ kind: 'gc-blob-collected', digest, size });
      },
    };
  }
}

/** A deletion whose object is already gone (MANIFEST_UNKNOWN) reports false instead of failing. */
async function missingIsFalse(run: () => Promise<void>): Promise<boolean> {
  try {
    await run();
    return true;
  } catch (err) {
    if (hasCode(err, Code.MANIFEST_UNKNOWN)) return false;
    throw err;
  }
}
