// Last-pulled times of one repository's manifests: the newest pull of each digest,
// whatever tag (or none) it was pulled by. The pull-through cache evicts the least
// recently pulled content first.
import type { Db } from '../engine/engine.js';

export async function lastPulls(db: Db, repo: string): Promise<Map<string, number>> {
  const rows = await db.selectFrom('pulls').select((eb) => ['digest', eb.fn.max('last_pulled_at').as('at')])
    .where('repo', '=', repo).groupBy('digest').execute();
  return new Map(rows.map((r) => [r.digest, Number(r.at)]));
}
