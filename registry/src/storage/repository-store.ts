// Repositories as a whole: listing (a folder under /repositories holding a marker
// folder is a repository; nested names are found by descent), existence, and
// deleting a repository's content.
import { forEachLimit } from '#contract/util/limit.js';
import { deleteIfExists, listOrEmpty, type StorageDriver } from './driver/driver.js';
import { REPOSITORY_MARKERS, baseName, paths } from './paths.js';

/** Folders listed at once: storage round trips overlap (readdir on the thread pool, requests to S3). */
const LIST_CONCURRENCY = 16;

export class RepositoryStore {
  constructor(private readonly driver: StorageDriver) {}

  /** Every repository name in lexical order. */
  async list(): Promise<string[]> {
    const found: string[] = [];
    // Breadth first, one level of the tree at a time, each level listed in parallel.
    let level: Array<{ path: string; name: string }> = [{ path: paths.repositoriesRoot(), name: '' }];
    while (level.length > 0) {
      const next: typeof level = [];
      await forEachLimit(level, LIST_CONCURRENCY, async ({ path, name }) => {
        const children = await listOrEmpty(this.driver, path);
        const names = children.map(baseName);
        if (name && names.some((n) => REPOSITORY_MARKERS.includes(n))) found.push(name);
        children.forEach((child, i) => {
          if (!names[i].startsWith('_')) next.push({ path: child, name: name ? `${name}/${names[i]}` : names[i] });
        });
      });
      level = next;
    }
    return found.sort();
  }

  async exists(repo: string): Promise<boolean> {
    const children = (await listOrEmpty(this.driver, paths.repository(repo))).map(baseName);
    return children.some((c) => REPOSITORY_MARKERS.includes(c));
  }

  /**
   * Deletes every tag, manifest link, layer link and referrer entry of the repository
   * (nested repositories below it stay); the content goes with the next GC run.
   */
  async deleteContent(repo: string): Promise<void> {
    for (const folder of [paths.tagsRoot(repo), paths.manifestsRoot(repo), paths.layersRoot(repo), paths.referrersRoot(repo)]) {
      await deleteIfExists(this.driver, folder);
    }
  }
}
