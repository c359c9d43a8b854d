// Deleting a whole repository: its tags (each recorded in the history), manifests,
// references, links and pull times, then its row. Nested repositories (`a/b`
// under `a`) stay, as in storage.
import type { WriteScope } from './scope.js';
import { recordTagDeletions } from './tags.js';

/** Returns false when the repository was unknown. */
export async function deleteRepository(w: WriteScope, repo: string, actor: string | undefined, at: number): Promise<boolean> {
  const removed = await w.trx.deleteFrom('tags').where('repo', '=', repo).returning(['tag', 'digest']).execute();
  await recordTagDeletions(w, repo, removed, actor, at);
  for (const table of ['manifest_refs', 'manifests', 'layer_links', 'pulls'] as const) {
    await w.trx.deleteFrom(table).where('repo', '=', repo).execute();
  }
  const row = await w.trx.deleteFrom('repositories').where('name', '=', repo).returning('name').executeTakeFirst();
  if (!row) return false;
  w.changed({ kind: 'repository', repo });
  return true;
}
