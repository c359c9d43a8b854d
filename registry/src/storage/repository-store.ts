// Repositories as a whole: listing (a folder under /repositories holding a marker
// folder is a repository; nested names are found by descent), existence, the
// figures a repository's status reports, and deleting a repository's content.
import { forEachLimit } from '#contract/util/limit.js';
import type { BlobStore } from './blob-store.js';
import { deleteIfExists, listOrEmpty, type StorageDriver } from './driver/driver.js';
import type { ManifestStore } from './manifest-store.js';
import { REPOSITORY_MARKERS, baseName, paths } from './paths.js';
import type { TagStore } from './tag-store.js';

/** Folders listed at once: storage round trips overlap (readdir on the thread pool, requests to S3). */
const LIST_CONCURRENCY = 16;

export interface RepositorySummary {
  readonly tagCount: number;
  readonly manifestCount: number;
  /** Every unique digest linked in the repository (manifests and blobs) once. */
  readonly sizeBytes: number;
  readonly lastPushTime?: string;
}

export class RepositoryStore {
  constructor(
    private readonly driver: StorageDriver,
    private readonly blobs: BlobStore,
    private readonly manifests: ManifestStore,
    private readonly tags: TagStore,
  ) {}

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

  async summary(repo: string): Promise<RepositorySummary> {
    const tags = (await this.tags.list(repo)) ?? [];
    const manifests = await this.manifests.list(repo);
    let lastPush = 0;
    for (const d of manifests) {
      const meta = await this.manifests.meta(repo, d);
      if (meta) lastPush = Math.max(lastPush, Date.parse(meta.pushedAt) || 0);
    }
    const sizes = new Map<string, number>();
    for (const d of [...manifests, ...(await this.blobs.links(repo))]) {
      if (sizes.has(d.value)) continue;
      const size = await this.blobs.globalSize(d);
      if (size !== undefined) sizes.set(d.value, size);
    }
    let sizeBytes = 0;
    for (const s of sizes.values()) sizeBytes += s;
    return { tagCount: tags.length, manifestCount: manifests.length, sizeBytes, ...(lastPush ? { lastPushTime: new Date(lastPush).toISOString() } : {}) };
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
