import { parseRange } from './blobs.js';
import { paginate } from './context.js';

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
