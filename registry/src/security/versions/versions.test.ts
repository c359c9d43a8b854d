import { compareApk, compareDpkg, compareGo, comparePep440, compareSemver, comparatorFor, type VersionCompare } from './index.js';

/** Each list is in strictly ascending order; every pair is checked both ways. */
function expectAscending(cmp: VersionCompare, versions: string[]): void {
  for (let i = 0; i < versions.length; i++) {
    for (let j = i + 1; j < versions.length; j++) {
      expect([versions[i], versions[j], Math.sign(cmp(versions[i], versions[j]))]).toEqual([versions[i], versions[j], -1]);
      expect([versions[j], versions[i], Math.sign(cmp(versions[j], versions[i]))]).toEqual([versions[j], versions[i], 1]);
    }
  }
}

describe('dpkg versions', () => {
  it('orders tildes below the end, letters below symbols, digits numerically', () => {
    expectAscending(compareDpkg, ['1.0~~', '1.0~~a', '1.0~', '1.0~rc1', '1.0', '1.0a', '1.0+', '1.0+b1', '1.0.1', '1.9', '1.10']);
  });
  it('puts the epoch first', () => {
    expectAscending(compareDpkg, ['9.9-9', '1:0.1-1', '1:0.2-1', '2:0.0']);
    expect(compareDpkg('0:1.0-1', '1.0-1')).toBe(0);
  });
  it('compares revisions, security updates included', () => {
    expectAscending(compareDpkg, ['2.36-9', '2.36-9+deb12u1', '2.36-9+deb12u9', '2.36-9+deb12u10', '2.36-10']);
    expectAscending(compareDpkg, ['3.0.11-1~deb12u2', '3.0.11-1', '3.0.15-1~deb12u1']);
  });
  it('reads an upstream with hyphens up to the last one', () => {
    expect(compareDpkg('1.2-3-4', '1.2-3-5')).toBeLessThan(0);
    expect(compareDpkg('1.2-3-4', '1.2-4-1')).toBeLessThan(0);
  });
});

describe('apk versions', () => {
  it('orders -rN numerically (a string compare would not)', () => {
    expectAscending(compareApk, ['1.36.1-r2', '1.36.1-r5', '1.36.1-r28', '1.36.1-r29', '1.37.0-r0']);
  });
  it('orders suffixes alpha < beta < pre < rc < none < cvs < svn < git < hg < p', () => {
    expectAscending(compareApk, ['1.2.3_alpha', '1.2.3_alpha2', '1.2.3_beta', '1.2.3_pre1', '1.2.3_rc1', '1.2.3_rc2', '1.2.3', '1.2.3_cvs', '1.2.3_svn', '1.2.3_git20240101', '1.2.3_hg', '1.2.3_p1', '1.2.3_p2']);
  });
  it('orders letters after the bare version and components numerically', () => {
    expectAscending(compareApk, ['1.2', '1.2a', '1.2b', '1.2.1', '1.10']);
    expectAscending(compareApk, ['3.0.8-r0', '3.0.10-r0', '3.1.0-r0']);
  });
  it('compares components after the first that start with 0 as strings (apk fractions)', () => {
    expect(compareApk('1.02', '1.1')).toBeLessThan(0);
    expect(compareApk('1.010', '1.01')).toBeGreaterThan(0);
  });
  it('treats a missing release as -r0', () => {
    expect(compareApk('1.2.3', '1.2.3-r0')).toBe(0);
  });
});

describe('SemVer (npm)', () => {
  it('follows SemVer 2.0 precedence', () => {
    expectAscending(compareSemver, ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0', '1.0.1', '1.10.0', '2.0.0']);
  });
  it('ignores build metadata and tolerates short versions', () => {
    expect(compareSemver('1.0.0+build.5', '1.0.0')).toBe(0);
    expect(compareSemver('1.2', '1.2.0')).toBe(0);
    expect(compareSemver('1.0.0.1', '1.0.0')).toBeGreaterThan(0);
  });
});

describe('PEP 440 (PyPI)', () => {
  it('orders dev < pre < release < post', () => {
    expectAscending(comparePep440, ['1.0.dev1', '1.0a1', '1.0a2', '1.0b1', '1.0rc1', '1.0', '1.0.post1', '1.0.1', '1.1']);
  });
  it('handles epochs, normalization and local versions', () => {
    expect(comparePep440('1!1.0', '2.0')).toBeGreaterThan(0);
    expect(comparePep440('1.0', '1.0.0')).toBe(0);
    expect(comparePep440('1.0-RC1', '1.0rc1')).toBe(0);
    expect(comparePep440('1.0+ubuntu1', '1.0')).toBeGreaterThan(0);
    expect(comparePep440('2.10', '2.9')).toBeGreaterThan(0);
  });
});

describe('Go module versions', () => {
  it('orders pseudo-versions as pre-releases by time', () => {
    expectAscending(compareGo, ['v0.0.0-20180925071336-cf3bd585ca2a', 'v0.0.0-20220412211240-33da011f77ad', 'v0.1.0', 'v0.17.0', 'v1.0.0']);
  });
  it('ignores +incompatible and reads toolchain versions', () => {
    expect(compareGo('v2.0.0+incompatible', '2.0.0')).toBe(0);
    expectAscending(compareGo, ['go1.21rc2', 'go1.21.0', '1.21.5', 'go1.22.0']);
  });
});

describe('comparatorFor', () => {
  it('finds the comparator of a release-suffixed ecosystem and none for unknown ones', () => {
    expect(comparatorFor('Debian:12')).toBe(compareDpkg);
    expect(comparatorFor('Alpine:v3.20')).toBe(compareApk);
    expect(comparatorFor('Ubuntu:22.04:LTS')).toBe(compareDpkg);
    expect(comparatorFor('Maven')).toBeUndefined();
  });
});
