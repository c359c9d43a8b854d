// The registry's layering, checked on the import statements: each folder may
// import only from its own rank or below, only storage/ sees the storage layout
// and the drivers, and no two folders import each other, directly or not.
//
//   services, server, main, cli, heap-tuning: wiring and start-up
//   vulndb-command
//   api                          HTTP: routes, handlers, admin, errors → statuses
//   events, scanning,            CloudEvents, webhooks, audit log; scan on push, the vulnerability database;
//   pull-policy, supply-chain    the pull gate; their assembly
//   write, read, mirror,         the one write path; reads answered from the index; the pull-through cache
//   replication                  (fills go through write); sync and replication
//   gc, scrub, remote            online garbage collection; the index repaired from storage; the client of other registries
//   policy, auth, security       quotas, immutability, retention; identities and grants; scanning, signatures
//   limits                       concurrency limits on expensive requests
//   storage, metadata            stores over the driver; the metadata index
//   manifest                     manifest parsing, references, liveness
//   errors, reference, log, metrics
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = dirname(fileURLToPath(import.meta.url));
const RANK: Record<string, number> = {
  errors: 0, reference: 0, log: 0, metrics: 0, failpoints: 0,
  manifest: 1,
  storage: 2, metadata: 2,
  policy: 3, auth: 3, security: 3, limits: 3,
  gc: 4, scrub: 4, remote: 4,
  write: 5, read: 5, mirror: 5, replication: 5,
  events: 6, scanning: 6, 'pull-policy': 6, 'supply-chain': 6,
  api: 7,
  services: 8, server: 8, main: 8, cli: 8, 'vulndb-command': 8, 'heap-tuning': 8,
};

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The top-level folder (or file without .ts) a path under registry/src belongs to. */
function unitOf(path: string): string {
  return relative(ROOT, path).split('/')[0].replace(/\.[jt]s$/, '');
}

const imports = sources(ROOT).flatMap((file) =>
  [...readFileSync(file, 'utf8').matchAll(/^(?:import|export)\s[^;]*?from\s+'(\.[^']+)'/gms)].map((m) => ({
    file: relative(ROOT, file),
    from: unitOf(file),
    target: resolve(dirname(file), m[1]),
    to: unitOf(resolve(dirname(file), m[1])),
  })));

describe('registry layering', () => {
  it('knows every top-level folder and file', () => {
    const units = new Set(sources(ROOT).map(unitOf));
    expect([...units].filter((u) => RANK[u] === undefined)).toEqual([]);
    expect(imports.length).toBeGreaterThan(100);
  });

  it('has no import that runs upward', () => {
    const upward = imports.filter((i) => RANK[i.to] > RANK[i.from]).map((i) => `${i.file} → ${i.to}`);
    expect(upward).toEqual([]);
  });

  it('keeps the storage layout and the drivers inside storage/', () => {
    const layout = imports.filter((i) => i.from !== 'storage' && /storage\/(paths|driver\/)/.test(relative(ROOT, i.target)));
    expect(layout.map((i) => `${i.file} → ${relative(ROOT, i.target)}`)).toEqual([]);
  });

  it('has no cycle between folders', () => {
    const edges = new Map<string, Set<string>>();
    for (const i of imports) if (i.from !== i.to) edges.set(i.from, (edges.get(i.from) ?? new Set()).add(i.to));
    const reaches = (start: string, goal: string, seen = new Set<string>()): boolean =>
      [...(edges.get(start) ?? [])].some((next) => next === goal || (!seen.has(next) && (seen.add(next), reaches(next, goal, seen))));
    const cycles = [...edges.keys()].filter((unit) => reaches(unit, unit));
    expect(cycles).toEqual([]);
  });
});
