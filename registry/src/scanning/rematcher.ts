// Re-match, not re-scan: when a new database is in use, every stored inventory
// is matched against it (images, then unsupported and non-image artifacts, then indexes from
// their children's new results). No layer is read: the inventories carry the
// purls. Advisories a digest never had before are announced once each.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Logger } from '../log.js';
import type { InventoryKind, MetadataIndex } from '../metadata/index.js';
import type { Announcer } from './announcer.js';
import { BackendUnavailableError, type MatchBackend } from './backends/backend.js';
import type { Inventories } from './inventories.js';
import type { Results } from './results.js';

export interface RematchReport {
  readonly database: string;
  readonly inventories: number;
  readonly announced: number;
  readonly layerReads: number;
  readonly seconds: number;
}

const ORDER: readonly InventoryKind[] = ['image', 'unsupported', 'not-applicable', 'index'];

export class Rematcher {
  private running: Promise<RematchReport | undefined> | undefined;
  private again = false;
  last: RematchReport | undefined;

  constructor(
    private readonly index: MetadataIndex,
    private readonly inventories: Inventories,
    private readonly results: Results,
    private readonly backend: MatchBackend,
    private readonly announcer: Announcer,
    private readonly log: Logger,
  ) {}

  get inProgress(): boolean {
    return this.running !== undefined;
  }

  /** Re-matches everything stored; a call while one runs makes it run once more afterwards. */
  rematch(): Promise<RematchReport | undefined> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      let report: RematchReport | undefined;
      do {
        this.again = false;
        report = await this.pass();
      } while (this.again);
      return report;
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pass(): Promise<RematchReport | undefined> {
    const database = this.backend.resultKey();
    if (!this.backend.followsVulnDb || !database) return undefined;
    const started = performance.now();
    const readsBefore = this.inventories.layerReads;
    let inventories = 0;
    let announced = 0;
    for (const kind of ORDER) {
      for await (const slice of this.index.inventories(kind)) {
        for (const record of slice) {
          const obtained = await this.inventories.fromRecord(record);
          if (!obtained) continue;
          try {
            const outcome = await this.results.matchAndStore('', obtained, '', { announce: true, reuseChildren: true });
            inventories++;
            announced += outcome.added.length;
            await this.announcer.announce(record.digest, outcome.result.key, outcome.added);
          } catch (err) {
            if (err instanceof BackendUnavailableError) return undefined; // the database went away mid-way: the next one re-matches
            this.log.warn({ msg: 're-match failed', digest: record.digest, err: (err as Error).message });
          }
        }
        await yieldToEventLoop();
      }
    }
    const report = { database, inventories, announced, layerReads: this.inventories.layerReads - readsBefore, seconds: (performance.now() - started) / 1000 };
    this.last = report;
    this.log.info({ msg: 're-matched stored inventories', ...report });
    return report;
  }
}
