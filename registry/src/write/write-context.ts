// What every write operation works with: the stores, the policies a write must
// pass, the GC writer protocol, the metadata index, metrics, and the listeners
// told after a commit.
// Every collaborator is always present; a feature that is off is a no-op.
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics/metrics.js';
import type { TagImmutability } from '../policy/immutability.js';
import type { QuotaGate } from '../policy/quota-gate.js';
import type { RegistryStorage } from '../storage/registry-storage.js';
import type { GcWriterProtocol } from './gc-protocol.js';
import type { IndexWriter } from './index-writer.js';
import type { WriteEvent, WriteListener } from './write-events.js';

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
