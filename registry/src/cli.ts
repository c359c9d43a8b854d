// Command-line flags of `berth-registry`. Flags override the config file.
import { parseArgs } from 'node:util';

export type Command = 'serve' | 'scrub' | 'vulndb-import' | 'install-containerd-hosts';

export interface CliOptions {
  readonly command: Command;
  /** scrub: report differences between the index and storage without repairing them. */
  readonly dryRun: boolean;
  /** vulndb import: the directory in osv.dev's layout (<dir>/<Ecosystem>/all.zip), and the tag to push it as. */
  readonly vulndbDir?: string;
  readonly tag?: string;
  readonly config?: string;
  readonly listen?: string;
  readonly data?: string;
  /** install-containerd-hosts: the mounted ConfigMap, the node's certs.d folder, and how often to look again. */
  readonly from?: string;
  readonly to?: string;
  readonly intervalSeconds?: number;
  readonly help: boolean;
}

export const USAGE = `Usage: berth-registry [serve] [--config FILE] [--listen HOST:PORT] [--data DIR]
       berth-registry scrub [--config FILE] [--data DIR] [--dry-run]
       berth-registry vulndb import DIR [--tag TAG] [--config FILE] [--data DIR]
       berth-registry install-containerd-hosts --from DIR --to DIR [--interval SECONDS]

  serve               run the registry (the default)
  scrub               verify the metadata index against storage and repair it, then exit;
                      with --dry-run only report what differs
  vulndb import DIR   push the vulnerability database in DIR (<Ecosystem>/all.zip, osv.dev's layout)
                      to security.vulnDB.repository as TAG (default: today's date), then exit;
                      a running registry loads it within vulnDB.refreshIntervalSeconds
  --tag TAG           vulndb import: the tag (a configured vulnDB.tag must be moved to it to be used)
  install-containerd-hosts
                      copy <host>.toml files from DIR to <to>/<host>/hosts.toml,
                      again every --interval seconds (default 30): the operator's
                      node installer for containerd mirror configuration
  --config FILE       YAML configuration file (see docs/configuration.md)
  --listen HOST:PORT  address to serve on (default 0.0.0.0:5000)
  --data DIR          filesystem storage root (default ./data)
  --help              show this help
`;

export function parseCli(argv: string[]): CliOptions {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string', short: 'c' },
      listen: { type: 'string', short: 'l' },
      data: { type: 'string', short: 'd' },
      help: { type: 'boolean', short: 'h', default: false },
      'dry-run': { type: 'boolean', default: false },
      from: { type: 'string' },
      to: { type: 'string' },
      interval: { type: 'string' },
      tag: { type: 'string' },
    },
    strict: true,
    allowPositionals: true,
  });
  const common = { dryRun: values['dry-run'] ?? false, config: values.config, listen: values.listen, data: values.data, help: values.help ?? false };
  if (positionals[0] === 'vulndb') {
    if (positionals[1] !== 'import') throw new Error(`unknown vulndb command: ${positionals[1] ?? '(none)'}`);
    if (!positionals[2]) throw new Error('vulndb import needs a directory');
    if (positionals.length > 3) throw new Error(`unexpected argument: ${positionals[3]}`);
    if (values['dry-run']) throw new Error('--dry-run goes with scrub');
    if (values.from !== undefined || values.to !== undefined || values.interval !== undefined) {
      throw new Error('--from and --to (and --interval) go with install-containerd-hosts, which needs both');
    }
    return { ...common, command: 'vulndb-import', vulndbDir: positionals[2], tag: values.tag };
  }
  if (positionals.length > 1) throw new Error(`unexpected argument: ${positionals[1]}`);
  const command = positionals[0] ?? 'serve';
  if (command !== 'serve' && command !== 'scrub' && command !== 'install-containerd-hosts') throw new Error(`unknown command: ${command}`);
  if (values['dry-run'] && command !== 'scrub') throw new Error('--dry-run goes with scrub');
  if (values.tag !== undefined) throw new Error('--tag goes with vulndb import');
  const installer = command === 'install-containerd-hosts';
  if (installer !== (values.from !== undefined && values.to !== undefined) || (!installer && values.interval !== undefined)) {
    throw new Error('--from and --to (and --interval) go with install-containerd-hosts, which needs both');
  }
  const intervalSeconds = values.interval === undefined ? undefined : Number(values.interval);
  if (intervalSeconds !== undefined && !(Number.isInteger(intervalSeconds) && intervalSeconds > 0)) throw new Error('--interval: a whole number of seconds above 0');
  return { ...common, command, from: values.from, to: values.to, intervalSeconds };
}
