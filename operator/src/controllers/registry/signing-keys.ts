// Token-signing keys: generated once, replaced every rotation period. After a
// rotation the previous key stays in the Secret (and in the registry config as a
// verification-only key) for one more period, so tokens signed just before the
// rotation keep verifying until they expire (token TTL <= 1h <= period, enforced
// by the CRD).
import { createHash, generateKeyPairSync } from 'node:crypto';

export interface SigningKey {
  kid: string;
  /** RFC 3339. */
  createdAt: string;
  privateKeyPem: string;
}

export interface SigningKeyPlan {
  /** Newest first: keys[0] signs, every key verifies. */
  keys: SigningKey[];
  change: 'none' | 'created' | 'rotated';
  /** When the newest key is due for replacement. */
  nextRotationAt: Date;
}

/** Annotation on the keys Secret recording each kid's creation time (Secret data holds only PEMs). */
export const SIGNING_KEYS_ANNOTATION = 'berth.dev/signing-keys';

export function generateSigningKey(now: Date): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  // The kid is a fingerprint of the public key: stable, unique, and safe to log.
  const kid = createHash('sha256').update(spki).digest('base64url').slice(0, 16);
  return { kid, createdAt: now.toISOString(), privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

export function planSigningKeys(existing: SigningKey[], periodSeconds: number, now: Date, generate: (now: Date) => SigningKey = generateSigningKey): SigningKeyPlan {
  const sorted = [...existing].sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
  const periodMs = periodSeconds * 1000;
  if (sorted.length === 0) {
    const key = generate(now);
    return { keys: [key], change: 'created', nextRotationAt: new Date(now.getTime() + periodMs) };
  }
  const newest = sorted[0];
  const dueAt = Date.parse(newest.createdAt) + periodMs;
  if (now.getTime() >= dueAt) {
    const key = generate(now);
    return { keys: [key, newest], change: 'rotated', nextRotationAt: new Date(now.getTime() + periodMs) };
  }
  // Not due: keep the current key and at most one predecessor.
  return { keys: sorted.slice(0, 2), change: 'none', nextRotationAt: new Date(dueAt) };
}

/** Reads keys back from the Secret written by the previous reconcile. */
export function signingKeysFromSecret(secret: { metadata: { annotations?: Record<string, string> }; data?: Record<string, string> } | undefined): SigningKey[] {
  const index = secret?.metadata.annotations?.[SIGNING_KEYS_ANNOTATION];
  if (!secret || !index) return [];
  let entries: Array<{ kid: string; createdAt: string }>;
  try {
    entries = JSON.parse(index) as typeof entries;
  } catch {
    return [];
  }
  return entries.flatMap((e) => {
    const pem = secret.data?.[`${e.kid}.pem`];
    return pem ? [{ kid: e.kid, createdAt: e.createdAt, privateKeyPem: Buffer.from(pem, 'base64').toString('utf8') }] : [];
  });
}
