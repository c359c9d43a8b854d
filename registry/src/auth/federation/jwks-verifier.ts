// Signature verification against the issuer's published keys (jose's remote JWKS):
// discovery on first use, keys cached, and a token whose `kid` is unknown makes
// jose refetch the set at most once per COOLDOWN_MS, so a stream of forged kids
// cannot turn into a stream of requests to the issuer.
import { createRemoteJWKSet, customFetch, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import type { FederationIssuerConfig } from '#contract/config/federation.js';
import { InvalidTokenError } from '../tokens.js';
import { discoverJwksURI, lazyRetrying } from './discovery.js';
import { IssuerUnreachableError, joseFetch, type IssuerConnection } from './https-client.js';

export const COOLDOWN_MS = 30_000;

export class JwksVerifier {
  private readonly keys: () => Promise<ReturnType<typeof createRemoteJWKSet>>;

  constructor(private readonly issuer: FederationIssuerConfig, connection: IssuerConnection, private readonly now: () => number = () => Date.now()) {
    const locate = issuer.jwksURI ? async () => new URL(issuer.jwksURI!) : () => discoverJwksURI(issuer.issuer, connection);
    this.keys = lazyRetrying(async () => createRemoteJWKSet(await locate(), {
      cooldownDuration: COOLDOWN_MS,
      timeoutDuration: connection.timeoutMs ?? 5000,
      [customFetch]: joseFetch(connection),
    }));
  }

  /** The verified payload; InvalidTokenError for a bad token, IssuerUnreachableError when the keys cannot be had. */
  async verify(token: string): Promise<JWTPayload> {
    const keys = await this.keys();
    try {
      const { payload } = await jwtVerify(token, keys, {
        algorithms: [...this.issuer.algorithms],
        issuer: this.issuer.issuer,
        audience: this.issuer.audiences,
        clockTolerance: this.issuer.clockSkewSeconds,
        requiredClaims: ['exp'],
        currentDate: new Date(this.now()),
      });
      return payload;
    } catch (err) {
      throw translate(err);
    }
  }
}

function translate(err: unknown): Error {
  if (err instanceof IssuerUnreachableError) return err;
  if (err instanceof joseErrors.JWTExpired) return new InvalidTokenError('expired');
  if (err instanceof joseErrors.JWTClaimValidationFailed) return new InvalidTokenError(err.claim === 'nbf' ? 'not yet valid' : `claim ${err.claim} rejected`);
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return new InvalidTokenError('bad signature');
  if (err instanceof joseErrors.JWKSNoMatchingKey) return new InvalidTokenError('unknown signing key');
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return new InvalidTokenError('algorithm not allowed');
  if (err instanceof joseErrors.JWKSTimeout) return new IssuerUnreachableError('JWKS fetch timed out');
  if (err instanceof joseErrors.JWKSInvalid || (err instanceof joseErrors.JOSEError && err.constructor === joseErrors.JOSEError)) {
    return new IssuerUnreachableError(`JWKS unusable: ${err.message}`);
  }
  return new InvalidTokenError('malformed');
}
