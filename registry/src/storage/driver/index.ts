// Driver registry: drivers are created by name from the `storage` config block.
import type { RegistryConfig } from '../../config/schema.js';
import type { StorageDriver } from './driver.js';
import { FilesystemDriver } from './filesystem.js';
import { S3Driver, s3OptionsFromConfig } from './s3.js';
import { withPathValidation } from './validated.js';

export type DriverFactory = (config: RegistryConfig['storage']) => Promise<StorageDriver>;

const factories = new Map<string, DriverFactory>([
  ['filesystem', async (s) => new FilesystemDriver({ root: s.filesystem!.root })],
  ['s3', async (s) => new S3Driver(s3OptionsFromConfig(s.s3!))],
]);

export function registerDriver(name: string, factory: DriverFactory): void {
  factories.set(name, factory);
}

export function driverName(storage: RegistryConfig['storage']): string {
  return storage.s3 ? 's3' : 'filesystem';
}

export async function createDriver(storage: RegistryConfig['storage']): Promise<StorageDriver> {
  const name = driverName(storage);
  const factory = factories.get(name);
  if (!factory) throw new Error(`storage driver ${name} is not available`);
  return withPathValidation(await factory(storage));
}
