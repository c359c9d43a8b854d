// Client writes in progress in this process: blob uploads and manifest PUTs,
// counted from the request's start to its end (answered, failed or aborted; the
// /v2 dispatcher is the one place that counts, app.ts). Background work that
// competes with pushes for the CPU (scans on push) waits for a quiet moment here.
export class WritesInFlight {
  private count = 0;
  private lastEnded = 0;
  private readonly waiters = new Set<() => void>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  get inFlight(): number {
    return this.count;
  }

  /** Counts one write; the returned function ends it (calling it again does nothing). */
  begin(): () => void {
    this.count++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.count--;
      this.lastEnded = this.now();
      if (this.count === 0) for (const wake of [...this.waiters]) wake();
    };
  }

  /** No write in flight, and none ended in the last `quietMs` (the gap between one push's requests). */
  quiet(quietMs: number): boolean {
    return this.count === 0 && this.now() - this.lastEnded >= quietMs;
  }

  /** Resolves once quiet(quietMs) holds, or when `cancel` fires; never rejects. */
  whenQuiet(quietMs: number, cancel: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
        cancel.removeEventListener('abort', finish);
        resolve();
      };
      const check = () => {
        clearTimeout(timer);
        timer = undefined;
        if (cancel.aborted || this.quiet(quietMs)) return finish();
        // Idle but too recently: look again when the quiet period is over (a new write cancels nothing; check looks again).
        if (this.count === 0) timer = setTimeout(check, Math.max(1, quietMs - (this.now() - this.lastEnded)));
      };
      this.waiters.add(check);
      cancel.addEventListener('abort', finish);
      check();
    });
  }
}
