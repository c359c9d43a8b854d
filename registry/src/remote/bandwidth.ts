// A bandwidth cap shared by every download from one remote: a token bucket
// refilled at the cap, holding at most a quarter second's worth, so bursts stay short
// and the long-run rate is the cap whatever the number of streams.
import { Transform, type TransformCallback } from 'node:stream';

export class BandwidthLimit {
  private tokens: number;
  private last = Date.now();
  private readonly burst: number;

  constructor(private readonly bytesPerSecond: number) {
    this.burst = Math.max(bytesPerSecond / 4, 64 * 1024);
    this.tokens = this.burst;
  }

  /** Resolves once `bytes` may pass. */
  async take(bytes: number): Promise<void> {
    for (;;) {
      const now = Date.now();
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.bytesPerSecond);
      this.last = now;
      if (this.tokens >= Math.min(bytes, this.burst)) {
        this.tokens -= bytes; // may go negative for a chunk larger than the burst: the next ones wait longer
        return;
      }
      await new Promise((r) => setTimeout(r, Math.ceil(((Math.min(bytes, this.burst) - this.tokens) / this.bytesPerSecond) * 1000)));
    }
  }

  /** A pass-through stream that holds each chunk until the bucket lets it go. */
  stream(): Transform {
    return new Transform({
      transform: (chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) => {
        this.take(chunk.length).then(() => done(null, chunk), done);
      },
    });
  }
}
