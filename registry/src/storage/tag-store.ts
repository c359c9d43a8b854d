// Tags: one small object per tag holding the digest it points to, replaced atomically.
import { parseDigest, type Digest } from '../digest.js';
import { isNotFound, type StorageDriver } from './driver/driver.js';
import { baseName, paths } from './paths.js';

export class TagStore {
  constructor(private readonly driver: StorageDriver) {}

  async resolve(repo: string, tag: string): Promise<Digest | undefined> {
    try {
      return parseDigest((await this.driver.getContent(paths.tag(repo, tag))).toString('utf8').trim());
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async set(repo: string, tag: string, digest: Digest): Promise<void> {
    await this.driver.putContent(paths.tag(repo, tag), digest.value);
  }

  /** Returns false when the tag did not exist. */
  async delete(repo: string, tag: string): Promise<boolean> {
    try {
      await this.driver.delete(paths.tag(repo, tag));
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
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
