#!/usr/bin/env -S MALLOC_MMAP_THRESHOLD_=131072 node --max-semi-space-size=4
// berth-registry: load config (file, then flags), then serve (draining on
// SIGTERM/SIGINT), run a one-off command (scrub, vulndb import), or install containerd's
// mirror configuration on a node (the operator's DaemonSet).
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { ConfigError, loadConfigFile, parseConfig } from '#contract/config/load.js';
import type { RegistryConfig } from '#contract/config/schema.js';
import { USAGE, parseCli, type CliOptions } from './cli.js';
import { tuneHeap } from './heap-tuning.js';

async function loadConfig(cli: CliOptions): Promise<RegistryConfig> {
  const config = cli.config ? await loadConfigFile(cli.config) : parseConfig({});
  if (cli.listen) config.http.listen = parseConfig({ http: { listen: cli.listen } }, '--listen').http.listen;
  if (cli.data) {
    if (config.storage.s3) throw new ConfigError('--data: the config selects s3 storage');
    config.storage.filesystem = { root: cli.data };
  }
  return config;
}

async function serve(config: RegistryConfig): Promise<void> {
  tuneHeap();
  if (config.storage.filesystem && !existsSync(config.storage.filesystem.root)) {
    await mkdir(config.storage.filesystem.root, { recursive: true });
  }
  const { startRegistry } = await import('./server.js');
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

async function main(): Promise<void> {
  let cli: CliOptions;
  let config: RegistryConfig;
  try {
    cli = parseCli(process.argv.slice(2));
    if (cli.help) {
      process.stdout.write(USAGE);
      return;
    }
    if (cli.command === 'install-containerd-hosts') {
      const { runContainerdHostsInstaller } = await import('./mirror/containerd-hosts-installer.js');
      await runContainerdHostsInstaller(cli.from!, cli.to!, cli.intervalSeconds ?? 30, (line) => process.stdout.write(`${line}\n`));
      return;
    }
    config = await loadConfig(cli);
  } catch (err) {
    process.stderr.write(`berth-registry: ${(err as Error).message}\n${err instanceof ConfigError ? '' : USAGE}`);
    process.exit(2);
  }
  // Each command loads only its own modules (the node installer runs on every node; the vulndb import's are the scanner's).
  if (cli.command === 'scrub') process.exitCode = await (await import('./scrub/command.js')).scrubCommand(config, { dryRun: cli.dryRun });
  else if (cli.command === 'vulndb-import') process.exitCode = await (await import('./vulndb-command.js')).vulndbImportCommand(config, { dir: cli.vulndbDir!, tag: cli.tag });
  else await serve(config);
}

main().catch((err) => {
  process.stderr.write(`berth-registry: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
