// Federated tokens: a JWT whose `iss` names a configured issuer is this issuer's to
// judge, whatever the username it came with, and never falls through to the robot
// or registry-token checks. Anything else is not a federated token.
import type { FederationConfig } from '#contract/config/federation.js';
import { InvalidTokenError } from '../tokens.js';
import { FederatedIssuer } from './issuer.js';
import type { FederatedPrincipal } from './principal.js';
import { decodeUnverified } from './token-checks.js';

export class FederationVerifier {
  private constructor(private readonly byIssuer: ReadonlyMap<string, FederatedIssuer>) {}

  static async open(config: FederationConfig, now?: () => number): Promise<FederationVerifier> {
    const issuers = await Promise.all(config.issuers.map((i) => FederatedIssuer.open(i, now)));
    return new FederationVerifier(new Map(issuers.map((i) => [i.config.issuer, i])));
  }

  static none(): FederationVerifier {
    return new FederationVerifier(new Map());
  }

  get issuers(): readonly FederatedIssuer[] {
    return [...this.byIssuer.values()];
  }

  /** Whether the token is a JWT naming one of the configured issuers (cheap; verifies nothing). */
  claims(token: string): boolean {
    return this.classify(token) === 'trusted';
  }

  /**
   * With issuers configured: 'trusted' for a JWT naming one of them, 'foreign' for a
   * JWT naming any other issuer (a password never looks like that), else 'none'.
   */
  classify(token: string): 'trusted' | 'foreign' | 'none' {
    if (this.byIssuer.size === 0) return 'none';
    const iss = decodeUnverified(token)?.payload.iss;
    if (typeof iss !== 'string') return 'none';
    return this.byIssuer.has(iss) ? 'trusted' : 'foreign';
  }

  /** Verifies a token `claims` accepted; throws InvalidTokenError or IssuerUnreachableError. */
  async authenticate(token: string): Promise<FederatedPrincipal> {
    const decoded = decodeUnverified(token);
    const issuer = typeof decoded?.payload.iss === 'string' ? this.byIssuer.get(decoded.payload.iss) : undefined;
    if (!decoded || !issuer) throw new InvalidTokenError('unknown issuer');
    return issuer.authenticate(token, decoded);
  }
}
