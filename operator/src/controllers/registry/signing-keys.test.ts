import { createPrivateKey } from 'node:crypto';
import { generateSigningKey, planSigningKeys, signingKeysFromSecret, SIGNING_KEYS_ANNOTATION, type SigningKey } from './signing-keys.js';

const HOUR = 3600;
let n = 0;
const fake = (now: Date): SigningKey => ({ kid: `k${++n}`, createdAt: now.toISOString(), privateKeyPem: 'pem' });
const at = (iso: string) => new Date(iso);

describe('planSigningKeys', () => {
  it('creates the first key', () => {
    const plan = planSigningKeys([], 24 * HOUR, at('2026-01-01T00:00:00Z'), fake);
    expect(plan.change).toBe('created');
    expect(plan.keys).toHaveLength(1);
    expect(plan.nextRotationAt.toISOString()).toBe('2026-01-02T00:00:00.000Z');
  });

  it('keeps the key until the period is over', () => {
    const k = fake(at('2026-01-01T00:00:00Z'));
    const plan = planSigningKeys([k], 24 * HOUR, at('2026-01-01T23:59:00Z'), fake);
    expect(plan).toEqual({ keys: [k], change: 'none', nextRotationAt: at('2026-01-02T00:00:00Z') });
  });

  it('rotates when due and keeps the previous key for verification', () => {
    const old = fake(at('2026-01-01T00:00:00Z'));
    const plan = planSigningKeys([old], 24 * HOUR, at('2026-01-02T00:00:01Z'), fake);
    expect(plan.change).toBe('rotated');
    expect(plan.keys[1]).toBe(old);
    expect(plan.keys[0].createdAt).toBe('2026-01-02T00:00:01.000Z');
  });

  it('drops keys older than the previous one on the next rotation', () => {
    const k1 = fake(at('2026-01-01T00:00:00Z'));
    const k2 = fake(at('2026-01-02T00:00:00Z'));
    const plan = planSigningKeys([k1, k2], 24 * HOUR, at('2026-01-03T00:00:00Z'), fake);
    expect(plan.keys.map((k) => k.kid)).toEqual([expect.any(String), k2.kid]);
    expect(plan.keys).not.toContain(k1);
  });
});

describe('signing keys in a Secret', () => {
  it('generates P-256 keys whose kid is a public-key fingerprint', () => {
    const k = generateSigningKey(new Date());
    expect(createPrivateKey(k.privateKeyPem).asymmetricKeyDetails).toEqual({ namedCurve: 'prime256v1' });
    expect(k.kid).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(generateSigningKey(new Date()).kid).not.toBe(k.kid);
  });

  it('reads back what desired() wrote and ignores entries without a PEM', () => {
    const secret = {
      metadata: { annotations: { [SIGNING_KEYS_ANNOTATION]: JSON.stringify([{ kid: 'a', createdAt: 't1' }, { kid: 'b', createdAt: 't0' }]) } },
      data: { 'a.pem': Buffer.from('PEM-A').toString('base64') },
    };
    expect(signingKeysFromSecret(secret)).toEqual([{ kid: 'a', createdAt: 't1', privateKeyPem: 'PEM-A' }]);
    expect(signingKeysFromSecret(undefined)).toEqual([]);
    expect(signingKeysFromSecret({ metadata: { annotations: { [SIGNING_KEYS_ANNOTATION]: 'not json' } } })).toEqual([]);
  });
});
