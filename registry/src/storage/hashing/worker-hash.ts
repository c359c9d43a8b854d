// Upload hashing on worker threads. One event loop hashing several parallel
// uploads caps the whole registry at one core's hash rate, and sha256 is most of
// an upload's CPU. The main thread copies each received chunk into a slot (a
// memcpy is ~20x cheaper than hashing it) and transfers full slots to a worker,
// which hashes them and transfers them back; the chunk itself goes on to storage
// untouched. Slots are plain ArrayBuffers, not shared memory: V8 copies into a
// SharedArrayBuffer byte by byte when source and target are not equally aligned
// (measured 350 vs 40 ms per GiB). Slots are pooled and each hash has a bounded
// number in flight, so memory stays flat whatever the blob size. Each hash is
// still one pass over the bytes, in order.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Algorithm } from '../../reference.js';
import type { RunningHash } from './running-hash.js';
import { HASH_WORKER_SOURCE } from './worker-source.js';

/** Bytes per hand-over: one message per slot each way, few enough to be noise. */
const SLOT_BYTES = 256 * 1024;
/** Slots one hash may have queued at its worker before the upload waits. */
const MAX_SLOTS_IN_FLIGHT = 4;
/** Idle slots kept for reuse (beyond that they are left to the garbage collector). */
const MAX_FREE_SLOTS = 32;
const MAX_WORKERS = 4;
/**
 * One core is left to the event loop, which receives and writes the bytes: on two
 * cores one worker hashes faster (over 1 GiB/s) than the loop can feed it, and
 * each worker costs about 10 MiB of resident memory.
 */
const DEFAULT_WORKERS = Math.max(1, Math.min(availableParallelism() - 1, MAX_WORKERS));
let workerCount = DEFAULT_WORKERS;

/** Sets the pool size (limits.hashWorkers; 0 keeps the default). Sessions beyond it share workers. */
export function configureHashWorkers(count: number): void {
  workerCount = count > 0 ? count : DEFAULT_WORKERS;
}

type ToWorker =
  | { op: 'start'; session: number; algorithm: Algorithm }
  | { op: 'update'; session: number; slot: ArrayBuffer; length: number }
  | { op: 'digest' | 'drop'; session: number };

type FromWorker =
  | { op: 'updated'; session: number; slot: ArrayBuffer }
  | { op: 'digest'; session: number; hex: string | null };

const freeSlots: ArrayBuffer[] = [];

function takeSlot(): ArrayBuffer {
  return freeSlots.pop() ?? new ArrayBuffer(SLOT_BYTES);
}

function returnSlot(slot: ArrayBuffer): void {
  if (freeSlots.length < MAX_FREE_SLOTS) freeSlots.push(slot);
}

class HashWorker {
  readonly sessions = new Map<number, WorkerHash>();
  private readonly worker: Worker;
  /** Messages awaiting a reply: while there are any, the worker keeps the process alive. */
  private awaiting = 0;
  dead = false;

  constructor(onDeath: (w: HashWorker) => void) {
    // The worker allocates only small messages: a small young generation keeps its heap small.
    this.worker = new Worker(HASH_WORKER_SOURCE, { eval: true, resourceLimits: { maxYoungGenerationSizeMb: 2 } });
    this.worker.on('message', (m: FromWorker) => {
      if (--this.awaiting === 0) this.worker.unref();
      if (m.op === 'updated') returnSlot(m.slot);
      this.sessions.get(m.session)?.receive(m);
    });
    const die = (err: Error) => {
      if (this.dead) return;
      this.dead = true;
      onDeath(this);
      for (const s of this.sessions.values()) s.fail(err);
      this.sessions.clear();
    };
    this.worker.on('error', die);
    this.worker.on('exit', (code) => die(new Error(`hash worker exited with code ${code}`)));
    // An idle pool must not keep the process alive (after the listeners: adding one refs the worker again).
    this.worker.unref();
  }

  post(message: ToWorker): void {
    if (message.op === 'update' || message.op === 'digest') {
      if (this.awaiting++ === 0) this.worker.ref();
    }
    this.worker.postMessage(message, message.op === 'update' ? [message.slot] : undefined);
  }
}

const workers: HashWorker[] = [];
let nextSession = 1;

function leastBusyWorker(): HashWorker {
  if (workers.length < workerCount) {
    const w = new HashWorker((dead) => workers.splice(workers.indexOf(dead), 1));
    workers.push(w);
    return w;
  }
  return workers.reduce((a, b) => (b.sessions.size < a.sessions.size ? b : a));
}

class WorkerHash implements RunningHash {
  private slot?: ArrayBuffer;
  private used = 0;
  private inFlight = 0;
  private resume?: () => void;
  private finish?: { resolve: (hex: string) => void; reject: (err: Error) => void };
  private failure?: Error;

  constructor(private readonly host: HashWorker, private readonly session: number, readonly algorithm: Algorithm) {
    host.sessions.set(session, this);
    host.post({ op: 'start', session, algorithm });
  }

  update(chunk: Uint8Array): Promise<void> | undefined {
    if (this.failure) return undefined; // digest() reports it; the upload itself may still be stored
    for (let at = 0; at < chunk.length;) {
      this.slot ??= takeSlot();
      const n = Math.min(SLOT_BYTES - this.used, chunk.length - at);
      new Uint8Array(this.slot, this.used, n).set(chunk.subarray(at, at + n));
      this.used += n;
      at += n;
      if (this.used === SLOT_BYTES) this.send();
    }
    if (this.inFlight < MAX_SLOTS_IN_FLIGHT) return undefined;
    return new Promise((resolve) => { this.resume = resolve; });
  }

  digest(): Promise<string> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.used > 0) this.send();
    return new Promise((resolve, reject) => {
      this.finish = { resolve, reject };
      this.host.post({ op: 'digest', session: this.session });
    });
  }

  dispose(): void {
    if (this.slot) returnSlot(this.slot);
    this.slot = undefined;
    this.host.sessions.delete(this.session);
    if (!this.host.dead) this.host.post({ op: 'drop', session: this.session });
    this.wake();
  }

  receive(m: FromWorker): void {
    if (m.op === 'updated') {
      this.inFlight--;
      if (this.inFlight < MAX_SLOTS_IN_FLIGHT) this.wake();
      return;
    }
    this.host.sessions.delete(this.session);
    if (m.hex === null) this.finish?.reject(new Error('hash worker lost the session'));
    else this.finish?.resolve(m.hex);
  }

  fail(err: Error): void {
    this.failure = err;
    this.finish?.reject(err);
    this.wake();
  }

  private send(): void {
    this.host.post({ op: 'update', session: this.session, slot: this.slot!, length: this.used });
    this.slot = undefined;
    this.used = 0;
    this.inFlight++;
  }

  private wake(): void {
    const resume = this.resume;
    this.resume = undefined;
    resume?.();
  }
}

export function startWorkerHash(algorithm: Algorithm): RunningHash {
  return new WorkerHash(leastBusyWorker(), nextSession++, algorithm);
}
