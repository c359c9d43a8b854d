// Paces callers to a fixed rate: each call resolves at the next free slot, slots
// 1/rate seconds apart, shared by every caller. Two soak runs at one rate compare
// at equal load, whatever else the machine is doing (up to the rate it can serve).
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function pacer(perSecond: number, now: () => number = Date.now): () => Promise<void> {
  if (!(perSecond > 0)) throw new Error(`rate must be positive, got ${perSecond}`);
  const interval = 1000 / perSecond;
  let next = now();
  return async () => {
    // A caller that fell behind does not earn a burst: the slot is never in the past.
    const slot = Math.max(next, now());
    next = slot + interval;
    const wait = slot - now();
    if (wait > 0) await sleep(wait);
  };
}
