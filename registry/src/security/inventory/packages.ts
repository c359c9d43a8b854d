// From the merged file view to the package list: every finder over the files
// it understands, then one entry per purl (a lockfile and node_modules often
// name the same package).
import { findApkPackages } from './finders/apk.js';
import { findDpkgPackages } from './finders/dpkg.js';
import { findGoPackages } from './finders/golang.js';
import { findNpmLockPackages, findNpmManifestPackage } from './finders/npm.js';
import { parseOsRelease } from './finders/os-release.js';
import { findPythonPackage } from './finders/python.js';
import type { MergedView } from './merge.js';
import type { Distro, InventoryPackage } from './model.js';

export function findDistro(view: MergedView): Distro | undefined {
  const f = view.files.get('etc/os-release') ?? view.files.get('usr/lib/os-release');
  return f ? parseOsRelease(f.value) : undefined;
}

export function findPackages(view: MergedView, distro: Distro | undefined): InventoryPackage[] {
  const found: InventoryPackage[] = [];
  for (const [path, { value }] of view.files) {
    if (path === 'lib/apk/db/installed') found.push(...findApkPackages(value, path, distro));
    else if (path === 'var/lib/dpkg/status' || path.startsWith('var/lib/dpkg/status.d/')) found.push(...findDpkgPackages(value, path, distro));
    else if (path.endsWith('package-lock.json')) found.push(...findNpmLockPackages(value, path));
    else if (path.endsWith('/package.json')) found.push(...findNpmManifestPackage(value, path));
    else if (path.endsWith('/METADATA') || path.endsWith('/PKG-INFO')) found.push(...findPythonPackage(value, path));
  }
  for (const [path, { value }] of view.goBinaries) found.push(...findGoPackages(value, path));
  const byPurl = new Map<string, InventoryPackage>();
  for (const p of found) {
    const seen = byPurl.get(p.purl);
    byPurl.set(p.purl, seen ? { ...seen, locations: [...new Set([...seen.locations, ...p.locations])].sort() } : p);
  }
  return [...byPurl.values()].sort((a, b) => a.purl.localeCompare(b.purl));
}
