import { Code, RegistryError } from './errors.js';
import { digestOf, isValidRepositoryName, isValidTag, parseDigest, parseReference, requireDigest } from './reference.js';

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

test('references: a tag, or a digest when it holds a colon; malformed ones are refused with their code', () => {
  const d = digestOf('m');
  expect(parseReference('v1')).toEqual({ tag: 'v1' });
  expect(parseReference(d.value)).toEqual({ digest: d });
  const refused = (ref: string) => { try { parseReference(ref); return undefined; } catch (err) { return (err as RegistryError).descriptor; } };
  expect(refused('sha256:short')).toBe(Code.DIGEST_INVALID);
  expect(refused('.bad')).toBe(Code.TAG_INVALID);
  expect(() => requireDigest(null, 'needed')).toThrow(RegistryError);
  expect(requireDigest(d.value)).toEqual(d);
});
