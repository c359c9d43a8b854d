import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runIndexSuite } from './index-suite.js';

let dir: string | undefined;
let n = 0;

runIndexSuite('sqlite', async () => {
  dir ??= await mkdtemp(join(tmpdir(), 'berth-sqlite-'));
  return { options: { engine: { engine: 'sqlite', path: join(dir, `index-${++n}.db`) } }, cleanup: async () => undefined };
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});
