// The buffers manifest bodies are read into, reused from one request to the next.
// A body refused by the JSON limits (what a hostile client sends) then leaves no
// garbage behind. A fresh Buffer per body lives outside V8's heap, and V8 frees
// dead ones only after tens of MiB of them have piled up: with the index loaded
// (86 MiB idle), that slack alone took the hostile-input classes over the 150 MiB
// bound. A body the limits accept is copied into a Buffer of its own size, which
// the write path and its listeners may keep. The concurrency slots bound how many
// buffers are in use: small bodies (declared up to largeManifestBytes) and large or
// chunked ones have separate pools, each keeping at most as many as its slots.
import type { IncomingMessage } from 'node:http';
import type { LimitsConfig } from '#contract/config/schema.js';
import { noteReceived } from '../storage/received-buffers.js';
import { declaredLength, declaredWithin } from './request-limits.js';

class BufferPool {
  private readonly free: Buffer[] = [];

  constructor(readonly size: number, private readonly keep: number) {}

  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafeSlow(this.size);
  }

  give(buffer: Buffer): void {
    if (this.free.length < this.keep) this.free.push(buffer);
  }
}

/** Reads the body into `into`, or throws `tooLarge()` without buffering more; returns the filled part. */
async function readInto(req: IncomingMessage, into: Buffer, tooLarge: () => Error): Promise<Buffer> {
  const declared = declaredLength(req);
  if (declared !== undefined && declared > into.length) throw tooLarge();
  let total = 0;
  // Not destroyed on a throw: the error's answer reads and discards the rest of the body first.
  for await (const chunk of req.iterator({ destroyOnReturn: false })) {
    const c = chunk as Buffer;
    if (total + c.length > into.length || (declared !== undefined && total + c.length > declared)) throw tooLarge();
    c.copy(into, total);
    total += c.length;
  }
  // The socket buffers are garbage once copied: counted toward the young-generation collections
  // uploads trigger, a stream of large manifests does not pile up dead buffers.
  noteReceived(total);
  return into.subarray(0, total);
}

export class ManifestBodies {
  private readonly small: BufferPool;
  private readonly large: BufferPool;

  constructor(maxBytes: number, limits: LimitsConfig) {
    this.small = new BufferPool(Math.min(limits.largeManifestBytes, maxBytes), limits.manifestPuts);
    this.large = new BufferPool(maxBytes, limits.largeManifestPuts);
  }

  /**
   * The body, once `accept` (which throws to refuse it) has seen it in the reused
   * buffer; a copy of its own. `tooLarge` makes the refusal of a body over the limit
   * (an Error captures its stack when built: only then).
   */
  async read(req: IncomingMessage, tooLarge: () => Error, accept: (bytes: Buffer) => void): Promise<Buffer> {
    const pool = declaredWithin(req, this.small.size) ? this.small : this.large;
    const buffer = pool.take();
    try {
      const bytes = await readInto(req, buffer, tooLarge);
      accept(bytes);
      return Buffer.from(bytes);
    } finally {
      pool.give(buffer);
    }
  }
}
