// Per-step durations of one reconcile, logged at debug level: where a slow pass
// spends its time.
export class StepTimes {
  readonly ms: Record<string, number> = {};

  async time<T>(step: string, fn: () => T | Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await fn();
    } finally {
      this.ms[step] = Math.round(performance.now() - start);
    }
  }
}
