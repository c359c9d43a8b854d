// Where the embedded index lives when the config does not say: beside the data on
// the filesystem, so it travels with the volume. With S3 storage there is no such
// place, and the config must name one (the schema refuses it otherwise).
import { join } from 'node:path';
import type { RegistryConfig } from '#contract/config/schema.js';

export function defaultSqlitePath(config: RegistryConfig): string | undefined {
  return config.storage.filesystem ? join(config.storage.filesystem.root, '_metadata', 'index.db') : undefined;
}
