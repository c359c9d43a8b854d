// Installs one Registry's containerd host configuration into a node's certs.d:
// for every name in `hosts`, the directory certs.d/<name>/ gets hosts.toml (and
// ca.crt when the registry serves TLS), plus an owner marker. Files are written
// only when their content differs, each through a temporary file and a rename,
// so containerd never reads half a file. Directories this owner wrote for names
// it no longer has are removed; directories without our marker are never touched.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const OWNER_FILE = '.berth-owner';
const FILES = ['hosts.toml', 'ca.crt'] as const;
/** A host directory name: host or host:port, nothing that could climb out of certs.d. */
const HOST_NAME = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?$/;

export interface InstallResult {
  /** Files written (new or changed), relative to the target. */
  written: string[];
  /** Host directories removed (names this owner no longer has). */
  removed: string[];
}

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function writeIfChanged(path: string, content: string, mode: number): boolean {
  if (readOptional(path) === content) return false;
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, content, { mode });
  renameSync(tmp, path);
  return true;
}

export function hostsOf(source: string): string[] {
  const list = readFileSync(join(source, 'hosts'), 'utf8').split('\n').map((l) => l.trim()).filter(Boolean);
  for (const h of list) if (!HOST_NAME.test(h)) throw new Error(`refusing host name "${h}" from ${source}/hosts`);
  return list;
}

export function install(source: string, target: string, owner: string): InstallResult {
  const hosts = hostsOf(source);
  const content = Object.fromEntries(FILES.map((f) => [f, readOptional(join(source, f))]));
  if (!content['hosts.toml']) throw new Error(`${source}/hosts.toml is missing`);
  const result: InstallResult = { written: [], removed: [] };
  for (const host of hosts) {
    const dir = join(target, host);
    const marker = readOptional(join(dir, OWNER_FILE));
    if (marker !== undefined && marker.trim() !== owner) throw new Error(`${dir} belongs to ${marker.trim()}, not ${owner}`);
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    if (writeIfChanged(join(dir, OWNER_FILE), `${owner}\n`, 0o644)) result.written.push(`${host}/${OWNER_FILE}`);
    for (const f of FILES) {
      const want = content[f];
      if (want !== undefined) {
        if (writeIfChanged(join(dir, f), want, 0o644)) result.written.push(`${host}/${f}`);
      } else if (existsSync(join(dir, f))) {
        rmSync(join(dir, f));
        result.written.push(`${host}/${f}`);
      }
    }
  }
  for (const entry of existsSync(target) ? readdirSync(target) : []) {
    if (hosts.includes(entry)) continue;
    if (readOptional(join(target, entry, OWNER_FILE))?.trim() === owner) {
      rmSync(join(target, entry), { recursive: true, force: true });
      result.removed.push(entry);
    }
  }
  return result;
}
