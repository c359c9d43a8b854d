// `berth-registry scrub`: verifies the metadata index against storage, repairs it
// (or only reports, with --dry-run), prints the report as JSON and exits. Safe
// while registries serve: repositories with writes in flight are reported busy
// and left for the next scrub.
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { RegistryConfig } from '#contract/config/schema.js';
import { createLogger } from '../log.js';
import { indexOptions } from '../metadata/from-config.js';
import { MetadataIndex } from '../metadata/index.js';
import { Metrics } from '../metrics/metrics.js';
import { defaultSqlitePath } from '../metadata/default-path.js';
import { openStorage } from '../storage/registry-storage.js';
import { Scrubber } from './scrubber.js';

/** Returns the exit code: 0, or 1 when a dry run found differences. */
export async function scrubCommand(config: RegistryConfig, options: { dryRun: boolean }): Promise<number> {
  const log = createLogger(config.log.level, process.stderr);
  const storage = await openStorage(config.storage, new Metrics({ defaultMetrics: false }));
  const engine = indexOptions(config.metadata, defaultSqlitePath(config));
  if (engine.engine.engine === 'sqlite') await mkdir(dirname(engine.engine.path), { recursive: true });
  const index = await MetadataIndex.open(engine);
  try {
    const report = await new Scrubber(storage, index, log).scrubAll({ dryRun: options.dryRun, progressEvery: 100 });
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return options.dryRun && (report.drift.length || report.repositoriesRemoved) ? 1 : 0;
  } finally {
    await index.close();
    await storage.close();
  }
}
