// Who is asking: checks a username and password against the admin identity and
// the policy's robot accounts, under the login limiter. Successful checks are
// cached briefly under an HMAC of the credentials (never the credentials
// themselves), because clients that send Basic auth on every request would
// otherwise pay a full scrypt per request.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics/metrics.js';
import type { LoginLimiter } from './login-limiter.js';
import type { Policy } from './policy.js';
import type { PolicySource } from './policy-source.js';
import { verifySecret, type ParsedHash } from '#contract/auth/secret-hash.js';

export type IdentityKind = 'admin' | 'robot' | 'anonymous';

export interface Identity {
  readonly kind: IdentityKind;
  readonly subject: string;
}

export type AdminCredential =
  | { readonly username: string; readonly password: string }
  | { readonly username: string; readonly hash: ParsedHash };

export class LoginError extends Error {
  override name = 'LoginError';
  /** `retryAfter` > 0 when the caller is locked out (429), else the credentials were wrong (401). */
  constructor(readonly retryAfter: number) {
    super(retryAfter > 0 ? 'too many failed logins' : 'invalid credentials');
  }
}

interface CacheEntry {
  readonly identity: Identity;
  readonly policy: Policy | undefined;
  readonly validUntil: number;
}

const CACHE_MS = 60_000;
const CACHE_MAX = 1_000;
const sha256 = (s: string) => createHash('sha256').update(s).digest();

export class Authenticator {
  private readonly cacheKey = randomBytes(32);
  private readonly cache = new Map<string, CacheEntry>();

  constructor(
    private readonly admin: AdminCredential | undefined,
    private readonly policy: PolicySource,
    private readonly limiter: LoginLimiter,
    private readonly metrics: Metrics,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Resolves the identity or throws LoginError; `address` is the client's, for the limiter. */
  async login(username: string, password: string, address: string): Promise<Identity> {
    const keys = [`user:${username}`, `addr:${address}`];
    const locked = this.limiter.retryAfter(keys);
    if (locked > 0) {
      this.metrics.authFailures.inc({ reason: 'locked' });
      this.log.warn({ msg: 'login refused: too many failures', username, remote: address, retryAfterSeconds: locked });
      throw new LoginError(locked);
    }
    const identity = await this.check(username, password);
    if (identity) {
      this.limiter.succeed(keys[0]);
      return identity;
    }
    this.metrics.authFailures.inc({ reason: 'bad_credentials' });
    const delay = this.limiter.fail(keys);
    this.log.warn({ msg: 'login failed', username, remote: address });
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    throw new LoginError(this.limiter.retryAfter(keys));
  }

  private async check(username: string, password: string): Promise<Identity | undefined> {
    const now = this.now();
    const policy = this.policy.current();
    const key = createHmac('sha256', this.cacheKey).update(username).update('\0').update(password).digest('base64');
    const hit = this.cache.get(key);
    if (hit && hit.validUntil > now && (hit.identity.kind === 'admin' || hit.policy === policy)) return hit.identity;
    this.cache.delete(key);

    let identity: Identity | undefined;
    let validUntil = now + CACHE_MS;
    if (this.admin && username === this.admin.username) {
      const ok = 'password' in this.admin
        ? timingSafeEqual(sha256(password), sha256(this.admin.password))
        : await verifySecret(password, this.admin.hash);
      if (ok) identity = { kind: 'admin', subject: username };
    } else {
      for (const secret of policy.robotSecrets(username) ?? []) {
        if (secret.expiresAt <= now) continue; // rotated out
        if (await verifySecret(password, secret.hash)) {
          identity = { kind: 'robot', subject: username };
          validUntil = Math.min(validUntil, secret.expiresAt);
          break;
        }
      }
    }
    if (identity) {
      if (this.cache.size >= CACHE_MAX) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(key, { identity, policy, validUntil });
    }
    return identity;
  }
}
