// When each cached tag (or digest) was last pulled: eviction removes the least
// recently pulled first. Kept in memory behind this interface so the metadata
// index can supply it (durable, shared by replicas) without touching eviction.
// Unknown times (after a restart) fall back to when the tag was last validated.

export interface PullTimes {
  /** Records a pull of a tag or digest reference of a repository. */
  pulled(repo: string, reference: string, at?: number): void;
  /** Epoch ms of the last recorded pull, or undefined. */
  lastPulled(repo: string, reference: string): number | undefined;
  /** Forgets a reference that was evicted. */
  forget(repo: string, reference: string): void;
}

export class MemoryPullTimes implements PullTimes {
  private readonly times = new Map<string, number>();

  pulled(repo: string, reference: string, at = Date.now()): void {
    this.times.set(`${repo}\n${reference}`, at);
  }

  lastPulled(repo: string, reference: string): number | undefined {
    return this.times.get(`${repo}\n${reference}`);
  }

  forget(repo: string, reference: string): void {
    this.times.delete(`${repo}\n${reference}`);
  }
}
