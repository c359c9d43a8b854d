// npm and Go module versions are SemVer 2.0. The `semver` package compares the
// valid ones; advisories and lockfiles also carry near-SemVer strings ("1.2",
// "v1.2.3", "1.0.0.1"), which are compared the way osv.dev does: numeric
// components, then a pre-release that sorts before the release.
import semver from 'semver';

interface Loose {
  readonly numbers: bigint[];
  readonly prerelease: string;
}

function parseLoose(version: string): Loose {
  const v = version.trim().replace(/^v/i, '').split('+')[0];
  const m = /^(\d+(?:\.\d+)*)(.*)$/.exec(v);
  if (!m) return { numbers: [], prerelease: v };
  return { numbers: m[1].split('.').map((n) => BigInt(n)), prerelease: m[2].replace(/^[-.]/, '') };
}

function comparePrereleaseIds(a: string, b: string): number {
  const x = a.split('.');
  const y = b.split('.');
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const xn = /^\d+$/.test(x[i]);
    const yn = /^\d+$/.test(y[i]);
    if (xn && yn) {
      const d = BigInt(x[i]) - BigInt(y[i]);
      if (d !== 0n) return d < 0n ? -1 : 1;
    } else if (xn !== yn) {
      return xn ? -1 : 1;
    } else if (x[i] !== y[i]) {
      return x[i] < y[i] ? -1 : 1;
    }
  }
  return x.length - y.length;
}

function compareLoose(a: string, b: string): number {
  const x = parseLoose(a);
  const y = parseLoose(b);
  for (let i = 0; i < Math.max(x.numbers.length, y.numbers.length); i++) {
    const d = (x.numbers[i] ?? 0n) - (y.numbers[i] ?? 0n);
    if (d !== 0n) return d < 0n ? -1 : 1;
  }
  if (x.prerelease === y.prerelease) return 0;
  if (!x.prerelease) return 1;
  if (!y.prerelease) return -1;
  return comparePrereleaseIds(x.prerelease, y.prerelease);
}

/** SemVer 2.0 order (build metadata ignored), tolerant of a leading 'v' and of short or long versions. */
export function compareSemver(a: string, b: string): number {
  const x = semver.valid(a.trim(), { loose: true });
  const y = semver.valid(b.trim(), { loose: true });
  if (x && y) return semver.compare(x, y);
  return compareLoose(a, b);
}

/**
 * Go module versions: SemVer with a 'v' prefix; pseudo-versions
 * (v0.0.0-20220412211240-33da011f77ad) are pre-releases and sort by their timestamp,
 * and +incompatible is build metadata. The toolchain's "go1.21rc2" names the
 * stdlib version 1.21.0-rc.2.
 */
export function normalizeGoVersion(version: string): string {
  const go = /^go(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:(rc|beta)(\d+))?$/.exec(version.trim());
  if (go) {
    const [, major, minor = '0', patch = '0', pre, n] = go;
    return `${major}.${minor}.${patch}${pre ? `-${pre}.${n}` : ''}`;
  }
  return version.trim().replace(/^v/, '');
}

export function compareGo(a: string, b: string): number {
  return compareSemver(normalizeGoVersion(a), normalizeGoVersion(b));
}
