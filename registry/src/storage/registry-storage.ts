// The storage layer's one entry point: it opens the configured driver and wires
// the stores over it. Everything above storage/ goes through these stores; only
// storage/ knows the key layout (paths.ts) and the driver.
import type { RegistryConfig } from '#contract/config/schema.js';
import type { Metrics } from '../metrics/metrics.js';
import { BlobStore } from './blob-store.js';
import { isNotFound, type StorageDriver } from './driver/driver.js';
import { createDriver } from './driver/index.js';
import { instrument } from './driver/instrumented.js';
import { GcStorage } from './gc-storage.js';
import { ManifestStore } from './manifest-store.js';
import { RepositoryStore } from './repository-store.js';
import { TagStore } from './tag-store.js';
import { UploadStore } from './upload-store.js';

// What the layers above need to recognise or use from the driver layer.
export { InvalidPathError, StorageUnavailableError, WriteConflictError, canCopyDirectly, isStorageFull, type DirectCopy } from './driver/driver.js';
export { READ_BUFFER_BYTES, recycleReadBuffer, takeReadBuffer } from './driver/read-buffers.js';

export interface RegistryStorage {
  /** The driver's name (filesystem, s3), for logs. */
  readonly kind: string;
  readonly blobs: BlobStore;
  readonly uploads: UploadStore;
  readonly manifests: ManifestStore;
  readonly tags: TagStore;
  readonly repositories: RepositoryStore;
  readonly gc: GcStorage;
  /** Resolves when the backend answers (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export function createRegistryStorage(driver: StorageDriver): RegistryStorage {
  const blobs = new BlobStore(driver);
  const tags = new TagStore(driver, { statValidatedCache: driver.name === 'filesystem' });
  const manifests = new ManifestStore(driver, blobs, tags);
  return {
    kind: driver.name,
    blobs,
    uploads: new UploadStore(driver, blobs),
    manifests,
    tags,
    repositories: new RepositoryStore(driver),
    gc: new GcStorage(driver, blobs, manifests),
    async ping() {
      await driver.list('/').catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
      });
    },
    close: () => driver.close(),
  };
}

/** Opens the storage the config selects, with metrics on every driver call. */
export async function openStorage(config: RegistryConfig['storage'], metrics: Metrics): Promise<RegistryStorage> {
  return createRegistryStorage(instrument(await createDriver(config), metrics));
}
