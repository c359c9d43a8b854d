// When the upstream last confirmed a cached tag. The confirmation is stored as the
// tag's write time, but that write (an fsync'd file with the filesystem driver) is
// kept off the response: a revalidated pull is answered as soon as the upstream's
// HEAD confirmed the digest. Until the write lands, this process remembers the time,
// so the pulls that follow neither wait for the write nor ask the upstream again.
import type { Logger } from '../log.js';

export interface Pending {
  readonly digest: string;
  readonly at: number;
}

export class TagConfirmations {
  private readonly pending = new Map<string, Pending>();
  private readonly writes = new Set<Promise<void>>();

  constructor(private readonly log: Logger) {}

  /**
   * The confirmation still being written for the tag, if any. Read it before the
   * stored tag: a write that lands in between then shows in one read or the other
   * (read after, the entry may be gone while the stored time read before is old).
   */
  pendingFor(repo: string, tag: string): Pending | undefined {
    return this.pending.get(key(repo, tag));
  }

  /** The upstream confirmed the tag on `digest` now; `store` writes that down (in the background). */
  confirm(repo: string, tag: string, digest: string, store: () => Promise<void>, at = Date.now()): void {
    const k = key(repo, tag);
    const entry: Pending = { digest, at };
    this.pending.set(k, entry);
    const write: Promise<void> = store()
      .catch((err: unknown) => this.log.warn({ msg: 'recording a cached tag\'s revalidation failed', repo, tag, err: (err as Error).message }))
      .finally(() => {
        if (this.pending.get(k) === entry) this.pending.delete(k);
        this.writes.delete(write);
      });
    this.writes.add(write);
  }

  /** Resolves when every write begun so far has ended (shutdown, tests). */
  async settled(): Promise<void> {
    await Promise.all([...this.writes]);
  }
}

/** When the tag, stored on `digest` at `writtenAt`, was last confirmed: a newer confirmation still being written (`pendingFor`, read first) wins. */
export function confirmedAt(pending: Pending | undefined, digest: string, writtenAt: number): number {
  return pending && pending.digest === digest && pending.at > writtenAt ? pending.at : writtenAt;
}

function key(repo: string, tag: string): string {
  return `${repo}:${tag}`;
}
