// Alpine apk version ordering, as apk-tools compares versions:
// digits[.digits]*[letter][_suffix[N]]*[~hash][-rN]. Suffixes _alpha < _beta <
// _pre < _rc < (none) < _cvs < _svn < _git < _hg < _p; components after the
// first that start with '0' compare as strings (apk's fractional rule).

const SUFFIX_WEIGHT: Record<string, number> = { alpha: 0, beta: 1, pre: 2, rc: 3, '': 4, cvs: 5, svn: 6, git: 7, hg: 8, p: 9 };
const NO_SUFFIX = { weight: SUFFIX_WEIGHT[''], n: 0n };

interface ApkVersion {
  readonly original: string;
  readonly numbers: string[];
  readonly letter: string;
  readonly suffixes: { weight: number; n: bigint }[];
  readonly release: bigint;
  /** Text apk could not parse; a version with leftovers sorts below one without. */
  readonly rest: string;
}

export function parseApkVersion(version: string): ApkVersion {
  let s = version.trim();
  const numbers = /^\d+(?:\.\d+)*/.exec(s)?.[0] ?? '';
  s = s.slice(numbers.length);
  let letter = '';
  if (/^[a-z]/.test(s)) {
    letter = s[0];
    s = s.slice(1);
  }
  const suffixes: ApkVersion['suffixes'] = [];
  for (let m = /^_(alpha|beta|pre|rc|cvs|svn|git|hg|p)(\d*)/.exec(s); m; m = /^_(alpha|beta|pre|rc|cvs|svn|git|hg|p)(\d*)/.exec(s)) {
    suffixes.push({ weight: SUFFIX_WEIGHT[m[1]], n: BigInt(m[2] || '0') });
    s = s.slice(m[0].length);
  }
  s = s.replace(/^~[0-9a-f]+/, '');
  let release = 0n;
  const r = /^-r(\d*)/.exec(s);
  if (r) {
    release = BigInt(r[1] || '0');
    s = s.slice(r[0].length);
  }
  return { original: version, numbers: numbers ? numbers.split('.') : [], letter, suffixes, release, rest: s };
}

function compareNumber(a: string, b: string, index: number): number {
  if (index > 0 && (a.startsWith('0') || b.startsWith('0'))) return a < b ? -1 : a > b ? 1 : 0;
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function compareApk(a: string, b: string): number {
  const va = parseApkVersion(a);
  const vb = parseApkVersion(b);
  for (let i = 0; i < Math.max(va.numbers.length, vb.numbers.length); i++) {
    const d = compareNumber(va.numbers[i] ?? '0', vb.numbers[i] ?? '0', i);
    if (d !== 0) return d;
  }
  if (va.letter !== vb.letter) {
    if (!va.letter) return -1;
    if (!vb.letter) return 1;
    return va.letter < vb.letter ? -1 : 1;
  }
  for (let i = 0; i < Math.max(va.suffixes.length, vb.suffixes.length); i++) {
    const x = va.suffixes[i] ?? NO_SUFFIX;
    const y = vb.suffixes[i] ?? NO_SUFFIX;
    if (x.weight !== y.weight) return x.weight - y.weight;
    if (x.n !== y.n) return x.n < y.n ? -1 : 1;
  }
  if (va.release !== vb.release) return va.release < vb.release ? -1 : 1;
  if (va.rest !== vb.rest) {
    if (!va.rest) return 1;
    if (!vb.rest) return -1;
    return va.rest < vb.rest ? -1 : 1;
  }
  return 0;
}
