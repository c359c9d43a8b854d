// The spool of a blob being filled: the upstream's bytes land here as they arrive,
// and every client of the blob (the first one included) reads from here at its own
// pace, whole or by range. The fill never waits for a reader, so a slow or vanished
// client cannot stall it, and fifty clients cost one download.
//
// A reader never receives a response's last byte before the fill has verified the
// digest: a blob that turns out corrupt fails every reader (its connection is cut
// short) instead of handing anyone a complete, wrong body.
//
// A reader copied straight to a response (copyTo) reads into pooled buffers, as
// blob downloads from storage do, rather than allocating one per read.
//
// The file is unlinked as soon as it is open; only the descriptor keeps it, so a
// crash leaves nothing behind and the space returns when the last reader is done.
import { randomBytes } from 'node:crypto';
import { mkdir, open, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { READ_BUFFER_BYTES, recycleReadBuffer, takeReadBuffer, type DirectCopy } from '../storage/registry-storage.js';

/**
 * Bytes per read, and how much a reader waits to have before it reads while the
 * fill is running: woken by every 64 KiB the upstream sent, fifty readers made
 * fifty small reads and socket writes each time.
 */
const READ_CHUNK = READ_BUFFER_BYTES;
/** Pooled buffers one copy may have written but not yet flushed: one filling while one drains. */
const MAX_WRITES_IN_FLIGHT = 2;

/** A spool reader; `copyTo` writes its bytes to a destination through reused buffers and counts them. */
export type SpoolReader = Readable & DirectCopy & { bytesCopied: number };

type State = { readonly kind: 'filling' } | { readonly kind: 'verified' } | { readonly kind: 'failed'; readonly error: Error };

export class Spool {
  private written = 0;
  private state: State = { kind: 'filling' };
  private wake: () => void = () => undefined;
  private changed: Promise<void> = this.renew();
  private refs = 1; // the fill's own, given back by verified() or failed()
  private settled = false;
  private isClosed = false;
  private markClosed: () => void = () => undefined;
  private readonly whenClosed = new Promise<void>((resolve) => { this.markClosed = resolve; });

  private constructor(private readonly file: FileHandle, readonly size: number | undefined) {}

  static async create(dir: string, size: number | undefined): Promise<Spool> {
    await mkdir(dir, { recursive: true });
    const path = join(dir, `berth-spool-${randomBytes(8).toString('hex')}`);
    const file = await open(path, 'w+', 0o600);
    await unlink(path);
    return new Spool(file, size);
  }

  get bytesWritten(): number {
    return this.written;
  }

  /** Appends the next bytes from the upstream (the fill calls this, in order). */
  async append(chunk: Buffer): Promise<void> {
    let offset = 0;
    while (offset < chunk.length) {
      const { bytesWritten } = await this.file.write(chunk, offset, chunk.length - offset, this.written + offset);
      offset += bytesWritten;
    }
    this.written += chunk.length;
    this.notify();
  }

  /** The fill verified (and stored, unless bypassed) the blob: readers may finish. */
  verified(): void {
    if (this.settled) return;
    this.settled = true;
    this.state = { kind: 'verified' };
    this.notify();
    this.release();
  }

  /** The fill failed: every reader fails with `error`. */
  failed(error: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.state = { kind: 'failed', error };
    this.notify();
    this.release();
  }

  /**
   * A reader of bytes [start, end) (end defaults to the whole blob); it holds the spool
   * open until it ends. Its `copyTo` writes the bytes to a destination through reused
   * buffers instead of a fresh one per read.
   */
  reader(start = 0, end?: number): SpoolReader {
    this.refs++;
    let pos = start;
    let pumping = false;
    const stop = end ?? this.size ?? Infinity;
    const readable = new Readable({
      highWaterMark: READ_CHUNK,
      read: () => {
        if (!pumping) void pump();
      },
      destroy: (err, done) => {
        this.release();
        done(err);
      },
    });
    const pump = async (): Promise<void> => {
      pumping = true;
      try {
        for (;;) {
          if (readable.destroyed) return;
          const n = await this.span(pos, stop);
          if (n === 0) {
            readable.push(null);
            return;
          }
          const buf = Buffer.allocUnsafe(n);
          const { bytesRead } = await this.file.read(buf, 0, buf.length, pos);
          pos += bytesRead;
          if (!readable.push(bytesRead === buf.length ? buf : buf.subarray(0, bytesRead))) return;
        }
      } catch (err) {
        readable.destroy(err as Error);
      } finally {
        pumping = false;
      }
    };
    const copyTo = async (out: Writable): Promise<void> => {
      try {
        await this.copy(out, pos, stop, (n) => { reader.bytesCopied += n; });
      } catch (err) {
        out.destroy(err as Error);
        throw err;
      } finally {
        readable.destroy();
      }
    };
    const reader = Object.assign(readable, { copyTo, bytesCopied: 0 });
    return reader;
  }

  /**
   * How many bytes from `pos` to read next (at most a chunk), once they are worth
   * reading; 0 at the end. Throws the fill's error when it failed.
   */
  private async span(pos: number, stop: number): Promise<number> {
    for (;;) {
      const state = this.state;
      if (state.kind === 'failed') throw state.error;
      if (pos >= stop || (state.kind === 'verified' && pos >= this.written)) return 0;
      const available = state.kind === 'verified' ? this.written : this.written - 1; // the last byte waits for the digest
      const n = Math.min(stop, available, pos + READ_CHUNK) - pos;
      // While filling, wait for a whole chunk (or all there will be before the held last byte) rather than read every small append.
      const worth = Math.min(READ_CHUNK, Math.min(stop, (this.size ?? Infinity) - 1) - pos);
      if (n > 0 && (state.kind !== 'filling' || n >= worth)) return n;
      await this.changed;
    }
  }

  /** Writes bytes [pos, stop) to `out` as they arrive, two pooled buffers in flight, then ends it. */
  private async copy(out: Writable, pos: number, stop: number, copied: (n: number) => void): Promise<void> {
    let closed = (): void => undefined;
    let failed = (_err: Error): void => undefined;
    const gone = new Promise<never>((_resolve, reject) => {
      closed = () => reject(Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
      failed = reject;
    });
    out.once('close', closed).once('error', failed);
    gone.catch(() => undefined);
    // Whatever loses a race to `gone` settles later with nobody awaiting it: never an unhandled rejection.
    const unlessGone = <T>(p: Promise<T>): Promise<T> => {
      p.catch(() => undefined);
      return Promise.race([p, gone]);
    };
    const writes: Array<Promise<void>> = [];
    try {
      for (;;) {
        const n = await unlessGone(this.span(pos, stop));
        if (n === 0) break;
        const buf = takeReadBuffer();
        let bytesRead: number;
        try {
          ({ bytesRead } = await this.file.read(buf, 0, n, pos));
        } catch (err) {
          recycleReadBuffer(buf);
          throw err;
        }
        pos += bytesRead;
        const written = new Promise<void>((resolve, reject) => {
          out.write(buf.subarray(0, bytesRead), (err) => {
            recycleReadBuffer(buf);
            if (err) return reject(err);
            copied(bytesRead);
            resolve();
          });
        });
        written.catch(() => undefined); // it may fail while nothing awaits it yet; whoever awaits it later still sees the error
        writes.push(written);
        if (writes.length >= MAX_WRITES_IN_FLIGHT) await unlessGone(writes.shift()!);
      }
      await unlessGone(Promise.all(writes.splice(0)));
      await unlessGone(new Promise<void>((resolve) => out.end(resolve)));
    } finally {
      // Buffers still being written are recycled by their callbacks; nothing here waits for them.
      out.off('close', closed).off('error', failed);
    }
  }

  /** Resolves once the descriptor is closed (the fill and every reader are done). */
  closed(): Promise<void> {
    return this.whenClosed;
  }

  private notify(): void {
    const wake = this.wake;
    this.changed = this.renew();
    wake();
  }

  private renew(): Promise<void> {
    return new Promise((resolve) => { this.wake = resolve; });
  }

  private release(): void {
    if (--this.refs > 0 || this.isClosed) return;
    this.isClosed = true;
    void this.file.close().catch(() => undefined).then(this.markClosed);
  }
}
