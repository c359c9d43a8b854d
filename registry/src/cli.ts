// Command-line flags of `berth-registry`. Flags override the config file.
import { parseArgs } from 'node:util';

export interface CliOptions {
  readonly config?: string;
  readonly listen?: string;
  readonly data?: string;
  readonly help: boolean;
}

export const USAGE = `Usage: berth-registry [--config FILE] [--listen HOST:PORT] [--data DIR]

  --config FILE       YAML configuration file (see docs/configuration.md)
  --listen HOST:PORT  address to serve on (default 0.0.0.0:5000)
  --data DIR          filesystem storage root (default ./data)
  --help              show this help
`;

export function parseCli(argv: string[]): CliOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string', short: 'c' },
      listen: { type: 'string', short: 'l' },
      data: { type: 'string', short: 'd' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  return { config: values.config, listen: values.listen, data: values.data, help: values.help ?? false };
}
