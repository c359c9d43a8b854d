// The spool of a blob being filled: the upstream's bytes land here as they arrive,
// and every client of the blob (the first one included) reads from here at its own
// pace, whole or by range. The fill never waits for a reader, so a slow or vanished
// client cannot stall it, and fifty clients cost one download.
//
// A reader never receives a response's last byte before the fill has verified the
// digest: a blob that turns out corrupt fails every reader (its connection is cut
// short) instead of handing anyone a complete, wrong body.
//
// The file is unlinked as soon as it is open; only the descriptor keeps it, so a
// crash leaves nothing behind and the space returns when the last reader is done.
import { randomBytes } from 'node:crypto';
import { mkdir, open, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';

const READ_CHUNK = 256 * 1024;

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

  /** A reader of bytes [start, end) (end defaults to the whole blob); it holds the spool open until it ends. */
  reader(start = 0, end?: number): Readable {
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
          const state = this.state;
          if (state.kind === 'failed') {
            readable.destroy(state.error);
            return;
          }
          const available = state.kind === 'verified' ? this.written : this.written - 1; // the last byte waits for the digest
          if (pos >= stop || (state.kind === 'verified' && pos >= this.written)) {
            readable.push(null);
            return;
          }
          const n = Math.min(stop, available) - pos;
          if (n <= 0) {
            await this.changed;
            continue;
          }
          const buf = Buffer.allocUnsafe(Math.min(n, READ_CHUNK));
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
    return readable;
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
