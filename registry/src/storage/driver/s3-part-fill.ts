// The part an S3 writer is filling. Bytes are copied in as they arrive, into one of
// two part-sized buffers that take turns: one fills while the other's part uploads
// (S3Writer keeps at most one in flight). Holding the arriving chunks until a part
// was whole and then joining them cost a fresh 16 MiB allocation per part (its
// pages faulted in on every copy) and kept the chunks alive long enough to reach
// V8's old generation, which only a full collection frees.
//
// Finished writers give their full-size buffers back to a small process-wide pool.
// A buffer that lives as long as an upload reaches the old generation too, and a
// new one per upload made V8 run a full collection for about every upload (10 MiB
// pushes to S3: 32 mark-compacts in 31 uploads, 3 with the pool). The pool keeps at
// most POOLED_BYTES and empties once no writer has returned a buffer for IDLE_MS,
// so an idle registry holds none. Without a pooled buffer, one starts at 1 MiB and
// grows fourfold up to the part size, so small blobs do not allocate a part.

/** A buffer's first size, and how it grows (to at most the part size). */
const FIRST_BYTES = 1024 * 1024;
const GROWTH = 4;
/** Idle part buffers kept for the next writers, in bytes, and for how long after the last was returned. */
const POOLED_BYTES = 64 * 1024 * 1024;
const IDLE_MS = 10_000;

class PartBufferPool {
  private readonly idle = new Map<number, Buffer[]>();
  private bytes = 0;
  private timer: NodeJS.Timeout | undefined;

  take(size: number): Buffer | undefined {
    const buffer = this.idle.get(size)?.pop();
    if (buffer) this.bytes -= size;
    return buffer;
  }

  give(buffer: Buffer): void {
    if (this.bytes + buffer.length > POOLED_BYTES) return;
    const list = this.idle.get(buffer.length) ?? [];
    list.push(buffer);
    this.idle.set(buffer.length, list);
    this.bytes += buffer.length;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.clear(), IDLE_MS).unref();
  }

  /** Bytes held idle now. */
  get held(): number {
    return this.bytes;
  }

  clear(): void {
    this.idle.clear();
    this.bytes = 0;
  }
}

export const partBufferPool = new PartBufferPool();

export class PartFill {
  private readonly buffers: Buffer[] = [];
  private turn = 0;
  private filled = 0;

  constructor(private readonly partBytes: number) {}

  /** Bytes in the part being filled. */
  get length(): number {
    return this.filled;
  }

  get full(): boolean {
    return this.filled === this.partBytes;
  }

  /** Copies as much of `chunk` from `offset` as the part has room for; returns how many bytes that was. */
  append(chunk: Uint8Array, offset = 0): number {
    const n = Math.min(chunk.length - offset, this.partBytes - this.filled);
    if (n <= 0) return 0;
    this.room(this.filled + n).set(chunk.subarray(offset, offset + n), this.filled);
    this.filled += n;
    return n;
  }

  /**
   * The filled bytes; the other buffer is filled next. They stay valid until the
   * take after next, so the caller must be done with a part (uploaded or failed)
   * before it takes twice more.
   */
  take(): Buffer {
    if (this.filled === 0) return Buffer.alloc(0);
    const part = this.room(this.filled).subarray(0, this.filled);
    this.turn ^= 1;
    this.filled = 0;
    return part;
  }

  /** The writer is finished and no part of it is in flight: full-size buffers go back to the pool. */
  release(): void {
    for (const buffer of this.buffers) if (buffer?.length === this.partBytes) partBufferPool.give(buffer);
    this.buffers.length = 0;
    this.filled = 0;
  }

  /** This turn's buffer, grown to hold at least `bytes` (keeping what it holds). */
  private room(bytes: number): Buffer {
    let current = this.buffers[this.turn];
    if (!current) {
      const pooled = partBufferPool.take(this.partBytes);
      if (pooled) this.buffers[this.turn] = current = pooled;
    }
    if (current && current.length >= bytes) return current;
    let size = current ? current.length : Math.min(FIRST_BYTES, this.partBytes);
    while (size < bytes) size = Math.min(size * GROWTH, this.partBytes);
    // Not from Node's pool, and not zeroed: every byte is written before it is read.
    const grown = Buffer.allocUnsafeSlow(size);
    if (current && this.filled) current.copy(grown, 0, 0, this.filled);
    this.buffers[this.turn] = grown;
    return grown;
  }
}
