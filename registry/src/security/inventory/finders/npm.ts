// npm packages: a lockfile (package-lock.json v1 "dependencies" tree, v2/v3
// "packages" map, and npm's hidden node_modules/.package-lock.json) and the
// package.json of each installed module under node_modules.
import { PackageURL } from 'packageurl-js';
import type { InventoryPackage } from '../model.js';

export function npmPackage(name: string, version: string, path: string, license?: string): InventoryPackage {
  const slash = name.startsWith('@') ? name.indexOf('/') : -1;
  const purl = slash > 0
    ? new PackageURL('npm', name.slice(0, slash), name.slice(slash + 1), version, undefined, undefined)
    : new PackageURL('npm', undefined, name, version, undefined, undefined);
  return { type: 'npm', name, version, purl: purl.toString(), licenses: license ? [license] : undefined, locations: [path] };
}

interface LockV1Dep {
  version?: string;
  dependencies?: Record<string, LockV1Dep>;
}

export function findNpmLockPackages(text: string, path: string): InventoryPackage[] {
  let lock: { packages?: Record<string, { version?: string; name?: string; link?: boolean; license?: string }>; dependencies?: Record<string, LockV1Dep> };
  try {
    lock = JSON.parse(text) as typeof lock;
  } catch {
    return [];
  }
  const out: InventoryPackage[] = [];
  if (lock.packages && typeof lock.packages === 'object') {
    for (const [key, p] of Object.entries(lock.packages)) {
      const at = key.lastIndexOf('node_modules/');
      if (at < 0 || !p || p.link || typeof p.version !== 'string') continue;
      out.push(npmPackage(p.name ?? key.slice(at + 'node_modules/'.length), p.version, path, p.license));
    }
    return out;
  }
  const walk = (deps: Record<string, LockV1Dep> | undefined): void => {
    for (const [name, d] of Object.entries(deps ?? {})) {
      if (typeof d?.version === 'string' && !/^(file|link|git\+|https?):/.test(d.version)) out.push(npmPackage(name, d.version, path));
      walk(d?.dependencies);
    }
  };
  walk(lock.dependencies);
  return out;
}

export function findNpmManifestPackage(text: string, path: string): InventoryPackage[] {
  try {
    const m = JSON.parse(text) as { name?: unknown; version?: unknown; license?: unknown };
    if (typeof m.name !== 'string' || typeof m.version !== 'string') return [];
    return [npmPackage(m.name, m.version, path, typeof m.license === 'string' ? m.license : undefined)];
  } catch {
    return [];
  }
}
