// The token endpoint's protocol (GET with Basic or anonymous, OAuth2 POST with
// password and refresh_token grants) and the login limiter, on an in-process registry.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hashSecret } from '#contract/auth/secret-hash.js';
import { ADMIN, authWorkspace, basic, eventually, FAST_HASH, robot, SERVICE, type AuthWorkspace } from './fixtures.js';
import { startInProcessRegistry, type InProcessRegistry } from '../../harness/in-process-registry.js';
import { fetchToken, postToken } from './tokens.js';

const claimsOf = (token: unknown) => JSON.parse(Buffer.from(String(token).split('.')[1], 'base64url').toString());
const ci = { username: 'ci', password: 'ci-secret' };

describe('token endpoint', () => {
  let ws: AuthWorkspace;
  let reg: InProcessRegistry;

  beforeAll(async () => {
    ws = await authWorkspace();
    await ws.writePolicy({
      robots: [await robot('ci', { secret: ci.password }), await robot('doomed', { secret: 'doomed-secret' })],
      rules: [{ subjects: ['ci', 'doomed'], repositories: ['team/**'], actions: ['pull', 'push'] }],
    });
    reg = await startInProcessRegistry(ws.config({
      auth: { loginLimits: { maxFailures: 1000, failureDelayMs: 0 } },
      repositories: [{ match: 'open/*', anonymousPull: true }],
    }), { dir: ws.dir, captureLog: true });
    const admin = reg.client.withHeaders({ Authorization: basic(ADMIN.username, ADMIN.password) });
    await admin.pushImage('team/app', 'v1');
    await admin.pushImage('open/app', 'v1');
  });
  afterAll(() => reg?.stop());

  test('GET with Basic credentials: the Docker token response', async () => {
    const t = await fetchToken(reg.url, ['repository:team/app:pull'], ci);
    expect(t.status).toBe(200);
    expect(t.headers.get('cache-control')).toBe('no-store');
    expect(Object.keys(t.body).sort()).toEqual(['access_token', 'expires_in', 'issued_at', 'token']);
    expect(t.body.access_token).toBe(t.body.token);
    expect(t.body.expires_in).toBe(300);
    expect(Math.abs(Date.parse(t.body.issued_at as string) - Date.now())).toBeLessThan(60_000);
    const claims = claimsOf(t.body.token);
    expect(claims.exp - claims.iat).toBe(300);
    expect(claims.access).toEqual([{ type: 'repository', name: 'team/app', actions: ['pull'] }]);
  });

  test('anonymous GET: a token with only what anonymous may do (config anonymousPull included)', async () => {
    const t = await fetchToken(reg.url, ['repository:open/app:pull,push', 'repository:team/app:pull']);
    expect(t.status).toBe(200);
    expect(claimsOf(t.body.token)).toMatchObject({ sub: 'anonymous', access: [{ type: 'repository', name: 'open/app', actions: ['pull'] }] });
    expect((await reg.client.withHeaders({ Authorization: `Bearer ${t.body.token as string}` }).getManifest('open/app', 'v1')).status).toBe(200);
    expect((await reg.client.getManifest('open/app', 'v1')).status).toBe(200);
    expect((await reg.client.withHeaders({ Authorization: `Bearer ${t.body.token as string}` }).getManifest('team/app', 'v1')).status).toBe(401);
    expect(t.body.refresh_token).toBeUndefined();
  });

  test('GET: wrong service is 400, wrong password 401, bearer credentials 401', async () => {
    expect((await fetchToken(reg.url, [], ci, { service: 'elsewhere' })).status).toBe(400);
    const bad = await fetchToken(reg.url, [], { username: 'ci', password: 'nope' });
    expect(bad.status).toBe(401);
    expect(bad.body).toEqual({ errors: [{ code: 'UNAUTHORIZED', message: 'invalid username or password' }] });
    const bearer = await fetch(`${reg.url}/auth/token?service=${SERVICE}`, { headers: { Authorization: 'Bearer abc' } });
    expect(bearer.status).toBe(401);
  });

  test('GET offline_token=true adds a refresh token that the OAuth2 refresh grant accepts', async () => {
    const t = await fetchToken(reg.url, ['repository:team/app:pull'], ci, { offline_token: 'true' });
    expect(typeof t.body.refresh_token).toBe('string');
    const r = await postToken(reg.url, { grant_type: 'refresh_token', refresh_token: t.body.refresh_token as string, service: SERVICE, scope: 'repository:team/app:pull,push', client_id: 'test' });
    expect(r.status).toBe(200);
    expect(r.body.scope).toBe('repository:team/app:pull,push');
    expect(claimsOf(r.body.access_token)).toMatchObject({ sub: 'ci' });
    expect((await reg.client.withHeaders({ Authorization: `Bearer ${r.body.access_token as string}` }).getManifest('team/app', 'v1')).status).toBe(200);
  });

  test('POST grant_type=password: access token with the granted scope; access_type=offline adds a refresh token', async () => {
    const r = await postToken(reg.url, { grant_type: 'password', username: ci.username, password: ci.password, service: SERVICE, client_id: 'test', scope: 'repository:team/app:pull repository:other/app:pull', access_type: 'offline' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ scope: 'repository:team/app:pull', expires_in: 300 });
    expect(typeof r.body.refresh_token).toBe('string');
    const online = await postToken(reg.url, { grant_type: 'password', username: ci.username, password: ci.password, service: SERVICE, client_id: 'test' });
    expect(online.status).toBe(200);
    expect(online.body.refresh_token).toBeUndefined();
  });

  test('POST errors use the OAuth2 error form', async () => {
    expect(await postToken(reg.url, { grant_type: 'password', username: 'ci', password: 'wrong', service: SERVICE })).toMatchObject({ status: 401, body: { error: 'invalid_grant' } });
    expect(await postToken(reg.url, { grant_type: 'client_credentials', service: SERVICE })).toMatchObject({ status: 400, body: { error: 'unsupported_grant_type' } });
    expect(await postToken(reg.url, { grant_type: 'password', service: SERVICE })).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    expect(await postToken(reg.url, { grant_type: 'refresh_token', refresh_token: 'garbage', service: SERVICE })).toMatchObject({ status: 401, body: { error: 'invalid_grant' } });
    const json = await fetch(`${reg.url}/auth/token`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    expect(json.status).toBe(400);
    expect(((await json.json()) as { error: string }).error).toBe('invalid_request');
  });

  test('access tokens are not refresh tokens, nor refresh tokens access tokens', async () => {
    const t = await fetchToken(reg.url, ['repository:team/app:pull'], ci, { offline_token: 'true' });
    expect((await postToken(reg.url, { grant_type: 'refresh_token', refresh_token: t.body.token as string, service: SERVICE })).status).toBe(401);
    expect((await reg.client.withHeaders({ Authorization: `Bearer ${t.body.refresh_token as string}` }).getManifest('team/app', 'v1')).status).toBe(401);
  });

  test('a refresh token dies with its robot: removed from the policy, it is refused', async () => {
    const t = await fetchToken(reg.url, [], { username: 'doomed', password: 'doomed-secret' }, { offline_token: 'true' });
    await ws.writePolicy({
      robots: [await robot('ci', { secret: ci.password })],
      rules: [{ subjects: ['ci'], repositories: ['team/**'], actions: ['pull', 'push'] }],
    });
    await eventually(async () => expect((await reg.client.call('GET', '/v2/', { Authorization: basic('doomed', 'doomed-secret') })).status).toBe(401));
    const r = await postToken(reg.url, { grant_type: 'refresh_token', refresh_token: t.body.refresh_token as string, service: SERVICE });
    expect(r).toMatchObject({ status: 401, body: { error: 'invalid_grant' } });
  });

  test('no secret, password or token is ever logged', async () => {
    const joined = reg.logLines.join('\n');
    expect(joined).toContain('token issued');
    for (const s of [ci.password, 'doomed-secret', ADMIN.password]) expect(joined).not.toContain(s);
    expect(joined).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/);
  });
});

describe('login limiter over HTTP', () => {
  let reg: InProcessRegistry;

  beforeAll(async () => {
    const ws = await authWorkspace();
    await ws.writePolicy({
      robots: [await robot('victim', { secret: 'victim-secret' }), await robot('bystander', { secret: 'bystander-secret' })],
      rules: [{ subjects: ['*'], repositories: ['**'], actions: ['pull'] }],
    });
    reg = await startInProcessRegistry(ws.config({ auth: { loginLimits: { maxFailures: 3, windowSeconds: 60, lockoutSeconds: 30, failureDelayMs: 10, maxDelayMs: 50 } } }), { dir: ws.dir, captureLog: true });
  });
  afterAll(() => reg?.stop());

  test('repeated failures lock the identity and address out with 429 TOOMANYREQUESTS and Retry-After', async () => {
    const attempt = (u: string, p: string) => reg.client.call('GET', '/v2/', { Authorization: basic(u, p) });
    expect((await attempt('victim', 'victim-secret')).status).toBe(200);
    for (let i = 0; i < 2; i++) expect((await attempt('victim', `guess-${i}`)).status).toBe(401);
    // The failure that reaches the limit is already answered 429.
    expect((await attempt('victim', 'guess-2')).status).toBe(429);
    const locked = await attempt('victim', 'victim-secret');
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(locked.headers.get('retry-after'))).toBeLessThanOrEqual(30);
    expect(JSON.parse(locked.text).errors[0]).toMatchObject({ code: 'TOOMANYREQUESTS' });
    // The address is locked too, so guessing another identity from here is refused as well.
    expect((await attempt('bystander', 'bystander-secret')).status).toBe(429);
    const token = await fetchToken(reg.url, [], { username: 'victim', password: 'victim-secret' });
    expect(token.status).toBe(429);
    expect(token.body).toEqual({ errors: [{ code: 'TOOMANYREQUESTS', message: 'too many failed logins; retry later' }] });
    const oauth = await postToken(reg.url, { grant_type: 'password', username: 'victim', password: 'victim-secret', service: SERVICE });
    expect(oauth.status).toBe(429);
    expect(oauth.headers.get('retry-after')).toMatch(/^\d+$/);
    const metrics = (await reg.client.call('GET', '/metrics')).text;
    expect(metrics).toMatch(/^berth_auth_failures_total\{reason="bad_credentials"\} 3$/m);
    expect(metrics).toMatch(/^berth_auth_failures_total\{reason="locked"\} 4$/m);
    expect(reg.logLines.join('\n')).not.toContain('guess-');
  });
});

describe('auth set-up from config', () => {
  test('admin by passwordHash; no signing keys → an ephemeral key, with a warning; no policy file → admin only', async () => {
    const ws = await authWorkspace();
    const reg = await startInProcessRegistry({
      auth: { enabled: true, service: SERVICE, admin: { username: 'root', passwordHash: await hashSecret('root-pw', FAST_HASH) } },
    }, { dir: ws.dir, captureLog: true });
    try {
      const joined = reg.logLines.join('\n');
      expect(joined).toContain('using an ephemeral signing key');
      expect(joined).toContain('only the admin');
      const t = await fetchToken(reg.url, ['repository:any/thing:pull,push', 'registry:catalog:*'], { username: 'root', password: 'root-pw' });
      expect(claimsOf(t.body.token).access).toEqual([
        { type: 'repository', name: 'any/thing', actions: ['pull', 'push'] },
        { type: 'registry', name: 'catalog', actions: ['*'] },
      ]);
      expect((await reg.client.call('GET', '/v2/_catalog', { Authorization: `Bearer ${t.body.token as string}` })).status).toBe(200);
      expect((await reg.client.call('GET', '/v2/', { Authorization: basic('root', 'wrong') })).status).toBe(401);
    } finally {
      await reg.stop();
    }
  });

  test('auth off: open access, and no token endpoint', async () => {
    const ws = await authWorkspace();
    const reg = await startInProcessRegistry({}, { dir: ws.dir, captureLog: true });
    try {
      expect((await reg.client.call('GET', '/v2/')).status).toBe(200);
      expect((await reg.client.call('GET', '/auth/token')).status).toBe(405);
    } finally {
      await reg.stop();
    }
  });

  test('a signing key file that is not a key stops start-up with the kid and file named', async () => {
    const ws = await authWorkspace();
    const bad = join(ws.dir, 'bad.pem');
    await writeFile(bad, 'not a key');
    await expect(startInProcessRegistry({ auth: { enabled: true, signingKeys: [{ kid: 'broken', privateKeyFile: bad }] } }, { dir: ws.dir, captureLog: true }))
      .rejects.toThrow(`auth.signingKeys broken (${bad})`);
  });
});
