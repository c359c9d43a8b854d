// Which files in a layer the indexer keeps: package databases and manifests
// (read whole, they are small) and executables (scanned for Go build info).

/** Tar names as paths relative to the root: no "./" or "/" in front. */
export function normalizeTarPath(name: string): string {
  let p = name;
  while (p.startsWith('./')) p = p.slice(2);
  while (p.startsWith('/')) p = p.slice(1);
  return p.endsWith('/') ? p.slice(0, -1) : p;
}

const EXACT = new Set(['etc/os-release', 'usr/lib/os-release', 'lib/apk/db/installed', 'var/lib/dpkg/status']);

export function isPackageMetadataPath(path: string): boolean {
  if (EXACT.has(path)) return true;
  if (path.startsWith('var/lib/dpkg/status.d/')) return !path.slice('var/lib/dpkg/status.d/'.length).includes('/') && !path.endsWith('.md5sums');
  if (path.endsWith('/package-lock.json') || path === 'package-lock.json') return true;
  if (path.endsWith('node_modules/.package-lock.json')) return true; // npm's hidden lockfile, written by npm install/ci
  if (path.endsWith('/package.json')) return isNodeModulesManifest(path);
  if (path.endsWith('.dist-info/METADATA') || path.endsWith('.egg-info/PKG-INFO')) return true;
  return false;
}

/** node_modules/<name>/package.json or node_modules/@scope/<name>/package.json, at any depth. */
function isNodeModulesManifest(path: string): boolean {
  const parts = path.split('/');
  const n = parts.length;
  if (n >= 3 && parts[n - 3] === 'node_modules' && !parts[n - 2].startsWith('@') && !parts[n - 2].startsWith('.')) return true;
  return n >= 4 && parts[n - 4] === 'node_modules' && parts[n - 3].startsWith('@');
}

/** Largest metadata file read whole (a dpkg status with thousands of packages is a few MB). */
export const MAX_METADATA_BYTES = 64 * 1024 * 1024;
/** Executables smaller than this cannot be Go programs (the runtime alone is ~1 MB). */
export const MIN_GO_BINARY_BYTES = 512 * 1024;
