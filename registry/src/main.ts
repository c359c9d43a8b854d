#!/usr/bin/env node
// berth-registry: load config (file, then flags), start, and drain on SIGTERM/SIGINT.
import { existsSync } from 'node:fs';
import { USAGE, parseCli } from './cli.js';
import { ConfigError, loadConfigFile, parseConfig } from '#contract/config/load.js';
import type { RegistryConfig } from '#contract/config/schema.js';
import { startRegistry } from './server.js';

async function loadConfig(argv: string[]): Promise<RegistryConfig | undefined> {
  const cli = parseCli(argv);
  if (cli.help) {
    process.stdout.write(USAGE);
    return undefined;
  }
  const config = cli.config ? await loadConfigFile(cli.config) : parseConfig({});
  if (cli.listen) config.http.listen = parseConfig({ http: { listen: cli.listen } }, '--listen').http.listen;
  if (cli.data) {
    if (config.storage.s3) throw new ConfigError('--data: the config selects s3 storage');
    config.storage.filesystem = { root: cli.data };
  }
  return config;
}

async function main(): Promise<void> {
  let config: RegistryConfig | undefined;
  try {
    config = await loadConfig(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`berth-registry: ${(err as Error).message}\n${err instanceof ConfigError ? '' : USAGE}`);
    process.exit(2);
  }
  if (!config) return;
  if (config.storage.filesystem && !existsSync(config.storage.filesystem.root)) {
    const { mkdir } = await import('node:fs/promises');
    await mkdir(config.storage.filesystem.root, { recursive: true });
  }
  const registry = await startRegistry(config);
  let stopping = false;
  const shutdown = (signal: string) => {
    registry.services.log.info({ msg: stopping ? 'already draining' : 'shutting down', signal });
    if (stopping) return; // a repeated signal must not cut the drain short
    stopping = true;
    registry.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err) => {
  process.stderr.write(`berth-registry: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
