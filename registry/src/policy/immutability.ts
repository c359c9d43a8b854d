// Tag immutability: a tag matching one of the repository's `immutableTags` patterns,
// once it exists, can be neither moved to another digest nor deleted. Re-pushing the
// same digest is allowed (clients retry). Pushes naming an immutable tag are
// serialised per repository, so two first pushes of `v1` cannot both win.
import { Code, RegistryError } from '../errors.js';
import type { Digest } from '../reference.js';
import { KeyedMutex } from '../storage/keyed-mutex.js';
import type { TagStore } from '../storage/tag-store.js';
import type { RepositorySettings } from './repository-settings.js';

export class TagImmutability {
  private readonly mutex = new KeyedMutex();

  constructor(private readonly settings: RepositorySettings, private readonly tags: TagStore) {}

  /** Runs a manifest push naming `tags` so that `checkPush` and the tag writes are atomic per repository. */
  async serialise<T>(repo: string, tags: readonly string[], push: () => Promise<T>): Promise<T> {
    if (!tags.some((t) => this.settings.immutablePattern(repo, t))) return push();
    return this.mutex.run(repo, push);
  }

  /** Refuses moving an existing immutable tag to another digest. */
  async checkPush(repo: string, tags: readonly string[], digest: Digest): Promise<void> {
    for (const tag of tags) {
      const pattern = this.settings.immutablePattern(repo, tag);
      if (!pattern) continue;
      const current = await this.tags.resolve(repo, tag);
      if (current && current.value !== digest.value) {
        throw denied(repo, tag, pattern, `tag ${tag} is immutable and already points to ${current.value}`);
      }
    }
  }

  /** Refuses deleting existing immutable tags (a tag delete, or a manifest delete that would remove them). */
  checkRemoval(repo: string, tags: readonly string[]): void {
    for (const tag of tags) {
      const pattern = this.settings.immutablePattern(repo, tag);
      if (pattern) throw denied(repo, tag, pattern, `tag ${tag} is immutable and cannot be deleted`);
    }
  }
}

function denied(repository: string, tag: string, pattern: string, message: string): RegistryError {
  return new RegistryError(Code.DENIED, { repository, tag, immutableTagPattern: pattern, reason: 'immutable tag' }, {}, message);
}
