import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FilesystemDriver } from '../../../registry/src/storage/driver/filesystem.js';
import { runDriverSuite } from './driver-suite.js';

let root: string | undefined;

runDriverSuite('filesystem', async () => {
  root ??= await mkdtemp(join(tmpdir(), 'berth-fs-'));
  const dir = root;
  return {
    driver: new FilesystemDriver({ root: dir }),
    cleanup: async () => undefined,
  };
});

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});
