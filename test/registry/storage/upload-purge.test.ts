// The purger and an upload being created at the same moment: the upload's folder
// exists before its info file does, and a purge in between must not take it (the
// soak test caught a create answering 500 when it did). A folder that stays empty
// is still purged, from the first purge that saw it.
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobStore } from '../../../registry/src/storage/blob-store.js';
import { FilesystemDriver } from '../../../registry/src/storage/driver/filesystem.js';
import { UploadStore } from '../../../registry/src/storage/upload-store.js';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'berth-purge-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

test('an upload folder without files yet survives the purge that first sees it; it goes after maxAge from then', async () => {
  const driver = new FilesystemDriver({ root });
  const uploads = new UploadStore(driver, new BlobStore(driver));
  const id = '0b7e4c6e-1111-4a2b-9c3d-123456789abc';
  await mkdir(join(root, '_uploads', id), { recursive: true }); // create() has made the folder, not yet the info file
  const now = Date.now();
  expect(await uploads.purge(60, now)).toBe(0);
  expect(await readdir(join(root, '_uploads'))).toEqual([id]);
  expect(await uploads.purge(60, now + 30_000)).toBe(0);
  expect(await uploads.purge(60, now + 61_000)).toBe(1);
  expect(await readdir(join(root, '_uploads'))).toEqual([]);
});

test('a created upload is purged by the age of its files, and a live one is kept', async () => {
  const driver = new FilesystemDriver({ root });
  const uploads = new UploadStore(driver, new BlobStore(driver));
  const old = await uploads.create('team/app');
  expect(await uploads.purge(60)).toBe(0);
  expect(await uploads.purge(60, Date.now() + 61_000)).toBe(1);
  await expect(uploads.info('team/app', old.id)).rejects.toThrow();
});
