// Tag writes: the tag row, a history entry for each change (what it pointed to
// before, for rollback), and the repository's tag counter.
import { prepare } from '../engine/prepared.js';
import { chunks } from '../engine/statement-shapes.js';
import type { TagAction } from '../engine/tables.js';
import { ensureRepository } from './repository-row.js';
import { lockedRead, type WriteScope } from './scope.js';

export interface TagWrite {
  readonly actor?: string;
  readonly at: number;
  readonly action: Exclude<TagAction, 'delete'>;
}

/**
 * Points `tag` at `digest`; the repository row must exist. Returns the previous
 * digest. Re-pushing the same digest refreshes the push time without a history
 * entry. A new tag is told apart by the primary key, so two writers racing to
 * create it count it once.
 */
interface TagRow {
  repo: string;
  tag: string;
  digest: string;
  at: number;
  by: string | null;
}

const insertTag = prepare<TagRow, { tag: string }>((db, p) =>
  db.insertInto('tags').values({ repo: p.repo, tag: p.tag, digest: p.digest, pushed_at: p.at, pushed_by: p.by })
    .onConflict((oc) => oc.columns(['repo', 'tag']).doNothing()).returning('tag'));
const selectTagForUpdate = prepare<{ repo: string; tag: string }, { digest: string }>((db, p, kind) =>
  lockedRead(kind, db.selectFrom('tags').select('digest').where('repo', '=', p.repo).where('tag', '=', p.tag)));
const updateTag = prepare<TagRow, never>((db, p) =>
  db.updateTable('tags').set({ digest: p.digest, pushed_at: p.at, pushed_by: p.by }).where('repo', '=', p.repo).where('tag', '=', p.tag));
const insertHistory = prepare<TagRow & { previous: string | null; action: TagAction }, never>((db, p) =>
  db.insertInto('tag_history').values({ repo: p.repo, tag: p.tag, digest: p.digest, previous_digest: p.previous, action: p.action, actor: p.by, at: p.at }));

export async function writeTag(w: WriteScope, repo: string, tag: string, digest: string, op: TagWrite): Promise<string | undefined> {
  const row: TagRow = { repo, tag, digest, at: op.at, by: op.actor ?? null };
  let previous: string | undefined;
  for (let attempt = 1; ; attempt++) {
    if ((await insertTag(w.trx, w.kind, row)).length) {
      w.repositories.adjust(repo, { tags: 1 });
      break;
    }
    const [existing] = await selectTagForUpdate(w.trx, w.kind, row);
    if (existing) {
      previous = existing.digest;
      await updateTag(w.trx, w.kind, row);
      break;
    }
    // Deleted by another writer between the two statements: create it after all.
    if (attempt === 5) throw new Error(`tag ${repo}:${tag} keeps changing under this write`);
  }
  if (previous !== digest) await insertHistory(w.trx, w.kind, { ...row, previous: previous ?? null, action: op.action });
  w.repositories.pushed(repo, op.at);
  w.changed({ kind: 'tag', repo, tag });
  return previous;
}

export async function setTag(w: WriteScope, repo: string, tag: string, digest: string, op: TagWrite & { origin?: string }): Promise<string | undefined> {
  await ensureRepository(w, repo, op.at, op.origin);
  return writeTag(w, repo, tag, digest, op);
}

/** Records the deletion of tags already removed (a tag delete, a manifest or repository delete). */
export async function recordTagDeletions(w: WriteScope, repo: string, removed: readonly { tag: string; digest: string }[],
  actor: string | undefined, at: number): Promise<void> {
  for (const slice of chunks(removed, 64)) {
    await w.trx.insertInto('tag_history')
      .values(slice.map((r) => ({
        repo, tag: r.tag, digest: null, previous_digest: r.digest, action: 'delete' as const, actor: actor ?? null, at,
      })))
      .execute();
  }
  for (const r of removed) w.changed({ kind: 'tag', repo, tag: r.tag });
}

/** Deletes a tag; returns the digest it pointed to, or undefined when there was no such tag. */
export async function deleteTag(w: WriteScope, repo: string, tag: string, actor: string | undefined, at: number): Promise<string | undefined> {
  const row = await w.trx.deleteFrom('tags').where('repo', '=', repo).where('tag', '=', tag).returning('digest').executeTakeFirst();
  if (!row) return undefined;
  await recordTagDeletions(w, repo, [{ tag, digest: row.digest }], actor, at);
  w.repositories.adjust(repo, { tags: -1 });
  return row.digest;
}
