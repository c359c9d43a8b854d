// The read buffers blob copies reuse (file-range-stream.ts, and the pull-through
// cache's spool readers): 1 MiB each, taken for one read and given back once the
// destination has the bytes, so a pull allocates nothing per read. A fresh 1 MiB
// buffer per read made V8 run a full mark-compact about every 64 MiB sent.

/** Bytes per read: a quarter of the syscalls of 256 KiB, measured faster from the page cache. */
export const READ_BUFFER_BYTES = 1024 * 1024;
/** Page-aligned pooled buffers: enough for four copies at once. */
const POOLED = 8;
/** malloc'd buffers kept for copies beyond those four, so that they do not allocate per read either. */
const MAX_OVERFLOW_POOLED = 8;

/**
 * The pooled buffers are slices of one page-aligned slab (a WebAssembly memory,
 * which V8 maps page-aligned), because where a read buffer starts decides how fast
 * the kernel copies the page cache into it: malloc puts a 1 MiB buffer 16 bytes
 * into a page, and a cached 1 GiB blob was served at 1.2-1.9 GB/s into such
 * buffers against 2.6-3.5 GB/s into page-aligned ones (same process, curl client).
 */
let slab: ArrayBuffer | undefined;
let pool: Buffer[] | undefined;
const overflow: Buffer[] = [];

/** The one WebAssembly API used (the project's TypeScript libs do not declare WebAssembly). */
interface WasmMemoryConstructor { new (descriptor: { initial: number; maximum: number }): { readonly buffer: ArrayBuffer } }

/** A READ_BUFFER_BYTES buffer for one read; give it back with recycleReadBuffer once the bytes are written. */
export function takeReadBuffer(): Buffer {
  if (!pool) {
    pool = [];
    try {
      const Memory = (globalThis as unknown as { WebAssembly: { Memory: WasmMemoryConstructor } }).WebAssembly.Memory;
      const pages = (POOLED * READ_BUFFER_BYTES) / 65536; // WebAssembly pages are 64 KiB
      const memory = new Memory({ initial: pages, maximum: pages }).buffer;
      for (let i = 0; i < POOLED; i++) pool.push(Buffer.from(memory, i * READ_BUFFER_BYTES, READ_BUFFER_BYTES));
      slab = memory;
    } catch {
      // No WebAssembly memory here: every copy uses malloc'd buffers.
    }
  }
  return pool.pop() ?? overflow.pop() ?? Buffer.allocUnsafeSlow(READ_BUFFER_BYTES);
}

export function recycleReadBuffer(buffer: Buffer): void {
  if (buffer.buffer === slab) pool!.push(buffer);
  else if (overflow.length < MAX_OVERFLOW_POOLED) overflow.push(buffer);
}
