// Who is asking: checks a username and password against the admin identity and
// the policy's robot accounts, under the login limiter. A password that is a
// federated token (a JWT from an auth.federation issuer) is judged by that issuer
// whatever the username, outside the limiter: it cannot be guessed, and one pod's
// stale token must not lock out its node's address. Successful robot checks are
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
import type { FederatedPrincipal } from './federation/principal.js';
import { FederationVerifier } from './federation/verifier.js';
import { InvalidTokenError } from './tokens.js';

/** `scanner`: the registry's own scanner backends (a pull-only token the registry mints for a scan). */
export type IdentityKind = 'admin' | 'robot' | 'anonymous' | 'federated' | 'scanner';

export interface Identity {
  readonly kind: IdentityKind;
  readonly subject: string;
  /** Set exactly when kind is 'federated'. */
  readonly federated?: FederatedPrincipal;
}

export const federatedIdentity = (principal: FederatedPrincipal): Identity => ({ kind: 'federated', subject: principal.subject, federated: principal });

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
    private readonly federation: FederationVerifier = FederationVerifier.none(),
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The identity of a federated token, or undefined when the token is not one. Throws
   * InvalidTokenError when its issuer refuses it, IssuerUnreachableError when the issuer
   * cannot be asked.
   */
  async federatedIdentity(token: string): Promise<Identity | undefined> {
    if (!this.federation.claims(token)) return undefined;
    return federatedIdentity(await this.federation.authenticate(token));
  }

  /**
   * Resolves the identity or throws LoginError; `address` is the client's, for the limiter.
   * A federated token as the password throws as federatedIdentity does; a JWT from an
   * issuer that is not configured is refused as a token (InvalidTokenError).
   */
  async login(username: string, password: string, address: string): Promise<Identity> {
    const kind = this.federation.classify(password);
    if (kind === 'trusted') return federatedIdentity(await this.federation.authenticate(password));
    if (kind === 'foreign') throw new InvalidTokenError('issuer not trusted');
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
