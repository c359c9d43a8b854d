// Issues and verifies the registry's JWTs (distribution docs/spec/auth/jwt.md):
// access tokens carry `access` claims; refresh tokens (OAuth2 offline access)
// carry only the subject and are accepted solely by the token endpoint.
import { randomUUID } from 'node:crypto';
import { decodeProtectedHeader, errors as joseErrors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import type { Access, Action } from './access.js';
import { claimRecord, type FederatedPrincipal } from './federation/principal.js';
import type { SigningKey } from './signing-keys.js';

export interface TokenSettings {
  readonly issuer: string;
  /** The audience: the registry's service name. */
  readonly service: string;
  readonly accessTTLSeconds: number;
  readonly refreshTTLSeconds: number;
}

export interface IssuedToken {
  readonly token: string;
  readonly expiresIn: number;
  readonly issuedAt: Date;
}

export interface AccessClaims {
  readonly subject: string;
  readonly access: readonly Access[];
  /** The federated identity the token was issued to (claim `fed`), if any. */
  readonly federated?: FederatedPrincipal;
}


/** A token that failed verification; `reason` is safe to log (it never holds the token). */
export class InvalidTokenError extends Error {
  override name = 'InvalidTokenError';
  constructor(readonly reason: string) {
    super(`invalid token: ${reason}`);
  }
}

const REFRESH_USE = 'refresh';
/** The claim holding a federated identity in tokens issued to one. */
const FEDERATED = 'fed';
/** Tolerated clock skew between issuer and verifier, seconds. */
const CLOCK_TOLERANCE = 10;
const ACTIONS = new Set(['pull', 'push', 'delete', '*']);

export class TokenService {
  private readonly byKid: ReadonlyMap<string, SigningKey>;

  constructor(private readonly keys: readonly SigningKey[], readonly settings: TokenSettings) {
    if (keys.length === 0) throw new Error('at least one signing key is required');
    this.byKid = new Map(keys.map((k) => [k.kid, k]));
  }

  private async sign(subject: string, ttl: number, claims: JWTPayload, now: Date, notAfter = Infinity): Promise<IssuedToken> {
    const key = this.keys[0];
    const iat = Math.floor(now.getTime() / 1000);
    const capped = Math.floor(notAfter / 1000) - iat;
    if (capped < ttl) {
      if (capped < 1) throw new InvalidTokenError('expires too soon');
      ttl = capped;
    }
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
      .setIssuer(this.settings.issuer)
      .setSubject(subject)
      .setAudience(this.settings.service)
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(iat + ttl)
      .setJti(randomUUID())
      .sign(key.privateKey);
    return { token, expiresIn: ttl, issuedAt: now };
  }

  /**
   * A federated identity (`fed`) travels in the token, and the token's `exp` never passes
   * its validUntil; InvalidTokenError when it has less than a second left.
   */
  issueAccessToken(subject: string, access: readonly Access[], now = new Date(), fed?: FederatedPrincipal): Promise<IssuedToken> {
    const claims: JWTPayload = { access: access.map((a) => ({ type: a.type, name: a.name, actions: [...a.actions] })) };
    if (fed) claims[FEDERATED] = { iss: fed.issuer, claims: { ...fed.claims }, audit: { ...fed.audit } };
    return this.sign(subject, this.settings.accessTTLSeconds, claims, now, fed?.validUntil);
  }

  issueRefreshToken(subject: string, now = new Date()): Promise<IssuedToken> {
    return this.sign(subject, this.settings.refreshTTLSeconds, { use: REFRESH_USE }, now);
  }

  private async verify(token: string): Promise<JWTPayload> {
    let kid: string | undefined;
    let alg: string | undefined;
    try {
      ({ kid, alg } = decodeProtectedHeader(token));
    } catch {
      throw new InvalidTokenError('malformed');
    }
    const key = kid !== undefined ? this.byKid.get(kid) : this.keys.length === 1 ? this.keys[0] : undefined;
    if (!key) throw new InvalidTokenError('unknown signing key');
    if (alg !== key.alg) throw new InvalidTokenError('unexpected algorithm');
    try {
      const { payload } = await jwtVerify(token, key.publicKey, {
        algorithms: [key.alg],
        issuer: this.settings.issuer,
        audience: this.settings.service,
        clockTolerance: CLOCK_TOLERANCE,
        requiredClaims: ['sub', 'exp'],
      });
      return payload;
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw new InvalidTokenError('expired');
      if (err instanceof joseErrors.JWTClaimValidationFailed) throw new InvalidTokenError(`claim ${err.claim} rejected`);
      if (err instanceof joseErrors.JWSSignatureVerificationFailed) throw new InvalidTokenError('bad signature');
      throw new InvalidTokenError('malformed');
    }
  }

  /** Verifies an access token: signature, issuer, audience, expiry, not-before. */
  async verifyAccessToken(token: string): Promise<AccessClaims> {
    const payload = await this.verify(token);
    if (payload.use === REFRESH_USE) throw new InvalidTokenError('refresh token used as access token');
    const federated = payload[FEDERATED] === undefined ? undefined : parseFederatedClaim(payload[FEDERATED], payload.sub!, payload.exp! * 1000);
    return { subject: payload.sub!, access: parseAccessClaim(payload.access), federated };
  }

  /** Verifies a refresh token and returns its subject. */
  async verifyRefreshToken(token: string): Promise<string> {
    const payload = await this.verify(token);
    if (payload.use !== REFRESH_USE) throw new InvalidTokenError('not a refresh token');
    return payload.sub!;
  }
}

function parseAccessClaim(claim: unknown): Access[] {
  if (claim === undefined) return [];
  if (!Array.isArray(claim)) throw new InvalidTokenError('access claim is not a list');
  return claim.map((entry) => {
    const { type, name, actions } = (entry ?? {}) as Record<string, unknown>;
    if ((type !== 'repository' && type !== 'registry') || typeof name !== 'string' || !Array.isArray(actions)) {
      throw new InvalidTokenError('malformed access claim');
    }
    return { type, name, actions: actions.filter((a): a is Action => typeof a === 'string' && ACTIONS.has(a)) };
  });
}

function stringRecord(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidTokenError('malformed fed claim');
  const entries = Object.entries(value);
  if (entries.some(([, v]) => typeof v !== 'string')) throw new InvalidTokenError('malformed fed claim');
  return claimRecord(entries as [string, string][]);
}

function parseFederatedClaim(claim: unknown, subject: string, validUntil: number): FederatedPrincipal {
  const { iss, claims, audit } = (claim ?? {}) as Record<string, unknown>;
  if (typeof iss !== 'string') throw new InvalidTokenError('malformed fed claim');
  return { issuer: iss, subject, claims: stringRecord(claims), audit: stringRecord(audit), validUntil };
}
