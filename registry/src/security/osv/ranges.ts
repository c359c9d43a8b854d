// Whether a version falls in an OSV `affected` entry, following the schema's
// evaluation rules: events sorted by version ("0" first), introduced opens,
// fixed and last_affected close, limit caps the whole range. GIT ranges name
// commits, which an installed package does not have, so they are skipped
// (not taken as the end of the list).
import { comparatorFor, compareSemver, type VersionCompare } from '../versions/index.js';
import type { OsvAffected, OsvEvent, OsvRange } from './schema.js';

function eventVersion(e: OsvEvent): string {
  return e.introduced ?? e.fixed ?? e.last_affected ?? e.limit ?? '';
}

const sorted = new WeakMap<readonly OsvEvent[], Map<VersionCompare, OsvEvent[]>>();

/** Events in version order; computed once per range and comparator (documents do not change once loaded). */
function sortEvents(events: readonly OsvEvent[], cmp: VersionCompare): OsvEvent[] {
  let byCmp = sorted.get(events);
  if (!byCmp) sorted.set(events, (byCmp = new Map<VersionCompare, OsvEvent[]>()));
  let list = byCmp.get(cmp);
  if (!list) byCmp.set(cmp, (list = sortEventsNow(events, cmp)));
  return list;
}

function sortEventsNow(events: readonly OsvEvent[], cmp: VersionCompare): OsvEvent[] {
  return [...events].sort((a, b) => {
    if (a.introduced === '0') return b.introduced === '0' ? 0 : -1;
    if (b.introduced === '0') return 1;
    return cmp(eventVersion(a), eventVersion(b));
  });
}

export interface RangeHit {
  /** The first fixed version above the installed one, when the range names one. */
  readonly fixed?: string;
}

function rangeContains(range: OsvRange, version: string, cmp: VersionCompare): RangeHit | undefined {
  const events = sortEvents(range.events, cmp);
  const limits = events.filter((e) => e.limit !== undefined).map((e) => e.limit!);
  if (limits.length && !limits.some((l) => l === '*' || cmp(version, l) < 0)) return undefined;
  let affected = false;
  for (const e of events) {
    if (e.introduced !== undefined && (e.introduced === '0' || cmp(version, e.introduced) >= 0)) affected = true;
    else if (e.fixed !== undefined && cmp(version, e.fixed) >= 0) affected = false;
    else if (e.last_affected !== undefined && cmp(version, e.last_affected) > 0) affected = false;
  }
  if (!affected) return undefined;
  const fixed = events.find((e) => e.fixed !== undefined && cmp(version, e.fixed) < 0)?.fixed;
  return { fixed };
}

/**
 * The hit when `version` (of a package in `ecosystem`) is affected by this entry, else undefined.
 * ECOSYSTEM ranges use the ecosystem's order, SEMVER ranges SemVer's, as the schema says.
 */
export function affectedHit(affected: OsvAffected, ecosystem: string, version: string): RangeHit | undefined {
  const cmp = comparatorFor(ecosystem);
  if (!cmp) return undefined;
  if (affected.versions?.some((v) => v === version || cmp(v, version) === 0)) {
    return { fixed: firstFixed(affected, ecosystem, version) };
  }
  for (const range of affected.ranges ?? []) {
    if (range.type !== 'ECOSYSTEM' && range.type !== 'SEMVER') continue;
    const hit = rangeContains(range, version, range.type === 'SEMVER' ? compareSemver : cmp);
    if (hit) return hit;
  }
  return undefined;
}

function firstFixed(affected: OsvAffected, ecosystem: string, version: string): string | undefined {
  const cmp = comparatorFor(ecosystem)!;
  for (const range of affected.ranges ?? []) {
    if (range.type !== 'ECOSYSTEM' && range.type !== 'SEMVER') continue;
    const fixed = range.events.map((e) => e.fixed).filter((f): f is string => f !== undefined && cmp(version, f) < 0).sort(cmp)[0];
    if (fixed) return fixed;
  }
  return undefined;
}
