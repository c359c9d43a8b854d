// An in-process registry with auth on, its log captured in memory.
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { parseConfig } from '#contract/config/load.js';
import type { RegistryConfigInput } from '#contract/config/schema.js';
import { createLogger } from '../../../registry/src/log.js';
import { startRegistry, type RunningRegistry } from '../../../registry/src/server.js';

export interface AuthRegistry {
  readonly url: string;
  readonly running: RunningRegistry;
  readonly logLines: string[];
  stop(): Promise<void>;
}

export async function startAuthRegistry(dir: string, input: RegistryConfigInput): Promise<AuthRegistry> {
  const logLines: string[] = [];
  const sink = new Writable({ write(chunk, _enc, cb) { logLines.push(...chunk.toString().split('\n').filter(Boolean)); cb(); } });
  const config = parseConfig({
    ...input,
    http: { ...input.http, listen: '127.0.0.1:0' },
    storage: { filesystem: { root: join(dir, 'data') } },
    uploads: { purgeIntervalSeconds: 0 },
  });
  const running = await startRegistry(config, { log: createLogger('info', sink) });
  return { url: running.url, running, logLines, stop: () => running.stop() };
}
