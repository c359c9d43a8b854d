// The indexer: image manifest (or index) digest → inventory per platform.
// Layers are read through `openBlob` once each and their facts cached by
// digest; an index is answered with one inventory per platform manifest.
import { Readable } from 'node:stream';
import type { OpenBlob } from '../blob-source.js';
import { readBlob } from '../blob-source.js';
import { readLayerFacts, type LayerFacts } from './layer-facts.js';
import { MemoryLayerFactsCache, type LayerFactsCache } from './layer-cache.js';
import { mergeLayers } from './merge.js';
import { INDEXER, type Inventory, type Platform } from './model.js';
import { findDistro, findPackages } from './packages.js';

const INDEX_TYPES = new Set(['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json']);
const IMAGE_CONFIG_TYPES = new Set(['application/vnd.oci.image.config.v1+json', 'application/vnd.docker.container.image.v1+json']);
const LAYER_TYPE = /^application\/vnd\.(oci\.image\.layer\.(nondistributable\.)?v1\.tar(\+gzip|\+zstd)?|docker\.image\.rootfs\.(foreign\.)?diff\.tar\.gzip)$/;

interface Descriptor {
  mediaType?: string;
  digest: string;
  size?: number;
  platform?: Platform;
  annotations?: Record<string, string>;
}

interface ManifestJson {
  mediaType?: string;
  config?: Descriptor;
  layers?: Descriptor[];
  manifests?: Descriptor[];
}

export interface IndexerOptions {
  readonly openBlob: OpenBlob;
  readonly cache?: LayerFactsCache;
}

export class NotAnImageError extends Error {}

/** A point where indexing may pause (between layer chunks) for more urgent work; resolves when it may go on. */
export type Pause = () => Promise<void>;
const NO_PAUSE: Pause = () => Promise.resolve();

export interface IndexResult {
  /** The digest asked about. */
  readonly subject: string;
  /** One inventory for an image manifest; one per platform for an index. */
  readonly inventories: readonly Inventory[];
  readonly isIndex: boolean;
}

export class Indexer {
  private readonly openBlob: OpenBlob;
  private readonly cache: LayerFactsCache;
  /** Layer blobs opened so far: the figure that proves re-matching reads none. */
  layerReads = 0;

  constructor(options: IndexerOptions) {
    this.openBlob = options.openBlob;
    this.cache = options.cache ?? new MemoryLayerFactsCache();
  }

  /** `pause` is awaited before each chunk of a layer is parsed (nothing is held while it waits but the open blob). */
  async index(digest: string, pause: Pause = NO_PAUSE): Promise<IndexResult> {
    const manifest = JSON.parse((await readBlob(this.openBlob, digest)).toString('utf8')) as ManifestJson;
    if (manifest.manifests && (INDEX_TYPES.has(manifest.mediaType ?? '') || !manifest.layers)) {
      const inventories: Inventory[] = [];
      for (const child of manifest.manifests) {
        if (!child.platform || child.platform.os === 'unknown') continue; // attestation manifests
        if (child.annotations?.['vnd.docker.reference.type']) continue;
        const childManifest = JSON.parse((await readBlob(this.openBlob, child.digest)).toString('utf8')) as ManifestJson;
        if (!isImage(childManifest)) continue;
        inventories.push(await this.indexManifest(child.digest, childManifest, pause));
      }
      return { subject: digest, inventories, isIndex: true };
    }
    if (!isImage(manifest)) throw new NotAnImageError(`${digest} is not a container image`);
    return { subject: digest, inventories: [await this.indexManifest(digest, manifest, pause)], isIndex: false };
  }

  private async indexManifest(digest: string, manifest: ManifestJson, pause: Pause): Promise<Inventory> {
    const config = JSON.parse((await readBlob(this.openBlob, manifest.config!.digest)).toString('utf8')) as Partial<Platform>;
    const layers: LayerFacts[] = [];
    for (const layer of manifest.layers ?? []) {
      if (!LAYER_TYPE.test(layer.mediaType ?? '')) continue;
      layers.push(await this.layerFacts(layer.digest, pause));
    }
    const view = mergeLayers(layers);
    const distro = findDistro(view);
    return {
      subject: digest,
      platform: config.os && config.architecture ? { os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) } : undefined,
      distro,
      packages: findPackages(view, distro),
      indexer: INDEXER,
      layers: layers.map((l) => l.digest),
    };
  }

  /** Two images pushed together on one base wait for the same read instead of reading twice. */
  private readonly inflight = new Map<string, Promise<LayerFacts>>();

  private async layerFacts(digest: string, pause: Pause): Promise<LayerFacts> {
    const cached = await this.cache.get(digest);
    if (cached) return cached;
    let pending = this.inflight.get(digest);
    if (!pending) {
      pending = (async () => {
        this.layerReads++;
        const blob = await this.openBlob(digest);
        const facts = await readLayerFacts(digest, pause === NO_PAUSE ? blob : pausing(blob, pause));
        await this.cache.set(digest, facts);
        return facts;
      })().finally(() => this.inflight.delete(digest));
      this.inflight.set(digest, pending);
    }
    return pending;
  }
}

/** The blob's chunks, each passed on once `pause` resolves; the blob is closed when the reader stops. */
function pausing(blob: Readable, pause: Pause): Readable {
  return Readable.from((async function* chunks() {
    try {
      for await (const chunk of blob) {
        await pause();
        yield chunk as Buffer;
      }
    } finally {
      blob.destroy();
    }
  })(), { objectMode: false });
}

function isImage(m: ManifestJson): boolean {
  return !!m.config && IMAGE_CONFIG_TYPES.has(m.config.mediaType ?? '') && Array.isArray(m.layers);
}
