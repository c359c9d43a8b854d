// One version order per OSV ecosystem. Every range check goes through here:
// a plain string comparison would put 1.36.1-r5 above 1.36.1-r28.
import { compareApk } from './apk.js';
import { compareDpkg } from './dpkg.js';
import { comparePep440 } from './pep440.js';
import { compareGo, compareSemver } from './semver-like.js';

export type VersionCompare = (a: string, b: string) => number;

const BY_ECOSYSTEM: Record<string, VersionCompare> = {
  Alpine: compareApk,
  Wolfi: compareApk,
  Chainguard: compareApk,
  Debian: compareDpkg,
  Ubuntu: compareDpkg,
  npm: compareSemver,
  Go: compareGo,
  PyPI: comparePep440,
};

/** The comparator for an OSV ecosystem ("Debian:12" uses Debian's), or undefined when Berth has none. */
export function comparatorFor(ecosystem: string): VersionCompare | undefined {
  return BY_ECOSYSTEM[ecosystem.split(':')[0]];
}

export const SUPPORTED_ECOSYSTEMS = Object.keys(BY_ECOSYSTEM);
export { compareApk, compareDpkg, comparePep440, compareGo, compareSemver };
