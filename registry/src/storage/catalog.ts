// Lists repositories: a folder under /repositories holding a marker folder
// (_manifests, _layers, _tags) is a repository; nested names are found by descent.
import { isNotFound, type StorageDriver } from './driver/driver.js';
import { REPOSITORY_MARKERS, baseName, paths } from './paths.js';

export class Catalog {
  constructor(private readonly driver: StorageDriver) {}

  /** Every repository name in lexical order. */
  async list(): Promise<string[]> {
    const found: string[] = [];
    const root = paths.repositoriesRoot();
    const visit = async (prefix: string, name: string): Promise<void> => {
      let children: string[];
      try {
        children = await this.driver.list(prefix);
      } catch (err) {
        if (isNotFound(err)) return;
        throw err;
      }
      const names = children.map(baseName);
      if (name && names.some((n) => REPOSITORY_MARKERS.includes(n))) found.push(name);
      for (const child of children) {
        const n = baseName(child);
        if (!n.startsWith('_')) await visit(child, name ? `${name}/${n}` : n);
      }
    };
    await visit(root, '');
    return found.sort();
  }
}
