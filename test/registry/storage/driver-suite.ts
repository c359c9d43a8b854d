// The one test suite every storage driver runs unchanged (filesystem.test.ts,
// s3.test.ts). It ends each test by checking that nothing was left behind.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import {
  InvalidOffsetError, InvalidPathError, PathNotFoundError,
  type FileInfo, type StorageDriver,
} from '../../../registry/src/storage/driver/driver.js';
import { withPathValidation } from '../../../registry/src/storage/driver/validated.js';

export interface DriverUnderTest {
  readonly driver: StorageDriver;
  /** Removes everything the driver created (its root folder or bucket prefix). */
  cleanup(): Promise<void>;
}

async function read(driver: StorageDriver, path: string, offset?: number, length?: number): Promise<Buffer> {
  return buffer(await driver.reader(path, offset, length));
}

/** Byte comparison; jest's deep equality walks buffers element by element and is slow on megabytes. */
function expectBytes(actual: Buffer, expected: Buffer): void {
  expect(actual.length).toBe(expected.length);
  expect(actual.equals(expected)).toBe(true);
}

async function allObjects(driver: StorageDriver): Promise<string[]> {
  const out: string[] = [];
  try {
    await driver.walk('/', (info: FileInfo) => {
      if (!info.isDir) out.push(info.path);
    });
  } catch (err) {
    if (!(err instanceof PathNotFoundError)) throw err;
  }
  return out;
}

export function runDriverSuite(name: string, makeDriver: () => Promise<DriverUnderTest>): void {
  describe(`storage driver suite: ${name}`, () => {
    let subject: DriverUnderTest;
    let d: StorageDriver;
    let root: string;

    beforeEach(async () => {
      subject = await makeDriver();
      d = withPathValidation(subject.driver);
      root = `/suite-${randomBytes(4).toString('hex')}`;
    });

    afterEach(async () => {
      try {
        await d.delete(root).catch((err) => {
          if (!(err instanceof PathNotFoundError)) throw err;
        });
        expect(await allObjects(d)).toEqual([]);
      } finally {
        await d.close();
        await subject.cleanup();
      }
    });

    test('putContent then getContent round-trips bytes, including non-UTF-8', async () => {
      const bytes = Buffer.from([0, 255, 254, 1, 0xc3, 0x28, 10, 13]);
      await d.putContent(`${root}/a/b/c`, bytes);
      expectBytes(await d.getContent(`${root}/a/b/c`), bytes);
    });

    test('putContent replaces existing content', async () => {
      await d.putContent(`${root}/x`, 'first version, longer');
      await d.putContent(`${root}/x`, 'second');
      expect((await d.getContent(`${root}/x`)).toString()).toBe('second');
    });

    test('zero-byte objects exist and are empty', async () => {
      await d.putContent(`${root}/empty`, Buffer.alloc(0));
      expect((await d.getContent(`${root}/empty`)).length).toBe(0);
      expect((await d.stat(`${root}/empty`)).size).toBe(0);
      expect((await read(d, `${root}/empty`)).length).toBe(0);
    });

    test('missing objects raise PathNotFoundError from every read operation', async () => {
      const p = `${root}/missing`;
      await expect(d.getContent(p)).rejects.toBeInstanceOf(PathNotFoundError);
      await expect(d.reader(p)).rejects.toBeInstanceOf(PathNotFoundError);
      await expect(d.stat(p)).rejects.toBeInstanceOf(PathNotFoundError);
      await expect(d.list(p)).rejects.toBeInstanceOf(PathNotFoundError);
      await expect(d.move(p, `${root}/elsewhere`)).rejects.toBeInstanceOf(PathNotFoundError);
      await expect(d.delete(p)).rejects.toBeInstanceOf(PathNotFoundError);
    });

    test.each(['', 'relative', '/a//b', '/a/../b', '/a/./b', '/a/b/', '/a b', '/a/\u00e9', '/..', '/a\\b'])(
      'invalid path %j is rejected before reaching the driver', async (p) => {
        await expect(d.putContent(p, 'x')).rejects.toBeInstanceOf(InvalidPathError);
        await expect(d.getContent(p)).rejects.toBeInstanceOf(InvalidPathError);
      });

    test('reader honours offset and length', async () => {
      const bytes = randomBytes(10_000);
      await d.putContent(`${root}/r`, bytes);
      expectBytes(await read(d, `${root}/r`, 0), bytes);
      expectBytes(await read(d, `${root}/r`, 1234), bytes.subarray(1234));
      expectBytes(await read(d, `${root}/r`, 100, 50), bytes.subarray(100, 150));
      expect((await read(d, `${root}/r`, 10_000)).length).toBe(0);
    });

    test('reader rejects offsets past the end and negative offsets', async () => {
      await d.putContent(`${root}/r`, 'abc');
      await expect(d.reader(`${root}/r`, 4)).rejects.toBeInstanceOf(InvalidOffsetError);
      await expect(d.reader(`${root}/r`, -1)).rejects.toBeInstanceOf(InvalidOffsetError);
    });

    test('stat reports size, time and folders', async () => {
      const before = Date.now() - 5_000;
      await d.putContent(`${root}/dir/file`, 'hello');
      const file = await d.stat(`${root}/dir/file`);
      expect(file.size).toBe(5);
      expect(file.isDir).toBe(false);
      expect(file.modTime.getTime()).toBeGreaterThanOrEqual(before);
      expect((await d.stat(`${root}/dir`)).isDir).toBe(true);
    });

    test('statFile reports stored objects, not prefixes or missing paths', async () => {
      const before = Date.now() - 5_000;
      await d.putContent(`${root}/sf/dir/file`, 'hello');
      const file = await d.statFile(`${root}/sf/dir/file`);
      expect(file?.size).toBe(5);
      expect(file?.isDir).toBe(false);
      expect(file?.modTime.getTime()).toBeGreaterThanOrEqual(before);
      expect(await d.statFile(`${root}/sf/dir`)).toBeUndefined();
      expect(await d.statFile(`${root}/sf/absent`)).toBeUndefined();
      expect(await d.statFile(`${root}/sf/dir/file/below`)).toBeUndefined();
      await d.move(`${root}/sf/dir/file`, `${root}/sf/moved`);
      expect((await d.statFile(`${root}/sf/moved`))?.size).toBe(5);
      expect(await d.statFile(`${root}/sf/dir/file`)).toBeUndefined();
      await expect(d.statFile('/')).rejects.toBeInstanceOf(InvalidPathError);
    });

    test('list returns direct children as full sorted paths', async () => {
      for (const p of ['b', 'a', 'c/d', 'c/e/f']) await d.putContent(`${root}/${p}`, p);
      expect(await d.list(root)).toEqual([`${root}/a`, `${root}/b`, `${root}/c`]);
      expect(await d.list(`${root}/c`)).toEqual([`${root}/c/d`, `${root}/c/e`]);
    });

    test('list of many children returns all of them', async () => {
      const names = Array.from({ length: 1100 }, (_, i) => `t${String(i).padStart(5, '0')}`);
      for (let i = 0; i < names.length; i += 100) {
        await Promise.all(names.slice(i, i + 100).map((n) => d.putContent(`${root}/many/${n}`, n)));
      }
      expect(await d.list(`${root}/many`)).toEqual(names.map((n) => `${root}/many/${n}`));
    });

    test('move renames an object and replaces the destination', async () => {
      await d.putContent(`${root}/src`, 'payload');
      await d.putContent(`${root}/deep/dst`, 'old');
      await d.move(`${root}/src`, `${root}/deep/dst`);
      expect((await d.getContent(`${root}/deep/dst`)).toString()).toBe('payload');
      await expect(d.stat(`${root}/src`)).rejects.toBeInstanceOf(PathNotFoundError);
    });

    test('move into a folder that does not exist yet, and a missing source or a missing object to delete is not found', async () => {
      await d.putContent(`${root}/moved`, 'payload');
      await d.move(`${root}/moved`, `${root}/new/folder/here`);
      expect((await d.getContent(`${root}/new/folder/here`)).toString()).toBe('payload');
      await d.move(`${root}/new/folder/here`, `${root}/new/folder/again`);
      expect((await d.getContent(`${root}/new/folder/again`)).toString()).toBe('payload');
      await expect(d.move(`${root}/absent`, `${root}/new/folder/x`)).rejects.toBeInstanceOf(PathNotFoundError);
      await expect(d.move(`${root}/absent`, `${root}/other/folder/x`)).rejects.toBeInstanceOf(PathNotFoundError);
      await expect(d.delete(`${root}/absent`)).rejects.toBeInstanceOf(PathNotFoundError);
      await expect(d.delete(`${root}/new/folder/again/below`)).rejects.toBeInstanceOf(PathNotFoundError);
    });

    test('delete removes an object or a whole prefix, but not its siblings', async () => {
      await d.putContent(`${root}/keep`, '1');
      await d.putContent(`${root}/gone/a`, '2');
      await d.putContent(`${root}/gone/b/c`, '3');
      await d.putContent(`${root}/gonesibling`, '4');
      await d.delete(`${root}/gone`);
      await expect(d.stat(`${root}/gone/a`)).rejects.toBeInstanceOf(PathNotFoundError);
      await expect(d.list(`${root}/gone`)).rejects.toBeInstanceOf(PathNotFoundError);
      expect((await d.getContent(`${root}/gonesibling`)).toString()).toBe('4');
      await d.delete(`${root}/keep`);
      await expect(d.getContent(`${root}/keep`)).rejects.toBeInstanceOf(PathNotFoundError);
    });

    test('walk visits everything depth-first in order, and skip prunes', async () => {
      for (const p of ['a/1', 'a/2', 'b/x/1', 'c']) await d.putContent(`${root}/${p}`, p);
      const seen: string[] = [];
      await d.walk(root, (info) => {
        seen.push(`${info.path.slice(root.length)}${info.isDir ? '/' : ''}`);
        return info.path.endsWith('/b') ? 'skip' : undefined;
      });
      expect(seen).toEqual(['/a/', '/a/1', '/a/2', '/b/', '/c']);
    });

    test('writer streams content readable after commit', async () => {
      const bytes = randomBytes(3 * 1024 * 1024 + 17);
      const w = await d.writer(`${root}/w`);
      expect(await w.write(Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000)]))).toBe(bytes.length);
      expect(w.size).toBe(bytes.length);
      await w.commit();
      expectBytes(await read(d, `${root}/w`), bytes);
      expect((await d.stat(`${root}/w`)).size).toBe(bytes.length);
    });

    test('writer accepts buffers and many small writes', async () => {
      const w = await d.writer(`${root}/small`);
      const parts: Buffer[] = [];
      for (let i = 0; i < 50; i++) {
        const b = randomBytes(1 + i * 7);
        parts.push(b);
        await w.write(b);
      }
      await w.commit();
      expectBytes(await d.getContent(`${root}/small`), Buffer.concat(parts));
    });

    test('close then append continues the same file, also from a fresh driver', async () => {
      const a = randomBytes(700_000);
      const b = randomBytes(123);
      const c = randomBytes(6 * 1024 * 1024);
      let w = await d.writer(`${root}/resumable`);
      await w.write(a);
      await w.close();
      const again = await makeDriver();
      try {
        const d2 = withPathValidation(again.driver);
        w = await d2.writer(`${root}/resumable`, { append: true });
        expect(w.size).toBe(a.length);
        await w.write(Readable.from([b]));
        await w.close();
      } finally {
        await again.driver.close();
      }
      w = await d.writer(`${root}/resumable`, { append: true });
      expect(w.size).toBe(a.length + b.length);
      await w.write(c);
      await w.commit();
      expectBytes(await read(d, `${root}/resumable`), Buffer.concat([a, b, c]));
    });

    test('writer.size stays right after close and commit (the upload store reads it then)', async () => {
      const w = await d.writer(`${root}/sized`);
      await w.write(randomBytes(1234));
      await w.close();
      expect(w.size).toBe(1234);
      const w2 = await d.writer(`${root}/sized`, { append: true });
      await w2.write(randomBytes(66));
      await w2.commit();
      expect(w2.size).toBe(1300);
      expect((await d.stat(`${root}/sized`)).size).toBe(1300);
    });

    test('an empty writer commits a zero-byte object', async () => {
      const w = await d.writer(`${root}/zero`);
      await w.commit();
      expect((await d.getContent(`${root}/zero`)).length).toBe(0);
    });

    test('cancel discards the content', async () => {
      const w = await d.writer(`${root}/cancelled`);
      await w.write(randomBytes(1000));
      await w.close();
      const w2 = await d.writer(`${root}/cancelled`, { append: true });
      await w2.cancel();
      await expect(d.stat(`${root}/cancelled`)).rejects.toBeInstanceOf(PathNotFoundError);
    });

    test('a writer whose source fails keeps what it had before the failure', async () => {
      const good = randomBytes(1000);
      const w = await d.writer(`${root}/partial`);
      await w.write(good);
      const failing = new Readable({
        read() {
          this.destroy(new Error('client went away'));
        },
      });
      await expect(w.write(failing)).rejects.toThrow('client went away');
      await w.close();
      const w2 = await d.writer(`${root}/partial`, { append: true });
      expect(w2.size).toBe(good.length);
      await w2.commit();
      expectBytes(await d.getContent(`${root}/partial`), good);
    });

    test('concurrent putContent to one path leaves one complete version', async () => {
      const versions = Array.from({ length: 10 }, (_, i) => Buffer.alloc(50_000, i));
      await Promise.all(versions.map((v) => d.putContent(`${root}/race`, v)));
      const got = await d.getContent(`${root}/race`);
      expect(versions.some((v) => v.equals(got))).toBe(true);
    });

    test('concurrent writers on distinct paths do not interfere', async () => {
      const blobs = Array.from({ length: 8 }, () => randomBytes(200_000));
      await Promise.all(blobs.map(async (b, i) => {
        const w = await d.writer(`${root}/par/${i}`);
        await w.write(Readable.from([b.subarray(0, 100_000), b.subarray(100_000)]));
        await w.commit();
      }));
      for (let i = 0; i < blobs.length; i++) expectBytes(await d.getContent(`${root}/par/${i}`), blobs[i]);
    });

    test('a large stream round-trips without being held whole', async () => {
      const chunk = randomBytes(1024 * 1024);
      const count = 24;
      const w = await d.writer(`${root}/large`);
      await w.write(Readable.from((function* () { for (let i = 0; i < count; i++) yield chunk; })()));
      await w.commit();
      expect((await d.stat(`${root}/large`)).size).toBe(count * chunk.length);
      let total = 0;
      for await (const part of await d.reader(`${root}/large`, chunk.length * 3 + 5)) total += (part as Buffer).length;
      expect(total).toBe(count * chunk.length - chunk.length * 3 - 5);
    });

    test('redirectURL answers a URL or undefined, never throws for an existing object', async () => {
      await d.putContent(`${root}/redir`, 'x');
      const url = await d.redirectURL(`${root}/redir`, { method: 'GET', expiresInSeconds: 60 });
      expect(url === undefined || /^https?:\/\//.test(url)).toBe(true);
    });
  });
}
