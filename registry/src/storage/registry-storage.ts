// Wires the stores over one driver: the service layer every handler, the garbage
// collector and the policy engine use.
import { BlobStore } from './blob-store.js';
import { Catalog } from './catalog.js';
import type { StorageDriver } from './driver/driver.js';
import { ManifestStore } from './manifest-store.js';
import { ReferrerStore } from './referrer-store.js';
import { TagStore } from './tag-store.js';
import { UploadStore } from './upload-store.js';

export interface RegistryStorage {
  readonly driver: StorageDriver;
  readonly blobs: BlobStore;
  readonly uploads: UploadStore;
  readonly manifests: ManifestStore;
  readonly tags: TagStore;
  readonly referrers: ReferrerStore;
  readonly catalog: Catalog;
}

export function createRegistryStorage(driver: StorageDriver): RegistryStorage {
  const blobs = new BlobStore(driver);
  const tags = new TagStore(driver, { statValidatedCache: driver.name === 'filesystem' });
  const referrers = new ReferrerStore(driver);
  return {
    driver,
    blobs,
    uploads: new UploadStore(driver, blobs),
    manifests: new ManifestStore(driver, blobs, tags, referrers),
    tags,
    referrers,
    catalog: new Catalog(driver),
  };
}
