// `berth-registry vulndb import DIR`: the database in DIR pushed through the
// write path of the registry the config names (its storage and index), then exit.
import type { RegistryConfig } from '#contract/config/schema.js';
import { createLogger } from './log.js';
import { defaultTag, importVulnDb } from './scanning/vulndb-import.js';
import { assembleServices, closeServices } from './services.js';

export async function vulndbImportCommand(config: RegistryConfig, options: { dir: string; tag?: string }): Promise<number> {
  const log = createLogger(config.log.level, process.stderr);
  const assembled = await assembleServices(config, log);
  const { services } = assembled;
  const repo = config.security.vulnDB.repository;
  const tag = options.tag ?? defaultTag();
  try {
    const digest = await importVulnDb(services.writes, repo, options.dir, tag);
    process.stdout.write(`${JSON.stringify({ repository: repo, tag, digest })}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`berth-registry: vulndb import: ${(err as Error).message}\n`);
    return 1;
  } finally {
    await closeServices(assembled);
  }
}
