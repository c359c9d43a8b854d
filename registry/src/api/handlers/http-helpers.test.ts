import { parseRange } from './blobs.js';

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
