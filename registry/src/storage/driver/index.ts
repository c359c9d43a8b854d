// Driver registry: drivers are created by name from the `storage` config block.
import type { RegistryConfig } from '#contract/config/schema.js';
import type { StorageDriver } from './driver.js';
import { FilesystemDriver } from './filesystem.js';
import { withPathValidation } from './validated.js';

export type DriverFactory = (config: RegistryConfig['storage']) => Promise<StorageDriver>;

const factories = new Map<string, DriverFactory>([
  ['filesystem', async (s) => new FilesystemDriver({ root: s.filesystem!.root })],
  // Loaded only when configured: the minio client alone adds about 40 MiB to the
  // resident size of a registry that keeps its data on the filesystem.
  ['s3', async (s) => {
    const { S3Driver, s3OptionsFromConfig } = await import('./s3.js');
    return new S3Driver(s3OptionsFromConfig(s.s3!));
  }],
]);

export function driverName(storage: RegistryConfig['storage']): string {
  return storage.s3 ? 's3' : 'filesystem';
}

export async function createDriver(storage: RegistryConfig['storage']): Promise<StorageDriver> {
  const name = driverName(storage);
  const factory = factories.get(name);
  if (!factory) throw new Error(`storage driver ${name} is not available`);
  return withPathValidation(await factory(storage));
}
