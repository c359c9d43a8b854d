// A registry started inside the test process (startRegistry on an ephemeral
// loopback port), for HTTP-level tests that need no separate process: its config
// is the tests' input over small defaults, and its log is silent, kept in memory,
// or appended to BERTH_TEST_LOG_FILE to explain a failure.
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { parseConfig } from '#contract/config/load.js';
import type { RegistryConfigInput } from '#contract/config/schema.js';
import { createLogger, type Logger } from '../../registry/src/log.js';
import { startRegistry, type RunningRegistry } from '../../registry/src/server.js';
import { OciClient } from './oci-client.js';
import { withLocalIndex } from './registry-process.js';

export interface InProcessRegistry {
  readonly url: string;
  /** The filesystem storage root, unless the config names other storage. */
  readonly dataDir: string;
  readonly running: RunningRegistry;
  /** A client for this registry, without credentials. */
  readonly client: OciClient;
  /** The log lines at info and above, when started with `captureLog`; empty otherwise. */
  readonly logLines: string[];
  stop(): Promise<void>;
}

export interface InProcessOptions {
  /** Keeps data under DIR/data, and DIR after stop(); by default a temporary folder, removed by stop(). */
  readonly dir?: string;
  /** Keeps the log (info and above) in `logLines`. */
  readonly captureLog?: boolean;
}

export async function startInProcessRegistry(input: RegistryConfigInput = {}, options: InProcessOptions = {}): Promise<InProcessRegistry> {
  const dir = options.dir ?? await mkdtemp(join(tmpdir(), 'berth-in-process-'));
  const dataDir = join(dir, 'data');
  const config = parseConfig(withLocalIndex({
    ...input,
    http: { ...input.http, listen: '127.0.0.1:0' },
    storage: input.storage ?? { filesystem: { root: dataDir } },
    uploads: { purgeIntervalSeconds: 0, ...input.uploads },
  }, join(dir, 'index.db')));
  const logLines: string[] = [];
  const running = await startRegistry(config, { log: logger(options.captureLog ? logLines : undefined) });
  return {
    url: running.url, dataDir, running, client: new OciClient(running.url), logLines,
    stop: async () => {
      await running.stop();
      if (!options.dir) await rm(dir, { recursive: true, force: true });
    },
  };
}

function logger(lines: string[] | undefined): Logger {
  if (lines) {
    return createLogger('info', new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    }));
  }
  // BERTH_TEST_LOG_FILE=path appends the registry's warnings and errors there.
  const file = process.env.BERTH_TEST_LOG_FILE;
  return file ? createLogger('warn', createWriteStream(file, { flags: 'a' })) : createLogger('silent');
}
