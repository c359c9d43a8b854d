// The token endpoint (distribution docs/spec/auth/token.md and oauth.md):
//   GET  /auth/token?service=…&scope=…[&scope=…][&offline_token=true]   Basic credentials or none
//   POST /auth/token  (form) grant_type=password|refresh_token, service, client_id, scope, access_type
// It grants each requested scope intersected with what the identity may do;
// anonymous requests get a token carrying only what anonymous may do. A federated
// token as the password (any username) gets a token that expires no later than it
// does, and never a refresh token.
import type { Express, Request, Response } from 'express';
import type { Logger } from '../log.js';
import type { Access } from './access.js';
import { LoginError, type Authenticator, type Identity } from './authenticator.js';
import { addressOf, readCredentials } from './credentials.js';
import type { Permissions } from './permissions.js';
import { ANONYMOUS } from './policy.js';
import { formatScope, parseScopes } from './scope.js';
import { IssuerUnreachableError } from './federation/https-client.js';
import { InvalidTokenError, type TokenService } from './tokens.js';
import { TOKEN_PATH } from './token-access.js';
import { afterUnreadBody } from '../limits/unread-body.js';
import { sameOrigin, UI_CLIENT_ID, UI_SESSION_PATH, type UiSessionCookie } from './ui-session.js';

const MAX_FORM_BYTES = 64 * 1024;

class TokenRequestError extends Error {
  constructor(readonly status: number, readonly oauthError: string, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

async function readForm(req: Request): Promise<URLSearchParams> {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') throw new TokenRequestError(400, 'invalid_request', 'expected an application/x-www-form-urlencoded body');
  const chunks: Buffer[] = [];
  let size = 0;
  // Not destroyed on a throw: the answer reads and discards the rest of the body first.
  for await (const chunk of req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) throw new TokenRequestError(413, 'invalid_request', 'form too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

export interface TokenEndpointDeps {
  readonly tokens: TokenService;
  readonly authenticator: Authenticator;
  readonly permissions: Permissions;
  readonly log: Logger;
  /** The web UI's session cookie, when the UI is on (ui-session.ts). */
  readonly uiSession?: UiSessionCookie;
}

export function mountTokenEndpoint(app: Express, deps: TokenEndpointDeps): void {
  const { tokens, authenticator, permissions, log, uiSession } = deps;
  const service = tokens.settings.service;

  const login = async (req: Request, username: string, password: string): Promise<Identity> => {
    try {
      return await authenticator.login(username, password, addressOf(req));
    } catch (err) {
      if (err instanceof LoginError && err.retryAfter > 0) {
        throw new TokenRequestError(429, 'TOOMANYREQUESTS', 'too many failed logins; retry later', { 'Retry-After': String(err.retryAfter) });
      }
      if (err instanceof LoginError) throw new TokenRequestError(401, 'invalid_grant', 'invalid username or password', { 'WWW-Authenticate': `Basic realm="${service}"` });
      throw federationFailure(err);
    }
  };

  const federationFailure = (err: unknown): unknown => {
    if (err instanceof InvalidTokenError) {
      log.info({ msg: 'federated token rejected', reason: err.reason });
      return new TokenRequestError(401, 'invalid_grant', err.message, { 'WWW-Authenticate': `Basic realm="${service}"` });
    }
    if (err instanceof IssuerUnreachableError) {
      log.warn({ msg: 'token issuer unreachable', error: err.message });
      return new TokenRequestError(503, 'temporarily_unavailable', 'the token issuer cannot be reached; retry later', { 'Retry-After': '5' });
    }
    return err;
  };

  const checkService = (requested: string | null) => {
    if (requested !== null && requested !== service) throw new TokenRequestError(400, 'invalid_request', `unknown service; this registry is "${service}"`);
  };

  /** `cookie`: the refresh token goes to the UI's session cookie instead of the body. */
  const respond = async (res: Response, identity: Identity, requested: Access[], withRefresh: boolean, oauth: boolean, cookie = false) => {
    const granted = requested.map((a) => permissions.grantable(identity, a)).filter((a) => a.actions.length > 0);
    const access = await tokens.issueAccessToken(identity.subject, granted, new Date(), identity.federated).catch((err) => {
      throw federationFailure(err);
    });
    const body: Record<string, unknown> = {
      token: access.token,
      access_token: access.token,
      expires_in: access.expiresIn,
      issued_at: access.issuedAt.toISOString(),
    };
    if (oauth) body.scope = granted.map(formatScope).join(' ');
    if (withRefresh && identity.kind !== 'anonymous' && identity.kind !== 'federated') {
      const refresh = (await tokens.issueRefreshToken(identity.subject)).token;
      if (cookie && uiSession) uiSession.set(res, refresh);
      else body.refresh_token = refresh;
    }
    if (cookie) body.subject = identity.subject;
    log.info({ msg: 'token issued', subject: identity.subject, granted: granted.map(formatScope), ...(identity.federated ? { identity: identity.federated.audit } : {}) });
    res.setHeader('Cache-Control', 'no-store');
    res.status(200).json(body);
  };

  const fail = (res: Response, err: unknown, oauth: boolean) => {
    if (!(err instanceof TokenRequestError)) throw err;
    afterUnreadBody(res.req, () => {
      for (const [k, v] of Object.entries(err.headers)) res.setHeader(k, v);
      res.setHeader('Cache-Control', 'no-store');
      if (oauth) {
        res.status(err.status).json({ error: err.oauthError, error_description: err.message });
      } else {
        const code = err.status === 429 ? 'TOOMANYREQUESTS' : err.status === 401 ? 'UNAUTHORIZED' : err.status === 503 ? 'UNAVAILABLE' : 'UNSUPPORTED';
        res.status(err.status).json({ errors: [{ code, message: err.message }] });
      }
    });
  };

  const refreshed = async (refresh: string): Promise<Identity> => {
    let subject: string;
    try {
      subject = await tokens.verifyRefreshToken(refresh);
    } catch (err) {
      if (!(err instanceof InvalidTokenError)) throw err;
      throw new TokenRequestError(401, 'invalid_grant', `refresh token rejected: ${err.reason}`);
    }
    const identity = permissions.identityOf(subject);
    // The refresh token does not outlive the identity: a removed robot gets nothing.
    if (identity.kind === 'robot' && !permissions.robotExists(subject)) throw new TokenRequestError(401, 'invalid_grant', 'refresh token rejected: identity no longer exists');
    return identity;
  };

  app.get(TOKEN_PATH, async (req, res, next) => {
    try {
      const raw = req.originalUrl;
      const query = new URLSearchParams(raw.includes('?') ? raw.slice(raw.indexOf('?') + 1) : '');
      checkService(query.get('service'));
      const credentials = readCredentials(req);
      let identity: Identity = { kind: 'anonymous', subject: ANONYMOUS };
      if (credentials.kind === 'basic') identity = await login(req, credentials.username, credentials.password);
      else if (credentials.kind !== 'none') throw new TokenRequestError(401, 'invalid_request', 'the token endpoint takes Basic credentials', { 'WWW-Authenticate': `Basic realm="${service}"` });
      await respond(res, identity, parseScopes(query.getAll('scope')), query.get('offline_token') === 'true', false);
    } catch (err) {
      try {
        fail(res, err, false);
      } catch (unexpected) {
        next(unexpected);
      }
    }
  });

  app.post(TOKEN_PATH, async (req, res, next) => {
    try {
      const form = await readForm(req);
      checkService(form.get('service'));
      const scopes = parseScopes(form.getAll('scope'));
      const grantType = form.get('grant_type');
      if (grantType === 'password') {
        const username = form.get('username');
        const password = form.get('password');
        if (!username || password === null) throw new TokenRequestError(400, 'invalid_request', 'username and password are required');
        const identity = await login(req, username, password);
        const ui = uiSession !== undefined && form.get('client_id') === UI_CLIENT_ID;
        if (ui && !sameOrigin(req)) throw new TokenRequestError(403, 'invalid_request', 'the UI signs in from its own origin');
        await respond(res, identity, scopes, ui || form.get('access_type') === 'offline', true, ui);
      } else if (grantType === 'refresh_token') {
        const refresh = form.get('refresh_token');
        if (!refresh) throw new TokenRequestError(400, 'invalid_request', 'refresh_token is required');
        await respond(res, await refreshed(refresh), scopes, false, true);
      } else {
        throw new TokenRequestError(400, 'unsupported_grant_type', 'grant_type must be password or refresh_token');
      }
    } catch (err) {
      try {
        fail(res, err, true);
      } catch (unexpected) {
        next(unexpected);
      }
    }
  });

  if (!uiSession) return;
  // The UI's session cookie traded for an access token: 204 when there is no session.
  app.post(`${UI_SESSION_PATH}/token`, async (req, res, next) => {
    try {
      if (!sameOrigin(req)) throw new TokenRequestError(403, 'invalid_request', 'the session is used from the UI\'s own origin');
      const form = req.headers['content-type'] ? await readForm(req) : new URLSearchParams();
      const refresh = uiSession.read(req);
      res.setHeader('Cache-Control', 'no-store');
      if (!refresh) {
        res.status(204).end();
        return;
      }
      let identity: Identity;
      try {
        identity = await refreshed(refresh);
      } catch (err) {
        if (err instanceof TokenRequestError) uiSession.clear(res);
        throw err;
      }
      await respond(res, identity, parseScopes(form.getAll('scope')), false, true, true);
    } catch (err) {
      try {
        fail(res, err, true);
      } catch (unexpected) {
        next(unexpected);
      }
    }
  });
  app.post(`${UI_SESSION_PATH}/logout`, (req, res) => {
    if (!sameOrigin(req)) {
      res.status(403).json({ error: 'invalid_request', error_description: 'the session is used from the UI\'s own origin' });
      return;
    }
    uiSession.clear(res);
    res.setHeader('Cache-Control', 'no-store');
    res.status(204).end();
  });
}
