// Federated tokens at the registry's doors, on an in-process registry trusting a
// real OIDC issuer on loopback: as the password at the token endpoint (any
// username), as Basic and Bearer on /v2; the registry tokens issued from them; and
// 1,000 generated bad tokens, every one refused with 401 invalid_token.
import { federationSchema } from '#contract/config/federation.js';
import { OciClient } from '../../harness/oci-client.js';
import { OidcIssuer } from '../../harness/oidc-issuer.js';
import { BAD_TOKEN_KINDS, badTokens, type BadTokenKind } from './bad-tokens.js';
import { ADMIN, authWorkspace, basic, SERVICE, type AuthWorkspace } from './fixtures.js';
import { startInProcessRegistry, type InProcessRegistry } from '../../harness/in-process-registry.js';
import { fetchToken, postToken } from './tokens.js';

const AUDIENCE = 'https://berth.test';
const REQUIRED = ['repository', 'ref'];
const claimsOf = (token: unknown) => JSON.parse(Buffer.from(String(token).split('.')[1], 'base64url').toString());
const tagsOf = (url: string, repo: string, authorization: string) => new OciClient(url, { Authorization: authorization }).call('GET', `/v2/${repo}/tags/list`);

describe('federated tokens', () => {
  let oidc: OidcIssuer;
  let stranger: OidcIssuer;
  let ws: AuthWorkspace;
  let reg: InProcessRegistry;
  const mainToken = (ttlSeconds = 300) => oidc.githubToken({ audience: AUDIENCE, repository: 'acme/team-a', ref: 'refs/heads/main', ttlSeconds });

  beforeAll(async () => {
    [oidc, stranger] = await Promise.all([OidcIssuer.start(), OidcIssuer.start()]);
    ws = await authWorkspace();
    await ws.writePolicy({
      rules: [{ name: 'team-a main', federated: [{ issuer: 'github', claims: { repository: 'acme/team-a', ref: 'refs/heads/main' } }], repositories: ['team-a/*'], actions: ['pull', 'push'] }],
    });
    reg = await startInProcessRegistry(ws.config({
      auth: {
        // Tight limits: federated tokens must not count toward them.
        loginLimits: { maxFailures: 5, failureDelayMs: 0 },
        federation: { issuers: [{ name: 'github', issuer: oidc.issuer, audiences: [AUDIENCE], caFile: oidc.caFile, requiredClaims: REQUIRED }] },
      },
    }), { dir: ws.dir, captureLog: true });
    const admin = reg.client.withHeaders({ Authorization: basic(ADMIN.username, ADMIN.password) });
    await admin.pushImage('team-a/app', 'v1');
    await admin.pushImage('team-b/app', 'v1');
  });
  afterAll(async () => {
    await reg?.stop();
    await Promise.all([oidc?.stop(), stranger?.stop()]);
  });

  test('the config schema refuses HMAC, none, plain http issuers and tokenReview without an API server', () => {
    const parse = (issuer: Record<string, unknown>) => federationSchema.safeParse({ issuers: [{ name: 'x', issuer: 'https://x.example', audiences: ['a'], ...issuer }] }).success;
    expect(parse({})).toBe(true);
    expect(parse({ algorithms: ['HS256'] })).toBe(false);
    expect(parse({ algorithms: ['none'] })).toBe(false);
    expect(parse({ issuer: 'http://x.example' })).toBe(false);
    expect(parse({ type: 'kubernetes', verify: 'tokenReview' })).toBe(false);
    expect(parse({ verify: 'both', apiServer: 'https://k.example' })).toBe(false); // tokenReview is for kubernetes issuers
    expect(parse({ audiences: [] })).toBe(false);
  });

  test('token endpoint: the federated token is the password under any username; the registry token ends no later than it, with no refresh token', async () => {
    const token = await mainToken(120);
    const exp = claimsOf(token).exp as number;
    for (const username of ['oidc', 'serviceaccount', 'anything-at-all']) {
      const t = await fetchToken(reg.url, ['repository:team-a/app:pull,push', 'repository:team-b/app:pull'], { username, password: token }, { offline_token: 'true' });
      expect(t.status).toBe(200);
      expect(t.body.refresh_token).toBeUndefined();
      expect(t.body.expires_in).toBeLessThanOrEqual(120);
      const claims = claimsOf(t.body.token);
      expect(claims.exp).toBeLessThanOrEqual(exp);
      expect(claims.sub).toBe('repo:acme/team-a:ref:refs/heads/main');
      expect(claims.access).toEqual([{ type: 'repository', name: 'team-a/app', actions: ['pull', 'push'] }]);
      expect(claims.fed).toMatchObject({ iss: 'github', claims: { repository: 'acme/team-a', ref: 'refs/heads/main' } });
      expect((await tagsOf(reg.url, 'team-a/app', `Bearer ${t.body.token as string}`)).status).toBe(200);
    }
    const post = await postToken(reg.url, { grant_type: 'password', username: 'oidc', password: token, service: SERVICE, scope: 'repository:team-a/app:pull', access_type: 'offline' });
    expect(post.status).toBe(200);
    expect(post.body.refresh_token).toBeUndefined();
    expect(post.body.scope).toBe('repository:team-a/app:pull');
  });

  test('a registry token issued to a federated identity follows the live policy', async () => {
    const t = await fetchToken(reg.url, ['repository:team-a/app:pull'], { username: 'oidc', password: await mainToken() });
    const bearer = `Bearer ${t.body.token as string}`;
    expect((await tagsOf(reg.url, 'team-a/app', bearer)).status).toBe(200);
    await ws.writePolicy({ rules: [{ federated: [{ issuer: 'github', claims: { repository: 'acme/team-a', ref: 'refs/heads/release' } }], repositories: ['team-a/*'], actions: ['pull'] }] });
    try {
      await expectEventually(async () => (await tagsOf(reg.url, 'team-a/app', bearer)).status, 403);
    } finally {
      await ws.writePolicy({ rules: [{ federated: [{ issuer: 'github', claims: { repository: 'acme/team-a', ref: 'refs/heads/main' } }], repositories: ['team-a/*'], actions: ['pull', 'push'] }] });
    }
    await expectEventually(async () => (await tagsOf(reg.url, 'team-a/app', bearer)).status, 200);
  });

  test('/v2 takes the federated token itself as a Bearer or as the Basic password; ungranted repositories are 403', async () => {
    const token = await mainToken();
    expect((await tagsOf(reg.url, 'team-a/app', `Bearer ${token}`)).status).toBe(200);
    expect((await tagsOf(reg.url, 'team-a/app', basic('whoever', token))).status).toBe(200);
    const push = await reg.client.withHeaders({ Authorization: `Bearer ${token}` }).pushImage('team-a/app', 'from-ci');
    expect(push.manifest.digest).toMatch(/^sha256:/);
    const denied = await tagsOf(reg.url, 'team-b/app', `Bearer ${token}`);
    expect(denied.status).toBe(403);
    expect(JSON.parse(denied.text).errors[0].code).toBe('DENIED');
  });

  test('a token with less than a second left gets no registry token', async () => {
    const now = Math.floor(Date.now() / 1000);
    const dying = await oidc.sign({ ...oidc.githubClaims({ audience: AUDIENCE, repository: 'acme/team-a', ref: 'refs/heads/main' }), exp: now - 2 });
    const t = await fetchToken(reg.url, ['repository:team-a/app:pull'], { username: 'oidc', password: dying });
    expect(t.status).toBe(401);
    expect(t.body).toEqual({ errors: [{ code: 'UNAUTHORIZED', message: 'invalid token: expires too soon' }] });
  });

  test('0 of 1,000 generated bad tokens are accepted: each is 401 invalid_token on /v2, 401 at the token endpoint', async () => {
    const tokens = await badTokens(1000, { issuer: oidc, stranger, audience: AUDIENCE, requiredClaims: REQUIRED, repository: 'acme/team-a', ref: 'refs/heads/main', skewSeconds: 10 });
    const accepted: string[] = [];
    const reasons = new Map<BadTokenKind, Set<string>>(BAD_TOKEN_KINDS.map((k) => [k, new Set()]));
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < tokens.length; i = next++) {
        const { kind, token } = tokens[i];
        const asPassword = i % 2 === 1;
        const r = await tagsOf(reg.url, 'team-a/app', asPassword ? basic('oidc', token) : `Bearer ${token}`);
        const challenge = r.headers.get('www-authenticate') ?? '';
        if (r.status !== 401 || !challenge.includes('error="invalid_token"')) accepted.push(`${kind} (${asPassword ? 'Basic' : 'Bearer'}): ${r.status} ${challenge}`);
        reasons.get(kind)!.add(JSON.parse(r.text).errors[0].detail);
        if (i % 4 === 0) {
          const t = await fetchToken(reg.url, ['repository:team-a/app:pull'], { username: 'oidc', password: token });
          if (t.status !== 401) accepted.push(`${kind} at the token endpoint: ${t.status}`);
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    expect(accepted).toEqual([]);
    // Each family was refused for its own reason, not by accident of another check.
    const seen = Object.fromEntries([...reasons].map(([k, v]) => [k, [...v].sort()]));
    expect(seen['wrong audience']).toEqual(['claim aud rejected']);
    expect(seen.expired).toEqual(['expired']);
    expect(seen['not yet valid']).toEqual(['not yet valid']);
    expect(seen['alg none']).toEqual(expect.arrayContaining([expect.stringMatching(/^algorithm (none|None|NONE|nOnE) not allowed$/)]));
    expect(seen['alg none'].every((r) => /^algorithm .* not allowed$/.test(r))).toBe(true);
    expect(seen['hmac with public key'].every((r) => /^algorithm HS(256|384|512) not allowed$/.test(r))).toBe(true);
    expect(seen.tampered).toEqual(['bad signature']);
    expect(seen['other issuer']).toEqual(['bad signature', 'issuer not trusted', 'unknown signing key']);
    expect(seen['missing claims'].every((r) => /^missing claim (exp|sub|repository|ref)$/.test(r))).toBe(true);
    // Bad federated tokens never locked anyone out: a good one still works from this address.
    expect((await tagsOf(reg.url, 'team-a/app', `Bearer ${await mainToken()}`)).status).toBe(200);
  });
});

async function expectEventually(probe: () => Promise<number>, expected: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = await probe();
  while (last !== expected && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    last = await probe();
  }
  expect(last).toBe(expected);
}
