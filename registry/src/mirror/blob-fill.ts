// One blob being copied from an upstream. The download runs on its own, never
// waiting for a client: each chunk is appended to the spool (which every client of
// the blob reads) and streamed into an upload through the write path, which hashes
// it on the way and commits only when the digest matches. A connection that breaks
// mid-body is resumed with a Range request; a digest mismatch commits nothing and
// fails every reader. When the cache has no room, the fill is a bypass: the bytes
// are verified and served from the spool, and nothing is stored.
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { Code, RegistryError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Digest } from '../reference.js';
import { RemoteError, type RemoteBlob } from '../remote/registry-client.js';
import type { WritePath } from '../write/write-path.js';
import type { CacheTarget } from './addressing.js';
import type { CacheBudget, Reservation } from './cache-budget.js';
import { Spool } from './spool.js';

/** Resumptions of a broken download before the fill gives up. */
const MAX_RESUMES = 3;

export interface FillDeps {
  readonly writes: WritePath;
  readonly budget: CacheBudget;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly spoolDir: string;
}

export class BlobFill {
  /** Resolves when the upstream answered and the spool is open; rejects with the error a client should get. */
  readonly ready: Promise<void>;
  /** Resolves when the fill ended, either way. */
  readonly done: Promise<void>;
  spool!: Spool;
  size: number | undefined;
  stored = true;
  private markReady!: () => void;
  private failReady!: (err: Error) => void;

  constructor(private readonly t: CacheTarget, private readonly digest: Digest, private readonly deps: FillDeps,
    /** Called when the outcome is known, before any reader hears of it (no one may join a finished fill). */
    private readonly settled: () => void) {
    this.ready = new Promise((resolve, reject) => {
      this.markReady = resolve;
      this.failReady = reject;
    });
    this.ready.catch(() => undefined);
    this.done = this.run();
  }

  private async run(): Promise<void> {
    const { upstream } = this.t;
    const release = await upstream.fetchSlots.acquire();
    let room: Reservation | undefined;
    try {
      const first = await this.request(0);
      this.size = first.size;
      room = await this.deps.budget.reserve(upstream, this.size ?? 0);
      this.stored = room !== undefined;
      this.spool = await Spool.create(this.deps.spoolDir, this.size);
      this.markReady();
      const bytes = Readable.from(this.spooled(first));
      if (this.stored) await this.deps.writes.cache.putBlob(this.t.repo, this.digest, bytes, { upstream: upstream.host });
      else await verify(bytes, this.digest);
      this.deps.metrics.cacheFillBytes.inc({ upstream: upstream.host, mode: this.stored ? 'stored' : 'bypass' }, this.spool.bytesWritten);
      this.settled();
      this.spool.verified();
    } catch (err) {
      this.settled();
      const error = err as Error;
      if (this.spool) {
        this.deps.log.warn({ msg: 'cache fill failed', upstream: upstream.host, repo: this.t.repo, digest: this.digest.value, err: error.message });
        this.spool.failed(error);
      } else {
        this.failReady(error);
      }
    } finally {
      room?.release();
      release();
    }
  }

  /** The upstream's bytes, resumed after a broken connection, each appended to the spool before it goes on. */
  private async *spooled(first: RemoteBlob): AsyncGenerator<Buffer> {
    const { bandwidth } = this.t.upstream;
    for await (const chunk of this.downloaded(first)) {
      if (bandwidth) await bandwidth.take(chunk.length);
      await this.spool.append(chunk);
      yield chunk;
    }
  }

  private async *downloaded(first: RemoteBlob): AsyncGenerator<Buffer> {
    let body: IncomingMessage = first.body;
    let received = 0;
    let resumes = 0;
    try {
      for (;;) {
        try {
          for await (const chunk of body) {
            received += (chunk as Buffer).length;
            yield chunk as Buffer;
          }
          if (this.size !== undefined && received < this.size) throw new Error(`the upstream sent ${received} of ${this.size} bytes`);
          return;
        } catch (err) {
          body.destroy();
          if (this.size === undefined || received >= this.size || resumes >= MAX_RESUMES) throw err;
          resumes++;
          this.deps.log.warn({ msg: 'resuming a broken upstream download', upstream: this.t.upstream.host, digest: this.digest.value, at: received, err: (err as Error).message });
          body = (await this.request(received)).body;
        }
      }
    } finally {
      body.destroy();
    }
  }

  /** One GET behind the circuit; the errors are what a client should see. */
  private async request(offset: number): Promise<RemoteBlob> {
    const { circuit, client, host } = this.t.upstream;
    if (!circuit.tryAcquire()) {
      throw new RegistryError(circuit.lastStatus === 429 ? Code.TOOMANYREQUESTS : Code.UNAVAILABLE, { upstream: host, reason: 'upstream unavailable, not asked again yet' },
        { 'Retry-After': String(circuit.retryAfterSeconds()) });
    }
    let blob: RemoteBlob | undefined;
    try {
      blob = await client.getBlob(this.t.remote, this.digest, offset);
    } catch (err) {
      if (err instanceof RemoteError && err.kind === 'unavailable') {
        circuit.failed(err.retryAfterSeconds, Date.now(), err.status);
        throw new RegistryError(err.status === 429 ? Code.TOOMANYREQUESTS : Code.UNAVAILABLE, { upstream: host, reason: err.message },
          { 'Retry-After': String(circuit.retryAfterSeconds()) });
      }
      circuit.succeeded();
      if (err instanceof RemoteError) throw new RegistryError(Code.BLOB_UNKNOWN, { digest: this.digest.value, upstream: host, reason: err.message });
      throw err;
    }
    circuit.succeeded();
    if (!blob) throw new RegistryError(Code.BLOB_UNKNOWN, { digest: this.digest.value, upstream: host });
    return blob;
  }
}

/** Reads a bypassed fill to its end and checks its digest (nothing is stored). */
async function verify(bytes: Readable, digest: Digest): Promise<void> {
  const hash = createHash(digest.algorithm);
  for await (const chunk of bytes) hash.update(chunk as Buffer);
  const actual = hash.digest('hex');
  if (actual !== digest.hex) throw new RegistryError(Code.DIGEST_INVALID, { expected: digest.value, actual: `${digest.algorithm}:${actual}` });
}
