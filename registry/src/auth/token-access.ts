// The AccessController used when auth is enabled: Docker token authentication
// (distribution docs/spec/auth/token.md) plus Basic credentials sent directly.
//   no credentials  → anonymous; allowed only what anonymous may do, else 401 + Bearer challenge
//   Bearer <jwt>    → verified token; missing scope → 401 insufficient_scope when the policy
//                     would grant it (the client fetches a wider token), else 403 DENIED;
//                     the same for optional scopes (a mount source), which otherwise degrade
//   Basic           → robot or admin; missing access → 403 DENIED
//   federated token → as Bearer, or as the Basic password with any username: verified by
//                     its issuer on every request; missing access → 403 DENIED
// The base endpoint (/v2/) demands credentials, which is how clients discover the realm.
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { Code, RegistryError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Access, AccessController, Grant } from './access.js';
import { LoginError, type Authenticator, type Identity } from './authenticator.js';
import { addressOf, readCredentials } from './credentials.js';
import { identityGrant, tokenGrant } from './grants.js';
import type { Permissions } from './permissions.js';
import { ANONYMOUS } from './policy.js';
import { formatScope, mergeAccess } from './scope.js';
import { IssuerUnreachableError } from './federation/https-client.js';
import { InvalidTokenError, type TokenService } from './tokens.js';

export const TOKEN_PATH = '/auth/token';

export interface ChallengeSettings {
  readonly service: string;
  /** Configured realm; otherwise derived from publicURL or the request's Host. */
  readonly realm?: string;
  readonly publicURL?: string;
}

/** The token endpoint URL clients are sent to. */
export function realmFor(req: IncomingMessage, settings: ChallengeSettings): string {
  if (settings.realm) return settings.realm;
  if (settings.publicURL) return `${settings.publicURL.replace(/\/+$/, '')}${TOKEN_PATH}`;
  const scheme = (req.socket as TLSSocket).encrypted ? 'https' : 'http';
  return `${scheme}://${req.headers.host ?? 'localhost'}${TOKEN_PATH}`;
}

const quote = (s: string) => `"${s.replace(/["\\]/g, '\\$&')}"`;

interface Authenticated {
  readonly identity: Identity;
  readonly via: 'none' | 'basic' | 'bearer' | 'federated';
  readonly grant: Grant;
}

export class TokenAccessController implements AccessController {
  constructor(
    private readonly tokens: TokenService,
    private readonly authenticator: Authenticator,
    private readonly permissions: Permissions,
    private readonly challenge: ChallengeSettings,
    private readonly metrics: Metrics,
    private readonly log: Logger,
    private readonly onClose: () => void = () => undefined,
  ) {}

  private unauthorized(req: IncomingMessage, scopes: readonly Access[], error?: 'invalid_token' | 'insufficient_scope', detail?: unknown): RegistryError {
    const params = [`realm=${quote(realmFor(req, this.challenge))}`, `service=${quote(this.challenge.service)}`];
    const merged = mergeAccess(scopes);
    if (merged.length > 0) params.push(`scope=${quote(merged.map(formatScope).join(' '))}`);
    if (error) params.push(`error=${quote(error)}`);
    return new RegistryError(Code.UNAUTHORIZED, detail, { 'WWW-Authenticate': `Bearer ${params.join(',')}` });
  }

  /** A refused federated or registry token: 401 invalid_token; an issuer that cannot be asked: 503. */
  private tokenFailure(req: IncomingMessage, scopes: readonly Access[], err: unknown): RegistryError {
    if (err instanceof IssuerUnreachableError) {
      this.metrics.authFailures.inc({ reason: 'issuer_unreachable' });
      this.log.warn({ msg: 'token issuer unreachable', error: err.message, remote: addressOf(req) });
      return new RegistryError(Code.UNAVAILABLE, undefined, { 'Retry-After': '5' }, 'the token issuer cannot be reached; retry later');
    }
    if (!(err instanceof InvalidTokenError)) throw err;
    this.metrics.authFailures.inc({ reason: 'invalid_token' });
    this.log.info({ msg: 'bearer token rejected', reason: err.reason, remote: addressOf(req) });
    return this.unauthorized(req, scopes, 'invalid_token', err.reason);
  }

  private async authenticate(req: IncomingMessage, scopes: readonly Access[]): Promise<Authenticated> {
    const credentials = readCredentials(req);
    switch (credentials.kind) {
      case 'none': {
        const identity: Identity = { kind: 'anonymous', subject: ANONYMOUS };
        return { identity, via: 'none', grant: identityGrant(identity, this.permissions) };
      }
      case 'malformed':
        this.metrics.authFailures.inc({ reason: 'malformed' });
        throw this.unauthorized(req, scopes, undefined, 'malformed Authorization header');
      case 'basic': {
        try {
          const identity = await this.authenticator.login(credentials.username, credentials.password, addressOf(req));
          return { identity, via: 'basic', grant: identityGrant(identity, this.permissions) };
        } catch (err) {
          if (err instanceof LoginError && err.retryAfter > 0) {
            throw new RegistryError(Code.TOOMANYREQUESTS, { retryAfterSeconds: err.retryAfter }, { 'Retry-After': String(err.retryAfter) }, 'too many failed logins; retry later');
          }
          if (err instanceof LoginError) throw this.unauthorized(req, scopes, undefined, 'invalid username or password');
          throw this.tokenFailure(req, scopes, err);
        }
      }
      case 'bearer': {
        try {
          const federated = await this.authenticator.federatedIdentity(credentials.token);
          if (federated) return { identity: federated, via: 'federated', grant: identityGrant(federated, this.permissions) };
          const claims = await this.tokens.verifyAccessToken(credentials.token);
          const identity = this.permissions.identityOf(claims.subject, claims.federated);
          return { identity, via: 'bearer', grant: tokenGrant(identity, claims.access, this.permissions) };
        } catch (err) {
          throw this.tokenFailure(req, scopes, err);
        }
      }
    }
  }

  async authorize(req: IncomingMessage, access: readonly Access[], optional: readonly Access[] = []): Promise<Grant> {
    const auth = await this.authenticate(req, [...access, ...optional]);
    const missing = access.filter((a) => a.actions.some((action) => !auth.grant.can(a.type, a.name, action)));
    if (auth.via === 'none' && (access.length === 0 || missing.length > 0)) {
      throw this.unauthorized(req, [...access, ...optional], undefined, missing.length ? missing : undefined);
    }
    if (missing.length === 0) {
      // A token that lacks an optional scope the policy would grant (the source of a mount):
      // ask the client for a wider token rather than silently degrading the mount to an upload.
      if (auth.via === 'bearer' && auth.identity.kind !== 'anonymous' && optional.some((a) => a.actions.some((action) =>
        !auth.grant.can(a.type, a.name, action) && this.permissions.allows(auth.identity, a.type, a.name, action)))) {
        throw this.unauthorized(req, [...access, ...optional], 'insufficient_scope');
      }
      return auth.grant;
    }
    const detail = missing.map((a) => ({ type: a.type, name: a.name, actions: a.actions }));
    if (auth.via === 'bearer') {
      // A token that is merely narrower than the policy: ask the client for a wider one.
      const wouldGrant = missing.every((a) => a.actions.every((action) => this.permissions.allows(auth.identity, a.type, a.name, action)));
      if (wouldGrant || auth.identity.kind === 'anonymous') throw this.unauthorized(req, [...access, ...optional], 'insufficient_scope', detail);
    }
    this.log.info({ msg: 'access denied', subject: auth.identity.subject, missing: missing.map(formatScope), ...(auth.grant.audit ? { identity: auth.grant.audit } : {}) });
    throw new RegistryError(Code.DENIED, detail);
  }

  async identify(req: IncomingMessage): Promise<Grant> {
    return (await this.authenticate(req, [])).grant;
  }

  async close(): Promise<void> {
    this.onClose();
  }
}
