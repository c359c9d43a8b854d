// What every write operation works with: the stores, the policies a write must
// pass, the GC writer protocol, the metadata index, metrics, and the listeners
// told after a commit.
// Every collaborator is always present; a feature that is off is a no-op.
import { failpoint } from '../failpoints.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics/metrics.js';
import type { TagImmutability } from '../policy/immutability.js';
import type { QuotaGate } from '../policy/quota-gate.js';
import type { RegistryStorage } from '../storage/registry-storage.js';
import type { GcWriterProtocol } from './gc-protocol.js';
import type { Digest } from '../reference.js';
import type { IndexWriter, Intent } from './index-writer.js';
import type { Actor, CacheOrigin, WriteEvent, WriteListener } from './write-events.js';

export class WriteContext {
  constructor(
    readonly storage: RegistryStorage,
    readonly quota: QuotaGate,
    readonly immutability: TagImmutability,
    readonly gc: GcWriterProtocol,
    readonly index: IndexWriter,
    readonly metrics: Metrics,
    private readonly log: Logger,
    private readonly listeners: readonly WriteListener[],
  ) {}

  /**
   * After a blob link (an upload, a mount, a cache fill): the GC re-check (which may
   * take the link back), then the index, then the listeners.
   */
  async blobLinked(intent: Intent, repo: string, digest: Digest, size: number, actor: Actor, cache?: CacheOrigin): Promise<void> {
    failpoint('blob-link:storage-committed');
    try {
      await this.gc.afterBlobLink(repo, digest);
    } catch (err) {
      await this.index.end(intent); // the link is gone again: nothing for the index
      throw err;
    }
    await this.index.blobLinked(intent, repo, digest, size);
    await this.notify({ kind: 'blob-linked', repo, digest, size, actor, ...(cache ? { cache } : {}) });
  }

  /** Tells every listener, in order, about a committed write; a listener's failure never undoes it. */
  async notify(event: WriteEvent): Promise<void> {
    for (const listener of this.listeners) {
      try {
        await listener.onWrite(event);
      } catch (err) {
        this.log.error({ msg: 'write listener failed', kind: event.kind, err });
      }
    }
  }
}
