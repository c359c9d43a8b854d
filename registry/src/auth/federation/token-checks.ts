// The checks made on every federated token before and beside its signature:
// an allowed algorithm (never `none` or HMAC: the allow-list is asymmetric only),
// issuer, audience, and the times exp, nbf and iat within the clock skew.
import { decodeJwt, decodeProtectedHeader, type JWTPayload } from 'jose';
import type { FederationIssuerConfig } from '#contract/config/federation.js';
import { InvalidTokenError } from '../tokens.js';

export interface DecodedToken {
  readonly alg: string;
  readonly payload: JWTPayload;
}

const SEGMENT = /^[A-Za-z0-9_-]+$/;

/** Decodes a compact JWS without verifying it; undefined when it is not one. */
export function decodeUnverified(token: string): DecodedToken | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !SEGMENT.test(parts[0]) || !SEGMENT.test(parts[1])) return undefined;
  try {
    const { alg } = decodeProtectedHeader(token);
    const payload = decodeJwt(token);
    return typeof alg === 'string' ? { alg, payload } : undefined;
  } catch {
    return undefined;
  }
}

/** Throws InvalidTokenError unless the header and claims pass; `now` in ms. */
export function checkToken(decoded: DecodedToken, issuer: FederationIssuerConfig, now: number): void {
  const { alg, payload } = decoded;
  if (!(issuer.algorithms as readonly string[]).includes(alg)) throw new InvalidTokenError(`algorithm ${alg} not allowed`);
  if (payload.iss !== issuer.issuer) throw new InvalidTokenError('claim iss rejected');
  const aud = typeof payload.aud === 'string' ? [payload.aud] : Array.isArray(payload.aud) ? payload.aud : [];
  if (!aud.some((a) => issuer.audiences.includes(a))) throw new InvalidTokenError('claim aud rejected');
  const t = now / 1000;
  const skew = issuer.clockSkewSeconds;
  if (typeof payload.exp !== 'number') throw new InvalidTokenError('missing claim exp');
  if (payload.exp <= t - skew) throw new InvalidTokenError('expired');
  if (payload.nbf !== undefined && (typeof payload.nbf !== 'number' || payload.nbf > t + skew)) throw new InvalidTokenError('not yet valid');
  if (payload.iat !== undefined && (typeof payload.iat !== 'number' || payload.iat > t + skew)) throw new InvalidTokenError('issued in the future');
}
