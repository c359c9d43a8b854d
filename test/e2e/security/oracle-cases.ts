// The images and the OSV database of the oracle test. Package databases are in
// their real formats; advisories are OSV documents with real IDs and the
// ranges the advisories give where known, and BERTH-2099-* IDs for edge cases
// no real advisory pins down. Each advisory names exactly one package, so the
// (package, advisory) pairs are the cases.
import type { FixtureFile, FixtureImage } from '../../harness/image-fixtures.js';

interface Event {
  introduced?: string;
  fixed?: string;
  last_affected?: string;
}

export interface OsvDoc {
  schema_version: string;
  id: string;
  modified: string;
  published: string;
  summary: string;
  withdrawn?: string;
  aliases?: string[];
  severity?: { type: string; score: string }[];
  database_specific?: Record<string, unknown>;
  affected: {
    package: { ecosystem: string; name: string };
    ranges?: { type: string; repo?: string; events: Event[] }[];
    versions?: string[];
  }[];
}

export interface OracleCase {
  readonly doc: OsvDoc;
  /** Berth's verdict: does the advisory affect the image's package? */
  readonly affected: boolean;
  /** The edge this case covers. */
  readonly why: string;
  /** Set when osv-scanner v2.5.0 is known to answer the opposite: the reason. */
  readonly oracleWrong?: string;
}

export const ORACLE_WRONG = {
  pypiName: 'osv-scanner v2.5.0 normalizes the installed PyPI name (PEP 503) but compares it with the advisory name as written ("PyYAML" != "pyyaml")',
  gitFirst: 'osv-scanner v2.5.0 returns "not affected" at the first range that is not ECOSYSTEM/SEMVER, so a GIT range listed first hides the ECOSYSTEM range after it',
  debianBinaryVersion: 'osv-scanner v2.5.0 matches a Debian binary package by its source name but compares the binary version (with binNMU suffix or epoch) against source-version ranges',
} as const;

function doc(id: string, ecosystem: string, name: string, ranges: Event[][] | { versions: string[] }, extra: Partial<OsvDoc> = {}): OsvDoc {
  const affected = Array.isArray(ranges)
    ? { package: { ecosystem, name }, ranges: ranges.map((events) => ({ type: 'ECOSYSTEM', events })) }
    : { package: { ecosystem, name }, versions: ranges.versions };
  return { schema_version: '1.6.0', id, modified: '2024-10-01T00:00:00Z', published: '2024-01-01T00:00:00Z', summary: `${id} in ${name}`, affected: [affected], ...extra };
}

const cvss = (score: string) => ({ severity: [{ type: 'CVSS_V3', score }] });
const CRITICAL = cvss('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H');
const HIGH = cvss('CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H');

// ---------- Alpine 3.20 (apk) ----------
const APK_DB = [
  ['busybox', '1.36.1-r29', 'busybox'], ['ssl_client', '1.36.1-r29', 'busybox'], ['libcrypto3', '3.3.2-r0', 'openssl'],
  ['libssl3', '3.3.2-r0', 'openssl'], ['musl', '1.2.5-r0', 'musl'], ['openssh-client-default', '9.7_p1-r4', 'openssh'],
  ['sqlite-libs', '3.45.3-r1', 'sqlite'], ['expat', '2.6.2-r0', 'expat'], ['xz-libs', '5.6.1-r3', 'xz'], ['libcurl', '8.9.1-r1', 'curl'],
].map(([p, v, o]) => `C:Q1${Buffer.from(p).toString('base64')}=\nP:${p}\nV:${v}\nA:x86_64\nS:100000\nI:200000\nT:${p}\nU:https://alpinelinux.org\nL:MIT\no:${o}\nm:Natanael Copa <ncopa@alpinelinux.org>\nt:1717000000\nc:0000000000000000000000000000000000000000\n`).join('\n');

const A = 'Alpine:v3.20';
export const ALPINE_CASES: OracleCase[] = [
  { doc: doc('CVE-2023-42363', A, 'busybox', [[{ introduced: '0' }, { fixed: '1.36.1-r29' }]]), affected: false, why: 'apk: installed == fixed (-r29)' },
  { doc: doc('CVE-2023-42364', A, 'busybox', [[{ introduced: '0' }, { fixed: '1.36.1-r30' }]]), affected: true, why: 'apk: -r29 < -r30' },
  { doc: doc('BERTH-2099-0002', A, 'busybox', [[{ introduced: '0' }, { fixed: '1.36.1-r5' }]]), affected: false, why: 'apk: -r29 > -r5 numerically (a string compare says <)' },
  { doc: doc('CVE-2024-6119', A, 'openssl', [[{ introduced: '0' }, { fixed: '3.3.2-r0' }]]), affected: false, why: 'apk: origin name, installed == fixed' },
  { doc: doc('CVE-2024-9143', A, 'openssl', [[{ introduced: '0' }, { fixed: '3.3.2-r1' }]], HIGH), affected: true, why: 'apk: origin openssl for libcrypto3/libssl3' },
  { doc: doc('CVE-2024-6387', A, 'openssh', [[{ introduced: '0' }, { fixed: '9.7_p1-r4' }]], CRITICAL), affected: false, why: 'apk: _p1 with -r4 equal to fixed' },
  { doc: doc('BERTH-2099-0007', A, 'openssh', [[{ introduced: '0' }, { fixed: '9.7_p2-r0' }]]), affected: true, why: 'apk: _p1 < _p2' },
  { doc: doc('BERTH-2099-0008', A, 'openssh', [[{ introduced: '0' }, { fixed: '9.7-r5' }]]), affected: false, why: 'apk: 9.7_p1 > 9.7 (a _p suffix sorts after the release)' },
  { doc: doc('BERTH-2099-0009', A, 'musl', [[{ introduced: '1.2.5_rc1' }, { last_affected: '1.2.5-r0' }]]), affected: true, why: 'apk: _rc1 below the release; last_affected inclusive' },
  { doc: doc('BERTH-2099-0010', A, 'sqlite', [[{ introduced: '0' }, { fixed: '3.45.3_rc1-r0' }]]), affected: false, why: 'apk: 3.45.3 > 3.45.3_rc1' },
  { doc: doc('BERTH-2099-0011', 'Alpine:v3.19', 'busybox', [[{ introduced: '0' }, { fixed: '1.36.1-r99' }]]), affected: false, why: 'ecosystem: another Alpine release' },
  { doc: doc('CVE-2024-45490', A, 'expat', [[{ introduced: '0' }, { fixed: '2.6.3-r0' }]], { withdrawn: '2024-09-10T00:00:00Z' }), affected: false, why: 'withdrawn advisory' },
  { doc: doc('CVE-2024-3094', A, 'xz', { versions: ['5.6.0-r0', '5.6.1-r3'] }, CRITICAL), affected: true, why: 'versions list, exact' },
  { doc: doc('BERTH-2099-0014', A, 'curl', [[{ introduced: '0' }, { fixed: '8.5.0-r0' }, { introduced: '8.9.0-r0' }, { fixed: '8.10.0-r0' }]]), affected: true, why: 'apk: second interval of one range' },
];

export const ALPINE_IMAGE: FixtureImage = {
  name: 'alpine-320',
  layers: [[
    { path: 'etc/os-release', content: 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.20.3\nPRETTY_NAME="Alpine Linux v3.20"\nHOME_URL="https://alpinelinux.org/"\n' },
    { path: 'lib/apk/db/installed', content: APK_DB },
  ]],
};

// ---------- Debian 12 (dpkg), hand-written status ----------
function dpkgParagraph(p: { name: string; version: string; source?: string; status?: string }): string {
  return [`Package: ${p.name}`, `Status: ${p.status ?? 'install ok installed'}`, 'Priority: optional', 'Section: libs', 'Installed-Size: 1000',
    'Maintainer: Debian <debian@lists.debian.org>', 'Architecture: amd64', ...(p.source ? [`Source: ${p.source}`] : []), `Version: ${p.version}`,
    `Description: ${p.name}`, ' Fixture for the matcher oracle.', ''].join('\n');
}
const DPKG_STATUS = [
  { name: 'openssl', version: '3.0.15-1~deb12u1' },
  { name: 'libssl3', version: '3.0.15-1~deb12u1', source: 'openssl' },
  { name: 'libc6', version: '2.36-9+deb12u9', source: 'glibc' },
  { name: 'sudo', version: '1.9.13p3-1+deb12u1' },
  { name: 'libcap2', version: '1:2.66-4', source: 'libcap2' },
  { name: 'tzdata', version: '2024a-0+deb12u1' },
  { name: 'bsdutils', version: '1:2.38.1-5+deb12u3', source: 'util-linux (2.38.1-5+deb12u3)' },
  { name: 'bash', version: '5.2.15-2+b7', source: 'bash (5.2.15-2)' },
  { name: 'libfoo1', version: '1.0-1', source: 'foo', status: 'deinstall ok config-files' },
].map(dpkgParagraph).join('\n');

const D = 'Debian:12';
export const DEBIAN_CASES: OracleCase[] = [
  { doc: doc('DSA-5514-1', D, 'glibc', [[{ introduced: '0' }, { fixed: '2.36-9+deb12u3' }]], { aliases: ['CVE-2023-4911'] }), affected: false, why: 'dpkg: +deb12u9 > +deb12u3' },
  { doc: doc('BERTH-2099-0102', D, 'glibc', [[{ introduced: '0' }, { fixed: '2.36-9+deb12u10' }]]), affected: true, why: 'dpkg: +deb12u9 < +deb12u10 (a string compare says >)' },
  { doc: doc('CVE-2024-5535', D, 'openssl', [[{ introduced: '0' }, { fixed: '3.0.15-1~deb12u1' }]]), affected: false, why: 'dpkg: installed == fixed, with ~' },
  { doc: doc('BERTH-2099-0104', D, 'openssl', [[{ introduced: '0' }, { fixed: '3.0.15-1' }]]), affected: true, why: 'dpkg: ~deb12u1 sorts before the bare revision' },
  { doc: doc('DSA-5532-1', D, 'openssl', [[{ introduced: '0' }, { fixed: '3.0.11-1~deb12u2' }]], { aliases: ['CVE-2023-5363'] }), affected: false, why: 'dpkg: newer upstream' },
  { doc: doc('CVE-2023-2603', D, 'libcap2', [[{ introduced: '0' }, { fixed: '1:2.66-4+deb12u1' }]]), affected: true, why: 'dpkg: same epoch, lower revision' },
  { doc: doc('BERTH-2099-0107', D, 'libcap2', [[{ introduced: '0' }, { fixed: '2.70-1' }]]), affected: false, why: 'dpkg: epoch 1 beats any epoch-0 version' },
  { doc: doc('BERTH-2099-0108', D, 'sudo', [[{ introduced: '1.9.13p1-1' }, { fixed: '1.9.13p3-1+deb12u2' }]]), affected: true, why: 'dpkg: letters inside the upstream (p1 < p3)' },
  { doc: doc('BERTH-2099-0109', 'Debian:11', 'tzdata', [[{ introduced: '0' }, { fixed: '2099a-0' }]]), affected: false, why: 'ecosystem: another Debian release' },
  { doc: doc('BERTH-2099-0110', D, 'util-linux', [[{ introduced: '0' }, { fixed: '2.38.1-5+deb12u4' }]]), affected: true, why: 'dpkg: source version 2.38.1-5+deb12u3 < fixed', oracleWrong: ORACLE_WRONG.debianBinaryVersion },
  { doc: doc('BERTH-2099-0111', D, 'bash', [[{ introduced: '0' }, { last_affected: '5.2.15-2' }]]), affected: true, why: 'dpkg: source version 5.2.15-2 == last_affected', oracleWrong: ORACLE_WRONG.debianBinaryVersion },
  { doc: doc('BERTH-2099-0112', D, 'openssl', [[{ introduced: '0' }]], { withdrawn: '2024-05-01T00:00:00Z' }), affected: false, why: 'withdrawn advisory' },
  { doc: doc('BERTH-2099-0113', D, 'foo', [[{ introduced: '0' }]]), affected: false, why: 'dpkg: package removed (deinstall ok config-files)' },
];

export const DEBIAN_IMAGE: FixtureImage = {
  name: 'debian-12-edges',
  layers: [[
    { path: 'etc/os-release', content: 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n' },
    { path: 'var/lib/dpkg/status', content: DPKG_STATUS },
  ]],
};

// ---------- npm ----------
const NPM = [['lodash', '4.17.20'], ['minimist', '1.2.5'], ['semver', '7.5.1'], ['@babel/traverse', '7.22.5'], ['vm2', '3.9.19'], ['axios', '1.6.0-beta.1'], ['express', '4.18.2'], ['ws', '8.17.1']];
const npmFiles: FixtureFile[] = [
  { path: 'srv/app/package.json', content: JSON.stringify({ name: 'app', version: '1.0.0', dependencies: Object.fromEntries(NPM) }) },
  { path: 'srv/app/package-lock.json', content: JSON.stringify({ name: 'app', version: '1.0.0', lockfileVersion: 3, requires: true, packages: {
    '': { name: 'app', version: '1.0.0', dependencies: Object.fromEntries(NPM) },
    ...Object.fromEntries(NPM.map(([n, v]) => [`node_modules/${n}`, { version: v, resolved: `https://registry.npmjs.org/${n}/-/${n.split('/').pop()}-${v}.tgz`, integrity: 'sha512-AAAA', license: 'MIT' }])),
  } }, null, 2) },
  // npm install/ci writes this hidden lockfile; osv-scanner's image scan reads npm packages only from it.
  { path: 'srv/app/node_modules/.package-lock.json', content: JSON.stringify({ name: 'app', version: '1.0.0', lockfileVersion: 3, requires: true, packages: Object.fromEntries(NPM.map(([n, v]) => [`node_modules/${n}`, { version: v, license: 'MIT' }])) }, null, 2) },
  ...NPM.map(([n, v]) => ({ path: `srv/app/node_modules/${n}/package.json`, content: JSON.stringify({ name: n, version: v, license: 'MIT', main: 'index.js' }) })),
];
const semverRange = (events: Event[]) => [{ type: 'SEMVER', events }];
export const NPM_CASES: OracleCase[] = [
  { doc: doc('GHSA-35jh-r3h4-6jhm', 'npm', 'lodash', [[{ introduced: '0' }, { fixed: '4.17.21' }]], { aliases: ['CVE-2021-23337'], ...HIGH }), affected: true, why: 'semver: patch below fixed' },
  { doc: doc('GHSA-xvch-5gv4-984h', 'npm', 'minimist', [[{ introduced: '0' }, { fixed: '0.2.4' }], [{ introduced: '1.0.0' }, { fixed: '1.2.6' }]], CRITICAL), affected: true, why: 'semver: second of two ranges' },
  { doc: { ...doc('GHSA-c2qf-rxjj-qqgw', 'npm', 'semver', []), affected: [{ package: { ecosystem: 'npm', name: 'semver' }, ranges: semverRange([{ introduced: '7.0.0' }, { fixed: '7.5.2' }]) }] }, affected: true, why: 'SEMVER range type' },
  { doc: doc('GHSA-67hx-6x53-jw92', 'npm', '@babel/traverse', [[{ introduced: '0' }, { fixed: '7.23.2' }], [{ introduced: '8.0.0-alpha.0' }, { fixed: '8.0.0-alpha.4' }]], CRITICAL), affected: true, why: 'semver: scoped name; pre-release range elsewhere' },
  { doc: doc('GHSA-cchq-frgv-rjh5', 'npm', 'vm2', [[{ introduced: '0' }, { last_affected: '3.9.19' }]], CRITICAL), affected: true, why: 'semver: last_affected inclusive' },
  { doc: doc('GHSA-wf5p-g6vw-rhxx', 'npm', 'axios', [[{ introduced: '0.8.1' }, { fixed: '1.6.0' }]]), affected: true, why: 'semver: 1.6.0-beta.1 is below 1.6.0' },
  { doc: doc('GHSA-rv95-896h-c2vc', 'npm', 'express', [[{ introduced: '0' }, { fixed: '4.19.2' }]]), affected: true, why: 'semver: minor below fixed' },
  { doc: doc('GHSA-3h5v-q93c-6h6q', 'npm', 'ws', [[{ introduced: '8.0.0' }, { fixed: '8.17.1' }]]), affected: false, why: 'semver: installed == fixed' },
  { doc: { ...doc('GHSA-qw6h-vgh9-j6wx', 'npm', 'express', []), affected: [{ package: { ecosystem: 'npm', name: 'express' }, ranges: [{ type: 'GIT', repo: 'https://github.com/expressjs/express', events: [{ introduced: '0' }, { fixed: '54271f69b511fea198471e6ff3400ab805d6b553' }] }, { type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '4.20.0' }] }] }] }, affected: true, why: 'GIT range listed before the ECOSYSTEM range', oracleWrong: ORACLE_WRONG.gitFirst },
];
export const NPM_IMAGE: FixtureImage = { name: 'npm-app', layers: [npmFiles] };

// ---------- PyPI ----------
const PY = [['PyYAML', '5.3.1'], ['requests', '2.31.0'], ['urllib3', '2.0.6'], ['Django', '4.2.0'], ['Jinja2', '3.1.2'], ['cryptography', '41.0.4'], ['setuptools', '65.5.0'], ['Pillow', '9.0.0'], ['numpy', '1.22.0rc1'], ['gunicorn', '22.0.0.post1']];
const pyFiles: FixtureFile[] = PY.flatMap(([n, v]) => [
  { path: `usr/local/lib/python3.11/site-packages/${n.replace(/-/g, '_')}-${v}.dist-info/METADATA`, content: `Metadata-Version: 2.1\nName: ${n}\nVersion: ${v}\nSummary: ${n}\nLicense: MIT\nRequires-Python: >=3.8\n\n${n} long description\n` },
  { path: `usr/local/lib/python3.11/site-packages/${n.replace(/-/g, '_')}-${v}.dist-info/RECORD`, content: '' },
]);
export const PYPI_CASES: OracleCase[] = [
  { doc: { ...doc('PYSEC-2021-142', 'PyPI', 'pyyaml', []), aliases: ['CVE-2020-14343'], affected: [{ package: { ecosystem: 'PyPI', name: 'pyyaml' }, ranges: [{ type: 'GIT', repo: 'https://github.com/yaml/pyyaml', events: [{ introduced: '0' }, { fixed: 'a001f2782501ad2d24986959f0239a354675f9dc' }] }, { type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '5.4' }] }] }] }, affected: true, why: 'PEP 440: 5.3.1 < 5.4 behind a GIT range', oracleWrong: ORACLE_WRONG.gitFirst },
  { doc: doc('GHSA-8q59-q68h-6hv4', 'PyPI', 'PyYAML', [[{ introduced: '0' }, { fixed: '5.4' }]], CRITICAL), affected: true, why: 'PyPI name as the advisory spells it', oracleWrong: ORACLE_WRONG.pypiName },
  { doc: doc('GHSA-9wx4-h78v-vm56', 'PyPI', 'requests', [[{ introduced: '0' }, { fixed: '2.32.0' }]]), affected: true, why: 'PEP 440: 2.31.0 < 2.32.0' },
  { doc: doc('GHSA-g4mx-q9vg-27p4', 'PyPI', 'urllib3', [[{ introduced: '2.0.0' }, { fixed: '2.0.7' }]]), affected: true, why: 'PEP 440: inside a bounded range' },
  { doc: doc('GHSA-jh3w-4vvf-mjgr', 'PyPI', 'django', [[{ introduced: '4.2a1' }, { fixed: '4.2.1' }]]), affected: true, why: 'PEP 440: introduced at a pre-release, installed name Django' },
  { doc: doc('GHSA-h5c8-rqwp-cp95', 'PyPI', 'jinja2', [[{ introduced: '0' }, { fixed: '3.1.3' }]]), affected: true, why: 'PyPI: installed Jinja2 normalized' },
  { doc: doc('GHSA-v8gr-m533-ghj9', 'PyPI', 'cryptography', [[{ introduced: '3.1' }, { fixed: '41.0.6' }]]), affected: true, why: 'PEP 440: 41.0.4 numerically above 3.1' },
  { doc: doc('GHSA-r9hx-vwmv-q579', 'PyPI', 'setuptools', [[{ introduced: '0' }, { fixed: '65.5.1' }]]), affected: true, why: 'PEP 440: patch below fixed' },
  { doc: doc('BERTH-2099-0209', 'PyPI', 'numpy', [[{ introduced: '0' }, { fixed: '1.22.0' }]]), affected: true, why: 'PEP 440: rc1 sorts below the release' },
  { doc: doc('BERTH-2099-0210', 'PyPI', 'gunicorn', [[{ introduced: '0' }, { fixed: '22.0.0' }]]), affected: false, why: 'PEP 440: .post1 sorts above the release' },
  { doc: doc('BERTH-2099-0211', 'PyPI', 'numpy', [[{ introduced: '1.22.0' }, { fixed: '1.23.0' }]]), affected: false, why: 'PEP 440: rc1 below the introduced release' },
];
export const PYPI_IMAGE: FixtureImage = { name: 'python-app', layers: [pyFiles] };

// ---------- Go (a real binary: the test bed's crane) ----------
export function goCases(): OracleCase[] {
  return [
    { doc: doc('BERTH-2099-0301', 'Go', 'stdlib', [[{ introduced: '1.26.0' }, { fixed: '1.26.9' }]]), affected: true, why: 'Go: toolchain go1.26.8 as stdlib 1.26.8' },
    { doc: doc('GO-2022-0493', 'Go', 'golang.org/x/sys', [[{ introduced: '0' }, { fixed: '0.0.0-20220412211240-33da011f77ad' }]], { aliases: ['CVE-2022-29526'] }), affected: false, why: 'Go: v0.47.0 above a pseudo-version' },
    { doc: doc('GHSA-99pg-grm5-qq3v', 'Go', 'github.com/docker/cli', [[{ introduced: '0' }, { fixed: '20.10.9+incompatible' }]]), affected: false, why: 'Go: +incompatible versions' },
    { doc: doc('BERTH-2099-0304', 'Go', 'github.com/docker/cli', [[{ introduced: '29.0.0' }, { fixed: '29.7.3' }]]), affected: true, why: 'Go: +incompatible ignored against a plain fix' },
    { doc: doc('BERTH-2099-0305', 'Go', 'github.com/klauspost/compress', [[{ introduced: '1.19.0' }, { last_affected: '1.19.2' }]]), affected: true, why: 'Go: last_affected inclusive' },
    { doc: doc('BERTH-2099-0306', 'Go', 'github.com/google/go-containerregistry', [[{ introduced: '0' }, { fixed: '0.22.1' }]]), affected: false, why: 'Go: main module equal to fixed' },
  ];
}
export function goImage(crane: Buffer): FixtureImage {
  return { name: 'go-binary', layers: [[{ path: 'usr/local/bin/crane', content: crane, mode: 0o755 }]] };
}
