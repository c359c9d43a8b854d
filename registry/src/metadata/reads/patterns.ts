// Repository patterns (`team-a/app`, `team-a/*`, `team-a/**`) as SQL: the literal
// prefix becomes an index range, the rest a regular expression both engines run.
import type { Expression, SqlBool } from 'kysely';
import { sql } from '../engine/kysely.js';
import { compileRepositoryPattern } from '#contract/auth/repository-pattern.js';
import type { EngineKind } from '../engine/engine.js';
import { regexpMatch } from '../engine/dialect.js';

/** The smallest string greater than every string starting with `prefix` (ASCII names). */
export function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

/** `column` matches the repository pattern. Throws on an invalid pattern. */
export function matchesPattern(kind: EngineKind, column: Expression<unknown>, pattern: string): Expression<SqlBool> {
  const re = compileRepositoryPattern(pattern);
  const star = pattern.indexOf('*');
  if (star < 0) return sql<SqlBool>`${column} = ${pattern}`;
  const prefix = pattern.slice(0, star);
  const regexp = regexpMatch(kind, column, re.source);
  if (!prefix) return regexp;
  return sql<SqlBool>`(${column} >= ${prefix} and ${column} < ${prefixEnd(prefix)} and ${regexp})`;
}

/** `column` matches any of the patterns; false for none. */
export function matchesAnyPattern(kind: EngineKind, column: Expression<unknown>, patterns: readonly string[]): Expression<SqlBool> {
  if (!patterns.length) return sql<SqlBool>`1 = 0`;
  return sql<SqlBool>`(${sql.join(patterns.map((p) => matchesPattern(kind, column, p)), sql` or `)})`;
}
