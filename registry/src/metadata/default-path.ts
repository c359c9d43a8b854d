// Where the embedded index lives when the config does not say: beside the data on
// the filesystem (so it travels with the volume), else in the working directory.
import { join } from 'node:path';
import type { RegistryConfig } from '#contract/config/schema.js';

export function defaultSqlitePath(config: RegistryConfig): string {
  return config.storage.filesystem ? join(config.storage.filesystem.root, '_metadata', 'index.db') : join('metadata', 'index.db');
}
