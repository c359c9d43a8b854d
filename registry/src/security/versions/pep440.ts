// Python package versions (PEP 440): epochs, pre/post/dev releases and local
// versions, compared by @renovatebot/pep440. A string that is not PEP 440
// (legacy setuptools versions) sorts before every valid one, as pip's
// packaging.version.LegacyVersion did, and among themselves by the loose order.
import { compare, valid } from '@renovatebot/pep440';
import { compareSemver } from './semver-like.js';

export function comparePep440(a: string, b: string): number {
  const va = valid(a.trim());
  const vb = valid(b.trim());
  if (va && vb) return compare(a.trim(), b.trim());
  if (va) return 1;
  if (vb) return -1;
  return compareSemver(a, b);
}

/** PEP 503 name normalization: runs of '-', '_' and '.' become '-', lower case. */
export function normalizePythonName(name: string): string {
  return name.trim().replace(/[-_.]+/g, '-').toLowerCase();
}
