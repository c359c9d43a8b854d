// Command-line flags of `berth-registry`. Flags override the config file.
import { parseArgs } from 'node:util';

export type Command = 'serve' | 'scrub';

export interface CliOptions {
  readonly command: Command;
  /** scrub: report differences between the index and storage without repairing them. */
  readonly dryRun: boolean;
  readonly config?: string;
  readonly listen?: string;
  readonly data?: string;
  readonly help: boolean;
}

export const USAGE = `Usage: berth-registry [serve] [--config FILE] [--listen HOST:PORT] [--data DIR]
       berth-registry scrub [--config FILE] [--data DIR] [--dry-run]

  serve               run the registry (the default)
  scrub               verify the metadata index against storage and repair it, then exit;
                      with --dry-run only report what differs
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
    },
    strict: true,
    allowPositionals: true,
  });
  if (positionals.length > 1) throw new Error(`unexpected argument: ${positionals[1]}`);
  const command = positionals[0] ?? 'serve';
  if (command !== 'serve' && command !== 'scrub') throw new Error(`unknown command: ${command}`);
  if (values['dry-run'] && command !== 'scrub') throw new Error('--dry-run goes with scrub');
  return { command, dryRun: values['dry-run'] ?? false, config: values.config, listen: values.listen, data: values.data, help: values.help ?? false };
}
