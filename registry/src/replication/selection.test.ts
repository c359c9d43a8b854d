import { TagSelector } from './selection.js';

const TAGS = ['3.18.4', '3.19.0', '3.19.1', 'v3.20.0', '3.20.0-rc1', 'latest', 'edge', '4.0.0', 'sha256-abc.sig'];

test('globs and exclusions', () => {
  expect(new TagSelector({ tags: ['3.*', 'v*'], excludeTags: ['*-rc*'] }).select(TAGS)).toEqual(['3.18.4', '3.19.0', '3.19.1', 'v3.20.0']);
  expect(new TagSelector({ tags: ['*'], excludeTags: [] }).select(['b', 'a'])).toEqual(['a', 'b']);
});

test('a semver range keeps versions only (prereleases only when the range asks)', () => {
  const s = new TagSelector({ tags: ['*'], excludeTags: [], semver: '>=3.19 <4' });
  expect(s.select(TAGS)).toEqual(['3.19.0', '3.19.1', 'v3.20.0']);
  expect(s.matches('latest')).toBe(false);
});

test('the newest N, by version; names when the tags are not versions', () => {
  expect(new TagSelector({ tags: ['*'], excludeTags: [], newest: 2 }).select(TAGS)).toEqual(['4.0.0', 'v3.20.0']);
  expect(new TagSelector({ tags: ['nightly-*'], excludeTags: [], newest: 2 }).select(['nightly-20260101', 'nightly-20260301', 'nightly-20260201']))
    .toEqual(['nightly-20260201', 'nightly-20260301']);
});
