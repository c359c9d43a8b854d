// Manifests of cached repositories, and when to ask the upstream about them:
//   - a digest reference is served locally once cached (content never changes);
//   - a tag validated less than tagTTL ago is served locally;
//   - an older tag costs one HEAD: the same digest refreshes the tag's validation
//     time (0 GETs; written after the answer, tag-confirmations.ts); another digest costs one GET by digest and the tag moves; an
//     upstream that lost the tag is told to the listeners and the copy is still served;
//   - an upstream that is down, slow, failing or rate-limiting opens its circuit and
//     the copy is served with a Warning while it is younger than staleIfError.
// Concurrent requests for one tag or digest share one upstream request.
import { Code, RegistryError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics/metrics.js';
import { parseManifest } from '../manifest/parse.js';
import { digestOf, parseDigest, parseReference, type Digest } from '../reference.js';
import type { MetadataIndex } from '../metadata/index.js';
import type { KeyedMutex } from '../storage/keyed-mutex.js';
import type { RegistryStorage } from '../storage/registry-storage.js';
import type { WritePath } from '../write/write-path.js';
import { RemoteError, type RemoteManifest } from '../remote/registry-client.js';
import type { CacheTarget } from './addressing.js';
import type { CacheBudget } from './cache-budget.js';
import { SingleFlight } from './single-flight.js';
import { confirmedAt, TagConfirmations } from './tag-confirmations.js';
import { staleWarning, type CacheResult, type ServedManifest } from './served.js';

interface Local {
  readonly digest: Digest;
  readonly mediaType: string;
  readonly body: Buffer;
}

interface TagEntry extends Local {
  readonly writtenAt: number;
}

export interface ManifestCacheDeps {
  readonly storage: RegistryStorage;
  readonly writes: WritePath;
  readonly budget: CacheBudget;
  /** Where pulls are recorded (HEADs too: containerd resolves a tag with one), for eviction's order. */
  readonly pulls: Pick<MetadataIndex, 'recordPull'>;
  readonly locks: KeyedMutex;
  readonly metrics: Metrics;
  readonly log: Logger;
}

export class ManifestCache {
  private readonly flights = new SingleFlight<Omit<ServedManifest, 'result'> & { result: CacheResult }>();

  private readonly confirmations: TagConfirmations;

  constructor(private readonly deps: ManifestCacheDeps) {
    this.confirmations = new TagConfirmations(deps.log);
  }

  /** Resolves when the revalidation times being written have landed (shutdown). */
  settled(): Promise<void> {
    return this.confirmations.settled();
  }

  async get(t: CacheTarget, reference: string): Promise<ServedManifest> {
    const ref = parseReference(reference);
    const served = ref.digest ? await this.byDigest(t, ref.digest) : await this.byTag(t, ref.tag);
    this.deps.metrics.cacheRequests.inc({ upstream: t.upstream.host, result: served.result });
    this.deps.pulls.recordPull(t.repo, served.digest.value, ref.tag);
    return served;
  }

  private async byDigest(t: CacheTarget, digest: Digest): Promise<ServedManifest> {
    const local = await this.local(t.repo, digest);
    if (local) return { ...local, result: 'hit' };
    if (t.excluded) throw new RegistryError(Code.MANIFEST_UNKNOWN, { reference: digest.value });
    return this.flights.run(`${t.repo}@${digest.value}`, () => this.withCircuit(t, undefined, async () => {
      const fetched = await t.upstream.client.getManifest(t.remote, digest.value);
      if (!fetched) throw new RegistryError(Code.MANIFEST_UNKNOWN, { reference: digest.value, upstream: t.upstream.host });
      return this.store(t, fetched, digest, undefined);
    }));
  }

  private async byTag(t: CacheTarget, tag: string): Promise<ServedManifest> {
    const pending = this.confirmations.pendingFor(t.repo, tag);
    const cached = await this.tagEntry(t.repo, tag);
    const confirmed = cached && confirmedAt(pending, cached.digest.value, cached.writtenAt);
    if (cached && (t.excluded || Date.now() - confirmed! < t.upstream.config.tagTTLSeconds * 1000)) return { ...cached, result: 'hit' };
    if (t.excluded) throw new RegistryError(Code.MANIFEST_UNKNOWN, { reference: tag });
    return this.flights.run(`${t.repo}:${tag}`, () => this.withCircuit(t, cached, async () => {
      const { client } = t.upstream;
      if (!cached) {
        const fetched = await client.getManifest(t.remote, tag);
        if (!fetched) throw new RegistryError(Code.MANIFEST_UNKNOWN, { reference: tag, upstream: t.upstream.host });
        return this.store(t, fetched, undefined, tag);
      }
      const head = await client.headManifest(t.remote, tag);
      if (!head) return this.upstreamLost(t, tag, cached);
      if (head.digest === cached.digest.value) {
        this.confirmations.confirm(t.repo, tag, cached.digest.value, () => this.deps.locks.run(t.repo, async () => {
          // Unless the tag moved or went meanwhile (a fill, an eviction): then there is nothing to confirm.
          if ((await this.deps.storage.tags.entry(t.repo, tag))?.digest.value === cached.digest.value) {
            await this.deps.writes.cache.revalidated(t.repo, tag, cached.digest);
          }
        }));
        return { ...cached, result: 'revalidated' };
      }
      const expected = head.digest ? parseDigest(head.digest) : undefined;
      const fetched = await client.getManifest(t.remote, expected?.value ?? tag);
      if (!fetched) return this.upstreamLost(t, tag, cached);
      return this.store(t, fetched, expected, tag);
    }));
  }

  /**
   * Runs an upstream exchange behind the upstream's circuit. When the upstream is
   * unavailable (now, or its circuit is open), a cached copy within staleIfError is
   * served stale; otherwise the client gets 503 (or 429) with Retry-After.
   */
  private async withCircuit(t: CacheTarget, cached: TagEntry | undefined, exchange: () => Promise<ServedManifest>): Promise<ServedManifest> {
    const { circuit, config, host } = t.upstream;
    const stale = (why: string, retryAfter: number, status?: number): ServedManifest => {
      if (cached && Date.now() - cached.writtenAt <= config.staleIfErrorSeconds * 1000) {
        return { ...cached, result: 'stale', warning: staleWarning(host, why) };
      }
      const code = status === 429 ? Code.TOOMANYREQUESTS : Code.UNAVAILABLE;
      throw new RegistryError(code, { upstream: host, reason: why }, { 'Retry-After': String(retryAfter) }, `upstream ${host} unavailable: ${why}`);
    };
    if (!circuit.tryAcquire()) return stale('upstream unavailable, not asked again yet', circuit.retryAfterSeconds(), circuit.lastStatus);
    try {
      const served = await exchange();
      circuit.succeeded();
      return served;
    } catch (err) {
      if (err instanceof RemoteError && err.kind === 'unavailable') {
        circuit.failed(err.retryAfterSeconds, Date.now(), err.status);
        this.deps.log.warn({ msg: 'upstream unavailable', upstream: host, err: err.message });
        return stale(err.message, circuit.retryAfterSeconds(), err.status);
      }
      circuit.succeeded(); // it answered
      if (err instanceof RemoteError && cached) {
        // Refused (credentials no longer valid) or nonsense: keep serving what was pulled under the local policy.
        return { ...cached, result: 'stale', warning: staleWarning(host, err.message) };
      }
      if (err instanceof RemoteError) {
        throw new RegistryError(err.kind === 'denied' ? Code.MANIFEST_UNKNOWN : Code.UNAVAILABLE, { upstream: host, reason: err.message },
          err.kind === 'denied' ? {} : { 'Retry-After': '5' });
      }
      throw err;
    }
  }

  private async upstreamLost(t: CacheTarget, tag: string, cached: TagEntry): Promise<ServedManifest> {
    await this.deps.locks.run(t.repo, () => this.deps.writes.cache.upstreamMissing(t.repo, tag, cached.digest, { upstream: t.upstream.host }));
    return { ...cached, result: 'stale', warning: staleWarning(t.upstream.host, 'the upstream no longer has this tag') };
  }

  /** Stores a fetched manifest (the tag moves to it), or serves it without storing when the cache is full. */
  private async store(t: CacheTarget, fetched: RemoteManifest, expected: Digest | undefined, tag: string | undefined): Promise<ServedManifest> {
    const declared = expected ?? (fetched.digest ? parseDigest(fetched.digest) : undefined);
    const digest = declared ?? digestOf(fetched.body);
    if (digestOf(fetched.body, digest.algorithm).hex !== digest.hex) {
      throw new RegistryError(Code.UNAVAILABLE, { upstream: t.upstream.host, reason: `manifest does not match its digest ${digest.value}` }, { 'Retry-After': '5' });
    }
    // The body's own mediaType wins over a generic Content-Type some registries send.
    const mediaType = parseManifest(fetched.body, declaredMediaType(fetched.body) ?? (fetched.mediaType || undefined)).mediaType;
    const room = await this.deps.budget.reserve(t.upstream, fetched.body.length);
    if (!room) return { digest, mediaType, body: fetched.body, result: 'bypass' };
    try {
      await this.deps.locks.run(t.repo, () => this.deps.writes.cache.putManifest(t.repo, digest, fetched.body, mediaType, tag, { upstream: t.upstream.host }));
    } finally {
      room.release();
    }
    return { digest, mediaType, body: fetched.body, result: 'miss' };
  }

  private async local(repo: string, digest: Digest): Promise<Local | undefined> {
    try {
      const m = await this.deps.storage.manifests.get(repo, digest.value);
      return { digest: m.digest, mediaType: m.meta.mediaType, body: m.body };
    } catch (err) {
      if (err instanceof RegistryError && err.is(Code.MANIFEST_UNKNOWN)) return undefined;
      throw err;
    }
  }

  /** A cached tag with its manifest; a tag left pointing at nothing (an eviction race) counts as absent. */
  private async tagEntry(repo: string, tag: string): Promise<TagEntry | undefined> {
    const entry = await this.deps.storage.tags.entry(repo, tag);
    const local = entry && (await this.local(repo, entry.digest));
    return local && { ...local, writtenAt: entry.writtenAt };
  }
}

function declaredMediaType(body: Buffer): string | undefined {
  try {
    const doc = JSON.parse(body.toString('utf8')) as { mediaType?: unknown };
    return typeof doc.mediaType === 'string' ? doc.mediaType : undefined;
  } catch {
    return undefined;
  }
}
