// Tags: one small object per tag holding the digest it points to, replaced atomically.
import { parseDigest, type Digest } from '../reference.js';
import { deleteIfExists, isNotFound, type StorageDriver } from './driver/driver.js';
import { baseName, paths } from './paths.js';

/**
 * A tag file modified this recently is read, not cached: modification times are
 * coarse, so a rewrite in the same tick could look unchanged. Any later rewrite of
 * a cached tag carries a time past this window, and is seen by the stat.
 */
const SETTLED_MS = 10_000;
const MAX_CACHED = 10_000;

export interface TagStoreOptions {
  /**
   * Serve a resolved tag from memory while a stat shows its file unchanged. A
   * stat is one storage round trip where a read is several on the filesystem
   * (open, fstat, read, close); on S3 both are one request, so it buys nothing.
   */
  readonly statValidatedCache?: boolean;
}

export class TagStore {
  private readonly resolved = new Map<string, { digest: Digest; modTime: number }>();

  constructor(private readonly driver: StorageDriver, private readonly options: TagStoreOptions = {}) {}

  async resolve(repo: string, tag: string): Promise<Digest | undefined> {
    return (await this.lookup(repo, tag, false))?.digest;
  }

  /** The tag's digest and when the tag was last written (a cache's "validated at"), or undefined. */
  async entry(repo: string, tag: string): Promise<{ digest: Digest; writtenAt: number } | undefined> {
    const found = await this.lookup(repo, tag, true);
    return found?.digest && found.modTime !== undefined ? { digest: found.digest, writtenAt: found.modTime } : undefined;
  }

  private async lookup(repo: string, tag: string, withTime: boolean): Promise<{ digest: Digest | undefined; modTime?: number } | undefined> {
    const path = paths.tag(repo, tag);
    try {
      if (!this.options.statValidatedCache) {
        if (!withTime) return { digest: await this.read(path) };
        const info = await this.driver.statFile(path);
        return info && { digest: await this.read(path), modTime: info.modTime.getTime() };
      }
      const cached = this.resolved.get(path);
      const info = await this.driver.statFile(path); // before the read: a rewrite in between only costs a re-read
      if (!info) {
        this.resolved.delete(path);
        return undefined;
      }
      const modTime = info.modTime.getTime();
      if (cached && cached.modTime === modTime) return { digest: cached.digest, modTime };
      const digest = await this.read(path);
      this.resolved.delete(path);
      if (digest && Date.now() - modTime > SETTLED_MS) {
        if (this.resolved.size >= MAX_CACHED) this.resolved.delete(this.resolved.keys().next().value!);
        this.resolved.set(path, { digest, modTime });
      }
      return { digest, modTime };
    } catch (err) {
      if (isNotFound(err)) {
        this.resolved.delete(path);
        return undefined;
      }
      throw err;
    }
  }

  private async read(path: string): Promise<Digest | undefined> {
    return parseDigest((await this.driver.getContent(path)).toString('utf8').trim());
  }

  async set(repo: string, tag: string, digest: Digest): Promise<void> {
    this.resolved.delete(paths.tag(repo, tag));
    await this.driver.putContent(paths.tag(repo, tag), digest.value);
  }

  /** Returns false when the tag did not exist. */
  async delete(repo: string, tag: string): Promise<boolean> {
    this.resolved.delete(paths.tag(repo, tag));
    return deleteIfExists(this.driver, paths.tag(repo, tag));
  }

  /** When the tag was last written (epoch ms), or undefined when it does not exist. */
  async writtenAt(repo: string, tag: string): Promise<number | undefined> {
    return (await this.driver.statFile(paths.tag(repo, tag)))?.modTime.getTime();
  }

  /** All tags of a repository in lexical order, or undefined when the repository has none. */
  async list(repo: string): Promise<string[] | undefined> {
    try {
      return (await this.driver.list(paths.tagsRoot(repo))).map(baseName).sort();
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async tagsFor(repo: string, digest: Digest): Promise<string[]> {
    const tags = (await this.list(repo)) ?? [];
    const hits = await Promise.all(tags.map(async (t) => ((await this.resolve(repo, t))?.value === digest.value ? t : undefined)));
    return hits.filter((t): t is string => t !== undefined);
  }
}
