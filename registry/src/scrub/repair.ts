// Repairs the index after writes that died between their storage commit and their
// index write (a crash, or the database failing that one write): every journal
// entry older than any live write is taken as left behind, its repository is
// scrubbed from storage, and the entry is closed.
import type { Logger } from '../log.js';
import type { MetadataIndex, WriteIntent } from '../metadata/index.js';
import type { Scrubber } from './scrubber.js';


export class IndexRepair {
  private running?: Promise<number>;

  constructor(
    private readonly scrubber: Scrubber,
    private readonly index: MetadataIndex,
    private readonly log: Logger,
    /** A journal entry this old belongs to a write that is no longer running. */
    private readonly leftBehindMs = 60_000,
  ) {}

  /** Scrubs every repository with entries older than `ageMs`; returns how many entries were closed. */
  repair(ageMs = this.leftBehindMs): Promise<number> {
    this.running ??= this.run(ageMs).finally(() => { this.running = undefined; });
    return this.running;
  }

  private async run(ageMs: number): Promise<number> {
    const byRepo = new Map<string, WriteIntent[]>();
    for (const intent of await this.index.staleIntents(Date.now() - ageMs)) {
      byRepo.set(intent.repo, [...(byRepo.get(intent.repo) ?? []), intent]);
    }
    let closed = 0;
    for (const [repo, intents] of byRepo) {
      const result = await this.scrubber.scrubRepository(repo, false, intents.length);
      if (result === 'busy') continue;
      for (const intent of intents) await this.index.closeIntent(intent.id);
      closed += intents.length;
      this.log.info({ msg: 'metadata index repaired after interrupted writes', repo, operations: intents.map((i) => i.operation) });
    }
    return closed;
  }
}
