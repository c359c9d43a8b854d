import { digestOf, parseDigest } from '../../registry/src/reference.js';
import { parseRange } from '../../registry/src/api/handlers/blobs.js';
import { isValidRepositoryName, isValidTag } from '../../registry/src/reference.js';
import { paginate } from '../../registry/src/api/handlers/context.js';

test.each(['a', 'library/ubuntu', 'a.b_c__d---e/f', 'x/y/z/0'])('valid name %s', (n) => expect(isValidRepositoryName(n)).toBe(true));
test.each(['', 'A', 'a/', '/a', 'a__-b', 'a..b', 'a/../b', '_a', 'a b'])('invalid name %j', (n) => expect(isValidRepositoryName(n)).toBe(false));
test.each(['latest', 'v1.0.0', '_x', 'A-b_c.1'])('valid tag %s', (t) => expect(isValidTag(t)).toBe(true));
test.each(['', '.x', '-x', 'a/b', 'a'.repeat(129)])('invalid tag %j', (t) => expect(isValidTag(t)).toBe(false));

test('digests: supported algorithms only, exact lengths', () => {
  const d = digestOf('hello');
  expect(parseDigest(d.value)).toEqual(d);
  expect(parseDigest(digestOf('x', 'sha512').value)?.algorithm).toBe('sha512');
  expect(parseDigest('sha256:' + 'a'.repeat(63))).toBeUndefined();
  expect(parseDigest('sha384:' + 'a'.repeat(96))).toBeUndefined();
  expect(parseDigest('SHA256:' + 'a'.repeat(64))).toBeUndefined();
});

test('byte ranges', () => {
  expect(parseRange(undefined, 10)).toBeUndefined();
  expect(parseRange('bytes=0-4', 10)).toEqual({ start: 0, end: 4 });
  expect(parseRange('bytes=5-', 10)).toEqual({ start: 5, end: 9 });
  expect(parseRange('bytes=-3', 10)).toEqual({ start: 7, end: 9 });
  expect(parseRange('bytes=8-100', 10)).toEqual({ start: 8, end: 9 });
  expect(parseRange('bytes=10-11', 10)).toBeNull();
  expect(parseRange('bytes=5-1', 10)).toBeNull();
  expect(parseRange('bytes=0-1,3-4', 10)).toBeUndefined();
});

test('pagination', () => {
  const items = ['a', 'b', 'c', 'd'];
  expect(paginate(items, new URLSearchParams('n=2'), '/x')).toEqual({ page: ['a', 'b'], link: '</x?n=2&last=b>; rel="next"' });
  expect(paginate(items, new URLSearchParams('n=2&last=b'), '/x')).toEqual({ page: ['c', 'd'] });
  expect(paginate(items, new URLSearchParams('last=bb'), '/x')).toEqual({ page: ['c', 'd'] });
  expect(paginate(items, new URLSearchParams('n=0'), '/x').page).toEqual([]);
});
