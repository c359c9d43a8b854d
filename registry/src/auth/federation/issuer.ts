// One configured issuer: the checks its `verify` mode calls for, then claim mapping.
//   jwks         local checks + signature against the published keys
//   tokenReview  local checks (a cheap filter), then the API server decides
//   both         signature first, then the API server
import { readFile } from 'node:fs/promises';
import type { FederationIssuerConfig } from '#contract/config/federation.js';
import { principalFrom } from './claims.js';
import type { IssuerConnection } from './https-client.js';
import { JwksVerifier } from './jwks-verifier.js';
import type { FederatedPrincipal } from './principal.js';
import { checkToken, type DecodedToken } from './token-checks.js';
import { TokenReviewer } from './token-review.js';

export class FederatedIssuer {
  private readonly jwks?: JwksVerifier;
  readonly reviewer?: TokenReviewer;

  constructor(readonly config: FederationIssuerConfig, connection: IssuerConnection, private readonly now: () => number = () => Date.now()) {
    if (config.verify !== 'tokenReview') this.jwks = new JwksVerifier(config, connection, now);
    if (config.verify !== 'jwks') this.reviewer = new TokenReviewer(config, connection, now);
  }

  static async open(config: FederationIssuerConfig, now?: () => number): Promise<FederatedIssuer> {
    let ca: Buffer | undefined;
    if (config.caFile) {
      try {
        ca = await readFile(config.caFile);
      } catch (err) {
        throw new Error(`auth.federation issuer ${config.name}: caFile ${config.caFile}: ${(err as Error).message}`);
      }
    }
    return new FederatedIssuer(config, { ca, tokenFile: config.tokenFile }, now);
  }

  /** Throws InvalidTokenError (refused) or IssuerUnreachableError (cannot decide). */
  async authenticate(token: string, decoded: DecodedToken): Promise<FederatedPrincipal> {
    checkToken(decoded, this.config, this.now());
    const payload = this.jwks ? await this.jwks.verify(token) : decoded.payload;
    const principal = principalFrom(this.config, payload);
    if (!this.reviewer) return principal;
    return { ...principal, validUntil: await this.reviewer.review(token, principal) };
  }
}
