// Robot secrets are stored only as salted scrypt hashes. The operator imports
// `hashSecret` to render the policy file; the registry only ever verifies.
// Format: scrypt$<N>$<r>$<p>$<salt base64url>$<hash base64url>
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const PREFIX = 'scrypt';
const DEFAULTS = { N: 16384, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
/** Upper bounds on parameters read from a policy file, so a hostile hash cannot exhaust memory. */
const MAX_N = 1 << 20;
const MAX_R = 32;
const MAX_P = 16;

function scrypt(secret: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCb(secret, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export interface ParsedHash {
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly salt: Buffer;
  readonly hash: Buffer;
}

/** Parses a stored hash; throws a readable error when it is malformed. */
export function parseSecretHash(stored: string): ParsedHash {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== PREFIX) throw new Error('expected scrypt$N$r$p$salt$hash');
  const [N, r, p] = parts.slice(1, 4).map((s) => (/^\d+$/.test(s) ? Number(s) : NaN));
  if (!Number.isInteger(N) || N < 2 || (N & (N - 1)) !== 0 || N > MAX_N) throw new Error('scrypt N must be a power of two ≤ 2^20');
  if (!Number.isInteger(r) || r < 1 || r > MAX_R) throw new Error(`scrypt r must be 1..${MAX_R}`);
  if (!Number.isInteger(p) || p < 1 || p > MAX_P) throw new Error(`scrypt p must be 1..${MAX_P}`);
  const salt = Buffer.from(parts[4], 'base64url');
  const hash = Buffer.from(parts[5], 'base64url');
  if (salt.length < 8) throw new Error('salt must be at least 8 bytes');
  if (hash.length < 16) throw new Error('hash must be at least 16 bytes');
  return { N, r, p, salt, hash };
}

const maxmem = (N: number, r: number, p: number) => 128 * N * r * p + 32 * 1024 * 1024;

/** Hashes a secret with a fresh random salt. */
export async function hashSecret(secret: string, params: { N?: number; r?: number; p?: number } = {}): Promise<string> {
  const { N, r, p } = { ...DEFAULTS, ...params };
  const salt = randomBytes(SALT_LENGTH);
  const hash = await scrypt(secret, salt, KEY_LENGTH, { N, r, p, maxmem: maxmem(N, r, p) });
  return [PREFIX, N, r, p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

/** Constant-time check of a secret against a stored hash (parsed or not). */
export async function verifySecret(secret: string, stored: string | ParsedHash): Promise<boolean> {
  const h = typeof stored === 'string' ? parseSecretHash(stored) : stored;
  const candidate = await scrypt(secret, h.salt, h.hash.length, { N: h.N, r: h.r, p: h.p, maxmem: maxmem(h.N, h.r, h.p) });
  return timingSafeEqual(candidate, h.hash);
}
