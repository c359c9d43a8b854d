// The digest of an upload, computed as its bytes stream past on the way to
// storage, so that completing an upload never reads the data back. Streams are
// hashed off the event loop (worker-hash.ts); bodies already in memory are
// hashed in place.
import type { Algorithm } from '../../reference.js';
import { newHash } from '../../reference.js';
import { startWorkerHash } from './worker-hash.js';

export interface RunningHash {
  readonly algorithm: Algorithm;
  /**
   * Feeds the next bytes; the chunk may be reused as soon as this returns. A
   * returned promise asks the caller to wait before feeding more (backpressure).
   */
  update(chunk: Uint8Array): Promise<void> | undefined;
  /** The hex digest of everything fed; the hash is done afterwards. Rejects when the hash was lost. */
  digest(): Promise<string>;
  /** Abandons the hash and frees what it holds. */
  dispose(): void;
}

class InPlaceHash implements RunningHash {
  private readonly hash;
  constructor(readonly algorithm: Algorithm) {
    this.hash = newHash(algorithm);
  }
  update(chunk: Uint8Array): undefined {
    this.hash.update(chunk);
    return undefined;
  }
  digest(): Promise<string> {
    return Promise.resolve(this.hash.digest('hex'));
  }
  dispose(): void {}
}

/** A running hash for an upload whose first bytes come from `source`. */
export function startHash(algorithm: Algorithm, source: 'stream' | 'buffer'): RunningHash {
  return source === 'stream' ? startWorkerHash(algorithm) : new InPlaceHash(algorithm);
}

/** Below this a buffer is hashed in place: handing it to a worker costs more than it saves. */
const IN_PLACE_MAX_BYTES = 256 * 1024;
/** Bytes fed to a worker hash per step, so its backpressure bounds the slots in flight. */
const FEED_BYTES = 1024 * 1024;

/** The hex digest of bytes already in memory; big buffers are hashed off the event loop. */
export async function hashBuffer(algorithm: Algorithm, data: Uint8Array): Promise<string> {
  if (data.length <= IN_PLACE_MAX_BYTES) return newHash(algorithm).update(data).digest('hex');
  const hash = startWorkerHash(algorithm);
  try {
    for (let at = 0; at < data.length; at += FEED_BYTES) await hash.update(data.subarray(at, at + FEED_BYTES));
    return await hash.digest();
  } catch (err) {
    hash.dispose();
    throw err;
  }
}
