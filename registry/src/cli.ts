// Command-line flags of `berth-registry`. Flags override the config file.
import { parseArgs } from 'node:util';

export type Command = 'serve' | 'scrub' | 'install-containerd-hosts';

export interface CliOptions {
  readonly command: Command;
  /** scrub: report differences between the index and storage without repairing them. */
  readonly dryRun: boolean;
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
       berth-registry install-containerd-hosts --from DIR --to DIR [--interval SECONDS]

  serve               run the registry (the default)
  scrub               verify the metadata index against storage and repair it, then exit;
                      with --dry-run only report what differs
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
    },
    strict: true,
    allowPositionals: true,
  });
  if (positionals.length > 1) throw new Error(`unexpected argument: ${positionals[1]}`);
  const command = positionals[0] ?? 'serve';
  if (command !== 'serve' && command !== 'scrub' && command !== 'install-containerd-hosts') throw new Error(`unknown command: ${command}`);
  if (values['dry-run'] && command !== 'scrub') throw new Error('--dry-run goes with scrub');
  const installer = command === 'install-containerd-hosts';
  if (installer !== (values.from !== undefined && values.to !== undefined) || (!installer && values.interval !== undefined)) {
    throw new Error('--from and --to (and --interval) go with install-containerd-hosts, which needs both');
  }
  const intervalSeconds = values.interval === undefined ? undefined : Number(values.interval);
  if (intervalSeconds !== undefined && !(Number.isInteger(intervalSeconds) && intervalSeconds > 0)) throw new Error('--interval: a whole number of seconds above 0');
  return {
    command, dryRun: values['dry-run'] ?? false, config: values.config, listen: values.listen, data: values.data, help: values.help ?? false,
    from: values.from, to: values.to, intervalSeconds,
  };
}
