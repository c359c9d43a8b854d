import { hashSecret, parseSecretHash, verifySecret } from '#contract/auth/secret-hash.js';
import { FAST_HASH } from '../../test/registry/auth/fixtures.js';

describe('robot secret hashing', () => {
  test('a hash verifies its secret and no other', async () => {
    const hash = await hashSecret('s3cret', FAST_HASH);
    await expect(verifySecret('s3cret', hash)).resolves.toBe(true);
    await expect(verifySecret('s3cret ', hash)).resolves.toBe(false);
    await expect(verifySecret('', hash)).resolves.toBe(false);
  });

  test('the stored form is scrypt$N$r$p$salt$hash and never contains the secret', async () => {
    const hash = await hashSecret('visible-secret');
    expect(hash).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(hash).not.toContain('visible-secret');
    const parsed = parseSecretHash(hash);
    expect([parsed.N, parsed.r, parsed.p, parsed.salt.length, parsed.hash.length]).toEqual([16384, 8, 1, 16, 32]);
  });

  test('each hash has a fresh salt', async () => {
    const [a, b] = await Promise.all([hashSecret('same', FAST_HASH), hashSecret('same', FAST_HASH)]);
    expect(a).not.toEqual(b);
    await expect(verifySecret('same', a)).resolves.toBe(true);
    await expect(verifySecret('same', b)).resolves.toBe(true);
  });

  test.each([
    ['not a hash', 'expected scrypt'],
    ['bcrypt$1$2$3$4$5', 'expected scrypt'],
    ['scrypt$1000$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'power of two'],
    [`scrypt$${2 ** 22}$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`, 'power of two'],
    ['scrypt$1024$64$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'scrypt r'],
    ['scrypt$1024$8$99$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'scrypt p'],
    ['scrypt$1024$8$1$AAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'salt'],
    ['scrypt$1024$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAA', 'hash must'],
  ])('malformed hash %s is refused (%s)', (stored, message) => {
    expect(() => parseSecretHash(stored)).toThrow(message);
  });
});
