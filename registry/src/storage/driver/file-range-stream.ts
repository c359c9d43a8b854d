// A byte range of an open file, for blob GETs. Read as a Readable it allocates a
// fresh buffer per read, as the stream contract requires (a consumer may keep
// any chunk). `copyTo` instead writes the range to a destination through two
// pooled buffers, each reused once the destination has taken its bytes: a pull
// then allocates nothing per read, where 1 MiB per read made V8 run a full
// mark-compact about every 64 MiB sent (its external-memory trigger), whose
// marking and sweeping threads cost about as much CPU as the transfer itself.
import { close, read } from 'node:fs';
import { Readable, type Writable } from 'node:stream';
import { READ_BUFFER_BYTES as CHUNK, recycleReadBuffer as recycle, takeReadBuffer as takeBuffer } from './read-buffers.js';

/** Buffers one copy may have written but not yet flushed: one filling while one drains. */
const MAX_IN_FLIGHT = 2;

function prematureClose(): Error {
  return Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
}

export class FileRangeStream extends Readable {
  private readsInFlight = 0;
  private closeRequested?: () => void;

  /** Takes ownership of `fd`, closed when the stream ends or is destroyed. */
  constructor(private readonly fd: number, private position: number, private remaining: number) {
    super({ highWaterMark: CHUNK });
  }

  override _read(): void {
    const size = Math.min(CHUNK, this.remaining);
    if (size === 0) {
      this.push(null);
      return;
    }
    const buffer = Buffer.allocUnsafeSlow(size);
    this.readNext(buffer, size, (err, n) => {
      if (err) this.destroy(err);
      else this.push(n === size ? buffer : buffer.subarray(0, n));
    });
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    // A read still running on the thread pool must finish before the descriptor
    // is closed: its number could otherwise be reused by another open meanwhile.
    this.closeRequested = () => close(this.fd, (closeErr) => callback(err ?? closeErr));
    if (this.readsInFlight === 0) this.closeRequested();
  }

  /**
   * Writes the whole range to `out` and ends it; for a stream nothing has read
   * from yet. Rejects like `pipeline` would, also when `out` closes early.
   */
  async copyTo(out: Writable): Promise<void> {
    try {
      await this.copyRange(out);
    } finally {
      this.destroy();
    }
  }

  /** Reads the next bytes of the range into `buffer`; a short file is an error. */
  private readNext(buffer: Buffer, size: number, done: (err: Error | null, n: number) => void): void {
    this.readsInFlight++;
    read(this.fd, buffer, 0, size, this.position, (err, n) => {
      this.readsInFlight--;
      if (this.closeRequested && this.readsInFlight === 0) this.closeRequested();
      if (!err && n === 0) err = new Error('file ended before the requested range');
      if (!err) {
        this.position += n;
        this.remaining -= n;
      }
      done(err, n);
    });
  }

  private copyRange(out: Writable): Promise<void> {
    return new Promise((resolve, reject) => {
      if (out.destroyed) {
        reject(prematureClose());
        return;
      }
      let writesInFlight = 0;
      let reading = false;
      let settled = false;
      const settle = (err?: Error | null) => {
        if (settled) return;
        settled = true;
        out.off('close', onClose).off('error', settle).off('finish', onFinish);
        if (err) reject(err);
        else resolve();
      };
      const onClose = () => settle(prematureClose());
      const onFinish = () => settle();
      out.on('close', onClose).on('error', settle).on('finish', onFinish);

      const next = () => {
        if (settled || reading || writesInFlight >= MAX_IN_FLIGHT) return;
        if (this.remaining === 0) {
          if (writesInFlight === 0 && !out.writableEnded) out.end();
          return;
        }
        const buffer = takeBuffer();
        reading = true;
        this.readNext(buffer, Math.min(CHUNK, this.remaining), (err, n) => {
          reading = false;
          if (err || settled) {
            recycle(buffer);
            settle(err);
            return;
          }
          writesInFlight++;
          // The callback runs once the socket has the bytes (or failed): the buffer is free again.
          out.write(n === buffer.length ? buffer : buffer.subarray(0, n), (writeErr) => {
            writesInFlight--;
            recycle(buffer);
            if (writeErr) settle(writeErr);
            else next();
          });
          next();
        });
      };
      next();
    });
  }
}
