// Lists repositories: a folder under /repositories holding a marker folder
// (_manifests, _layers, _tags) is a repository; nested names are found by descent.
import { listOrEmpty, type StorageDriver } from './driver/driver.js';
import { forEachLimit } from './for-each-limit.js';
import { REPOSITORY_MARKERS, baseName, paths } from './paths.js';

/** Folders listed at once: storage round trips overlap (readdir on the thread pool, requests to S3). */
const LIST_CONCURRENCY = 16;

export class Catalog {
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
}
