// Prompt release of the socket buffers received bytes arrive in: upload bodies,
// and object bodies read from S3.
//
// Each socket read hands the HTTP parser a fresh 64 KiB buffer that lives outside
// V8's heap. The JS objects pointing at those buffers are tiny, so the young
// generation fills slowly, and V8 reclaims the buffers only under external-memory
// pressure: with a full mark-compact of the whole heap every ~40 MiB received (28
// per GiB uploaded, counted with --trace-gc), most of its work on helper threads.
// A young-generation collection every few MiB frees the same dead buffers in under
// a millisecond each. Measured on a 1 GiB monolithic push to the filesystem:
// mark-compacts 28 -> 1, process CPU 3.4 -> 2.4-2.9 s, peak RSS 113 -> 90 MiB.
// Freed a few MiB at a time, the buffers are also reused by malloc instead of
// being returned to the kernel in bulk and faulted in again page by page: a
// 512 MiB blob GET from S3 took 130,000 minor page faults (one per received page)
// and 2.3 s of CPU, and takes 5,000-9,000 and 1.1-1.6 s with the S3 sockets counted.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Bytes received between two young-generation collections. */
const COLLECT_EVERY_BYTES = 8 * 1024 * 1024;

type Gc = (options: { type: 'minor' | 'major' }) => void;

let gc: Gc | null | undefined;
let sinceCollect = 0;

/**
 * V8's gc() function without exposing it as a global: the flag only adds it to
 * contexts created while it is set, so it is set for one fresh context and unset.
 */
function loadGc(): Gc | null {
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as Gc;
  } catch {
    return null; // the collector still reclaims the buffers, only later
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}

/** Counts bytes received from a socket; every few MiB the dead receive buffers are freed. */
export function noteReceived(bytes: number): void {
  sinceCollect += bytes;
  if (sinceCollect < COLLECT_EVERY_BYTES) return;
  sinceCollect = 0;
  gc ??= loadGc();
  gc?.({ type: 'minor' });
}
