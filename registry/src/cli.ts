// Command-line flags of `berth-registry`. Flags override the config file.
import { parseArgs } from 'node:util';

export type Command = 'serve' | 'scrub' | 'vulndb-import';

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
  readonly help: boolean;
}

export const USAGE = `Usage: berth-registry [serve] [--config FILE] [--listen HOST:PORT] [--data DIR]
       berth-registry scrub [--config FILE] [--data DIR] [--dry-run]
       berth-registry vulndb import DIR [--tag TAG] [--config FILE] [--data DIR]

  serve               run the registry (the default)
  scrub               verify the metadata index against storage and repair it, then exit;
                      with --dry-run only report what differs
  vulndb import DIR   push the vulnerability database in DIR (<Ecosystem>/all.zip, osv.dev's layout)
                      to security.vulnDB.repository as TAG (default: today's date), then exit;
                      a running registry loads it within vulnDB.refreshIntervalSeconds
  --tag TAG           vulndb import: the tag (a configured vulnDB.tag must be moved to it to be used)
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
    return { ...common, command: 'vulndb-import', vulndbDir: positionals[2], tag: values.tag };
  }
  if (positionals.length > 1) throw new Error(`unexpected argument: ${positionals[1]}`);
  const command = positionals[0] ?? 'serve';
  if (command !== 'serve' && command !== 'scrub') throw new Error(`unknown command: ${command}`);
  if (values['dry-run'] && command !== 'scrub') throw new Error('--dry-run goes with scrub');
  if (values.tag !== undefined) throw new Error('--tag goes with vulndb import');
  return { ...common, command };
}
