// What online garbage collection needs from storage, and nothing else may use:
// the writers' "last referenced" markers, the lease, listing every blob, and the
// sweeper's reversible steps (take a link and put it back, move a blob into
// quarantine and back). The protocol itself is described in gc/collector.ts.
import { parseDigest, type Digest } from '../reference.js';
import type { BlobStore } from './blob-store.js';
import { deleteIfExists, getOrUndefined, isNotFound, listOrEmpty, type StorageDriver } from './driver/driver.js';
import { GcLease, type LeaseOptions } from './gc-lease.js';
import type { ManifestStore } from './manifest-store.js';
import { GcMarkers } from './gc-markers.js';
import { baseName, paths } from './paths.js';

/** A link taken by the sweeper: enough to put it back exactly as it was. */
export interface TakenLink {
  readonly path: string;
  readonly content: Buffer;
}

export class GcStorage {
  readonly markers: GcMarkers;

  constructor(private readonly driver: StorageDriver, private readonly blobs: BlobStore, private readonly manifests: ManifestStore) {
    this.markers = new GcMarkers(driver);
  }

  lease(options: LeaseOptions): GcLease {
    return new GcLease(this.driver, options);
  }

  /** Every blob in the content store. */
  async allBlobs(): Promise<Digest[]> {
    const out: Digest[] = [];
    for (const alg of await listOrEmpty(this.driver, paths.blobsRoot())) {
      for (const prefix of await listOrEmpty(this.driver, alg)) {
        for (const p of await listOrEmpty(this.driver, prefix)) {
          const d = parseDigest(`${baseName(alg)}:${baseName(p)}`);
          if (d) out.push(d);
        }
      }
    }
    return out;
  }

  /** Size and write time of a blob, uncached; undefined when absent. */
  async blobInfo(d: Digest): Promise<{ size: number; writtenAt: number } | undefined> {
    const info = await this.driver.statFile(paths.blob(d));
    return info && { size: info.size, writtenAt: info.modTime.getTime() };
  }

  /** When a blob was linked into the repository, or undefined when it is not. */
  async layerLinkWrittenAt(repo: string, d: Digest): Promise<number | undefined> {
    return (await this.driver.statFile(paths.layerLink(repo, d)))?.modTime.getTime();
  }

  /** S2 for a layer link: reads and deletes it; undefined when it is already gone. */
  takeLayerLink(repo: string, d: Digest): Promise<TakenLink | undefined> {
    return this.take(paths.layerLink(repo, d));
  }

  /** S2 for a manifest link (the manifest's metadata goes with it). */
  async takeManifestLink(repo: string, d: Digest): Promise<TakenLink | undefined> {
    const link = await this.take(paths.manifestLink(repo, d));
    if (link) this.manifests.forgetLink(repo, d);
    return link;
  }

  async restoreLink(link: TakenLink): Promise<void> {
    await this.driver.putContent(link.path, link.content);
  }

  private async take(path: string): Promise<TakenLink | undefined> {
    const content = await getOrUndefined(this.driver, path);
    if (content === undefined || !(await deleteIfExists(this.driver, path))) return undefined;
    return { path, content };
  }

  /** S2 for a blob: moves it aside; false when it is already gone (another run took it). */
  async quarantine(d: Digest): Promise<boolean> {
    try {
      await this.driver.move(paths.blob(d), paths.gcQuarantine(d));
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
    this.blobs.forget(d);
    this.manifests.forgetBody(d);
    return true;
  }

  /** Puts a quarantined blob back (a writer touched it meanwhile). */
  async unquarantine(d: Digest): Promise<void> {
    try {
      await this.driver.move(paths.gcQuarantine(d), paths.blob(d));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** Deletes a quarantined blob for good; false when another run's recovery put it back. */
  deleteQuarantined(d: Digest): Promise<boolean> {
    return deleteIfExists(this.driver, paths.gcQuarantine(d));
  }

  async isQuarantined(d: Digest): Promise<boolean> {
    return (await this.driver.statFile(paths.gcQuarantine(d))) !== undefined;
  }

  /** Puts back blobs an interrupted run left in quarantine; returns how many. */
  async recoverQuarantine(): Promise<number> {
    let recovered = 0;
    for (const entry of await listOrEmpty(this.driver, paths.gcQuarantineRoot())) {
      const d = parseDigest(baseName(entry).replace('-', ':'));
      if (!d) continue;
      if (await this.blobs.exists(d)) {
        await deleteIfExists(this.driver, entry); // the blob was re-ingested meanwhile: same content
      } else {
        await this.unquarantine(d);
        recovered++;
      }
    }
    return recovered;
  }
}
