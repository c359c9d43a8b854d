// The authorization matrix, against a real registry process: identities ×
// repositories × actions (pull, push, delete, catalog, cross-repository mount),
// each identity both with Basic credentials sent directly and with a token from
// the token endpoint. Every cell is checked, allowed and denied, under one
// policy and again after the policy file is replaced mid-run. Then the token
// edge cases: expired, another service, tampered, unknown key, rotated keys and
// secrets, revocation by reload, and the challenge itself.
import { createPrivateKey } from 'node:crypto';
import { SignJWT } from 'jose';
import { startRegistryProcess, type RegistryProcess } from '../harness/registry-process.js';
import { ADMIN, authWorkspace, basic, eventually, ISSUER, newKeyPem, robot, SERVICE, type AuthWorkspace } from '../registry/auth/fixtures.js';
import { OciClient, randomBlob, type Image, type RequestHeaders } from '../harness/oci-client.js';
import { fetchToken } from '../registry/auth/tokens.js';
import type { PolicyFile } from '#contract/auth/policy-file.js';

type Phase = 'v1' | 'v2';
type Identity = 'admin' | 'team-a-ci' | 'team-b-reader' | 'rotating' | 'newcomer' | 'anonymous';
type Mode = 'basic' | 'token' | 'none';
type Action = 'pull' | 'push' | 'delete';

const REPOS = ['team-a/app', 'team-b/app', 'public/app', 'private/app'] as const;
const MOUNT_TARGETS = ['team-a/mount', 'private/mount'] as const;
type Repo = typeof REPOS[number] | typeof MOUNT_TARGETS[number];

const SECRETS = { 'team-a-ci': 'a-secret', 'team-b-reader': 'b-secret', newcomer: 'n-secret', rotatingOld: 'r-old', rotatingCurrent: 'r-current', rotatingNext: 'r-next' };
const PAST = '2020-01-01T00:00:00Z';
const FUTURE = '2099-01-01T00:00:00Z';

/**
 * The expected permissions, written out by hand (not computed by the code under
 * test): per phase, identity → repository → actions, plus catalog and whether
 * the identity can sign in at all.
 */
const ALL = 'pull,push,delete';
const EXPECTED: Record<Phase, Record<Identity, { known: boolean; catalog: boolean; repos: Partial<Record<Repo, string>> }>> = {
  v1: {
    admin: { known: true, catalog: true, repos: Object.fromEntries([...REPOS, ...MOUNT_TARGETS].map((r) => [r, ALL])) },
    'team-a-ci': { known: true, catalog: true, repos: { 'team-a/app': ALL, 'team-a/mount': ALL, 'public/app': 'pull' } },
    'team-b-reader': { known: true, catalog: false, repos: { 'team-b/app': 'pull', 'public/app': 'pull' } },
    rotating: { known: true, catalog: false, repos: { 'private/app': 'pull,push', 'private/mount': 'pull,push', 'team-a/app': 'pull', 'public/app': 'pull' } },
    newcomer: { known: false, catalog: false, repos: {} },
    anonymous: { known: true, catalog: false, repos: { 'public/app': 'pull' } },
  },
  v2: {
    admin: { known: true, catalog: true, repos: Object.fromEntries([...REPOS, ...MOUNT_TARGETS].map((r) => [r, ALL])) },
    'team-a-ci': { known: true, catalog: false, repos: { 'team-a/app': 'pull', 'team-a/mount': 'pull', 'team-b/app': 'pull' } },
    'team-b-reader': { known: true, catalog: true, repos: { 'team-b/app': ALL } },
    rotating: { known: true, catalog: false, repos: { 'private/app': 'pull,push', 'private/mount': 'pull,push', 'team-a/app': 'pull', 'team-b/app': 'pull' } },
    newcomer: { known: true, catalog: false, repos: { 'private/app': 'pull', 'private/mount': 'pull', 'team-b/app': 'pull' } },
    anonymous: { known: true, catalog: false, repos: { 'team-b/app': 'pull' } },
  },
};

async function policyV1(): Promise<PolicyFile> {
  return {
    robots: [
      await robot('team-a-ci', { secret: SECRETS['team-a-ci'] }),
      await robot('team-b-reader', { secret: SECRETS['team-b-reader'] }),
      await robot('rotating', { secret: SECRETS.rotatingOld, expiresAt: PAST }, { secret: SECRETS.rotatingCurrent, expiresAt: FUTURE }, { secret: SECRETS.rotatingNext }),
    ],
    rules: [
      { name: 'team-a', subjects: ['team-a-ci'], repositories: ['team-a/**'], actions: ['*'] },
      { name: 'team-b-read', subjects: ['team-b-reader'], repositories: ['team-b/*'], actions: ['pull'] },
      { name: 'private', subjects: ['rotating'], repositories: ['private/*'], actions: ['pull', 'push'] },
      { name: 'exact', subjects: ['rotating'], repositories: ['team-a/app'], actions: ['pull'] },
    ],
    anonymousPull: ['public/**'],
    catalog: ['team-a-ci'],
  };
}

async function policyV2(): Promise<PolicyFile> {
  return {
    robots: [
      await robot('team-a-ci', { secret: SECRETS['team-a-ci'] }),
      await robot('team-b-reader', { secret: SECRETS['team-b-reader'] }),
      // The current secret has rotated out; the next one stays.
      await robot('rotating', { secret: SECRETS.rotatingNext }),
      await robot('newcomer', { secret: SECRETS.newcomer }),
    ],
    rules: [
      { subjects: ['team-a-ci'], repositories: ['team-a/**'], actions: ['pull'] },
      { subjects: ['team-b-reader'], repositories: ['team-b/**'], actions: ['pull', 'push', 'delete'] },
      { subjects: ['rotating'], repositories: ['private/*'], actions: ['pull', 'push'] },
      { subjects: ['rotating'], repositories: ['team-a/app'], actions: ['pull'] },
      { subjects: ['newcomer'], repositories: ['private/*'], actions: ['pull'] },
      { subjects: ['anonymous'], repositories: ['team-b/app'], actions: ['pull'] },
    ],
    anonymousPull: [],
    catalog: ['team-b-reader'],
  };
}

interface Caller {
  readonly identity: Identity;
  readonly mode: Mode;
}
const CALLERS: Caller[] = (['admin', 'team-a-ci', 'team-b-reader', 'rotating', 'newcomer', 'anonymous'] as Identity[])
  .flatMap((identity) => (identity === 'anonymous' ? ['none', 'token'] : ['basic', 'token']).map((mode) => ({ identity, mode: mode as Mode })));

const password = (identity: Identity) => identity === 'admin' ? ADMIN.password : identity === 'rotating' ? SECRETS.rotatingNext : SECRETS[identity as 'team-a-ci'];
const label = (c: Caller) => `${c.identity} (${c.mode})`;

type Cell =
  | { kind: 'repo'; caller: Caller; repo: typeof REPOS[number]; action: Action }
  | { kind: 'catalog'; caller: Caller }
  | { kind: 'mount'; caller: Caller; from: typeof REPOS[number]; to: typeof MOUNT_TARGETS[number] };

function cells(): [string, Cell][] {
  const out: [string, Cell][] = [];
  for (const caller of CALLERS) {
    for (const repo of REPOS) for (const action of ['pull', 'push', 'delete'] as Action[]) out.push([`${label(caller)} ${action} ${repo}`, { kind: 'repo', caller, repo, action }]);
    out.push([`${label(caller)} catalog`, { kind: 'catalog', caller }]);
    for (const from of REPOS) for (const to of MOUNT_TARGETS) out.push([`${label(caller)} mount ${from} → ${to}`, { kind: 'mount', caller, from, to }]);
  }
  return out;
}

const has = (phase: Phase, identity: Identity, repo: Repo, action: Action) => (EXPECTED[phase][identity].repos[repo] ?? '').split(',').includes(action);

describe('authorization matrix (real process)', () => {
  let ws: AuthWorkspace;
  let registry: RegistryProcess;
  let url: string;
  let oci: OciClient;
  /** The same client with these headers on every request. */
  const as = (headers: RequestHeaders) => oci.withHeaders(headers);
  const admin: RequestHeaders = { Authorization: basic(ADMIN.username, ADMIN.password) };
  const seeds = new Map<string, Image>();
  let counter = 0;

  beforeAll(async () => {
    ws = await authWorkspace(2);
    await ws.writePolicy(await policyV1());
    // The login limiter is exercised in its own test; here failures are expected cells.
    registry = await startRegistryProcess({ config: ws.config({ auth: { loginLimits: { maxFailures: 10_000, failureDelayMs: 0 } } }) });
    url = registry.url;
    oci = new OciClient(url);
    for (const repo of [...REPOS]) seeds.set(repo, await as(admin).pushImage(repo, 'seed'));
  });

  afterAll(async () => {
    await registry?.stop();
  });

  /** Authorization headers for a caller, or the token endpoint's refusal. */
  async function authFor(caller: Caller, scopes: string[]): Promise<RequestHeaders | { refused: number }> {
    if (caller.mode === 'none') return {};
    const creds = caller.identity === 'anonymous' ? undefined : { username: caller.identity === 'admin' ? ADMIN.username : caller.identity, password: password(caller.identity) };
    if (caller.mode === 'basic') return { Authorization: basic(creds!.username, creds!.password) };
    const t = await fetchToken(url, scopes, creds);
    if (t.status !== 200) return { refused: t.status };
    return { Authorization: `Bearer ${t.body.token as string}` };
  }

  /** Asserts the refusal a denied cell must get: 401 + challenge without a usable identity, else 403 DENIED. */
  function expectDenied(phase: Phase, caller: Caller, status: number, text: string, headers?: globalThis.Headers): void {
    const unauthenticated = caller.mode === 'none' || caller.identity === 'anonymous' || !EXPECTED[phase][caller.identity].known;
    if (unauthenticated) {
      expect(status).toBe(401);
      expect(headers?.get('www-authenticate')).toMatch(/^Bearer realm=".*\/auth\/token",service="berth-test"/);
    } else {
      expect(status).toBe(403);
      expect(JSON.parse(text).errors[0].code).toBe('DENIED');
    }
  }

  async function check(phase: Phase, cell: Cell): Promise<void> {
    const { caller } = cell;
    const known = EXPECTED[phase][caller.identity].known;
    if (cell.kind === 'catalog') {
      const auth = await authFor(caller, ['registry:catalog:*']);
      if ('refused' in auth) return void expect([known, auth.refused]).toEqual([false, 401]);
      const r = await oci.call('GET', '/v2/_catalog', auth);
      if (EXPECTED[phase][caller.identity].catalog) {
        // The catalog lists exactly the matrix's repositories the identity may pull (whatever its token names).
        expect(r.status).toBe(200);
        const listed = (JSON.parse(r.text).repositories as string[]).filter((name) => (REPOS as readonly string[]).includes(name));
        expect(listed.sort()).toEqual(REPOS.filter((repo) => has(phase, caller.identity, repo, 'pull')).sort());
      } else {
        expectDenied(phase, caller, r.status, r.text, r.headers);
      }
      return;
    }
    if (cell.kind === 'mount') {
      const { from, to } = cell;
      const layer = seeds.get(from)!.layers[0];
      const auth = await authFor(caller, [`repository:${to}:pull,push`, `repository:${from}:pull`]);
      if ('refused' in auth) return void expect([known, auth.refused]).toEqual([false, 401]);
      const r = await oci.call('POST', `/v2/${to}/blobs/uploads/?mount=${layer.digest}&from=${from}`, auth);
      if (!(has(phase, caller.identity, to, 'push') && has(phase, caller.identity, to, 'pull'))) {
        expectDenied(phase, caller, r.status, r.text, r.headers);
      } else if (has(phase, caller.identity, from, 'pull')) {
        expect(r.status).toBe(201);
        expect(r.headers.get('docker-content-digest')).toBe(layer.digest);
      } else {
        // No pull on the source: per the spec, a plain upload session instead of a mount.
        expect(r.status).toBe(202);
        expect(r.headers.get('location')).toMatch(new RegExp(`^/v2/${to}/blobs/uploads/`));
      }
      return;
    }
    const { repo, action } = cell;
    const allowed = has(phase, caller.identity, repo, action);
    if (action === 'pull') {
      const auth = await authFor(caller, [`repository:${repo}:pull`]);
      if ('refused' in auth) return void expect([known, auth.refused]).toEqual([false, 401]);
      const r = await as(auth).getManifest(repo, 'seed');
      if (allowed) {
        expect(r.status).toBe(200);
        expect(r.body.equals(seeds.get(repo)!.manifest.content)).toBe(true);
      } else {
        expectDenied(phase, caller, r.status, r.text, r.headers);
      }
    } else if (action === 'push') {
      const auth = await authFor(caller, [`repository:${repo}:pull,push`]);
      if ('refused' in auth) return void expect([known, auth.refused]).toEqual([false, 401]);
      const tag = `pushed-${++counter}`;
      if (allowed) {
        const pushed = await as(auth).pushImage(repo, tag);
        const back = await as(admin).getManifest(repo, tag);
        expect(back.body.equals(pushed.manifest.content)).toBe(true);
      } else {
        const b = randomBlob(256);
        const r = await as(auth).uploadBlob(repo, b);
        expectDenied(phase, caller, r.status, r.text, r.headers);
        expect((await oci.call('HEAD', `/v2/${repo}/blobs/${b.digest}`, admin)).status).toBe(404);
      }
    } else {
      const victim = await as(admin).pushImage(repo, `delete-me-${++counter}`);
      const auth = await authFor(caller, [`repository:${repo}:delete`]);
      if ('refused' in auth) return void expect([known, auth.refused]).toEqual([false, 401]);
      const r = await oci.call('DELETE', `/v2/${repo}/manifests/${victim.manifest.digest}`, auth);
      if (allowed) {
        expect(r.status).toBe(202);
        expect((await as(admin).getManifest(repo, victim.manifest.digest)).status).toBe(404);
      } else {
        expectDenied(phase, caller, r.status, r.text, r.headers);
        expect((await as(admin).getManifest(repo, victim.manifest.digest)).status).toBe(200);
      }
    }
  }

  /** Signs a token with one of the configured keys (or any other key), for the edge cases. */
  async function forge(claims: { sub?: string; aud?: string; exp?: number; nbf?: number; access?: unknown }, pem = ws.keys[0].pem, kid = ws.keys[0].kid, alg = 'ES256'): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ access: claims.access ?? [{ type: 'repository', name: 'team-a/app', actions: ['pull'] }] })
      .setProtectedHeader({ alg, kid })
      .setIssuer(ISSUER).setSubject(claims.sub ?? 'team-a-ci').setAudience(claims.aud ?? SERVICE)
      .setIssuedAt(now).setNotBefore(claims.nbf ?? now).setExpirationTime(claims.exp ?? now + 300)
      .sign(createPrivateKey(pem));
  }

  const pullWith = (token: string) => as({ Authorization: `Bearer ${token}` }).getManifest('team-a/app', 'seed');

  describe('policy v1', () => {
    test.each(cells())('%s', async (_name, cell) => {
      await check('v1', cell);
    });

    test('base endpoint: no credentials get the challenge; Basic, robot tokens and anonymous tokens get 200', async () => {
      const none = await oci.call('GET', '/v2/');
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toBe(`Bearer realm="${url}/auth/token",service="${SERVICE}"`);
      expect((await oci.call('GET', '/v2/', { Authorization: basic('team-a-ci', SECRETS['team-a-ci']) })).status).toBe(200);
      expect((await oci.call('GET', '/v2/', { Authorization: basic('team-a-ci', 'wrong') })).status).toBe(401);
      const anon = await fetchToken(url, []);
      expect(anon.status).toBe(200);
      expect((await oci.call('GET', '/v2/', { Authorization: `Bearer ${anon.body.token as string}` })).status).toBe(200);
    });

    test('the challenge names the scope the request needs, including the mount source', async () => {
      const push = await oci.call('POST', '/v2/team-a/app/blobs/uploads/');
      expect(push.headers.get('www-authenticate')).toBe(`Bearer realm="${url}/auth/token",service="${SERVICE}",scope="repository:team-a/app:pull,push"`);
      const mount = await oci.call('POST', `/v2/team-a/app/blobs/uploads/?mount=${seeds.get('team-b/app')!.layers[0].digest}&from=team-b/app`);
      expect(mount.headers.get('www-authenticate')).toContain('scope="repository:team-a/app:pull,push repository:team-b/app:pull"');
      const catalog = await oci.call('GET', '/v2/_catalog');
      expect(catalog.headers.get('www-authenticate')).toContain('scope="registry:catalog:*"');
    });

    test('a token narrower than the policy gets 401 insufficient_scope (so the client asks for more); one beyond it gets 403', async () => {
      const t = await fetchToken(url, ['repository:team-a/app:pull'], { username: 'team-a-ci', password: SECRETS['team-a-ci'] });
      const narrow = await oci.call('POST', '/v2/team-a/app/blobs/uploads/', { Authorization: `Bearer ${t.body.token as string}` });
      expect(narrow.status).toBe(401);
      expect(narrow.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
      const beyond = await oci.call('GET', '/v2/team-b/app/tags/list', { Authorization: `Bearer ${t.body.token as string}` });
      expect(beyond.status).toBe(403);
    });

    test('mount with a token lacking the source scope: 401 insufficient_scope when the policy allows the source, a plain upload when not', async () => {
      const t = await fetchToken(url, ['repository:team-a/mount:pull,push'], { username: 'team-a-ci', password: SECRETS['team-a-ci'] });
      const auth = { Authorization: `Bearer ${t.body.token as string}` };
      const allowedSource = await oci.call('POST', `/v2/team-a/mount/blobs/uploads/?mount=${seeds.get('team-a/app')!.layers[0].digest}&from=team-a/app`, auth);
      expect(allowedSource.status).toBe(401);
      expect(allowedSource.headers.get('www-authenticate')).toContain('scope="repository:team-a/mount:pull,push repository:team-a/app:pull",error="insufficient_scope"');
      const deniedSource = await oci.call('POST', `/v2/team-a/mount/blobs/uploads/?mount=${seeds.get('team-b/app')!.layers[0].digest}&from=team-b/app`, auth);
      expect(deniedSource.status).toBe(202);
    });

    test('mount without a source (automatic content discovery) is only for the admin when auth is on', async () => {
      const fresh = randomBlob(256);
      expect((await as(admin).uploadBlob('private/app', fresh)).status).toBe(201);
      const digest = fresh.digest;
      const robotMount = await oci.call('POST', `/v2/team-a/mount/blobs/uploads/?mount=${digest}`, { Authorization: basic('team-a-ci', SECRETS['team-a-ci']) });
      expect(robotMount.status).toBe(202);
      const adminMount = await oci.call('POST', `/v2/team-a/mount/blobs/uploads/?mount=${digest}`, admin);
      expect(adminMount.status).toBe(201);
    });

    test('the token endpoint grants only the intersection of what was asked and what the policy allows', async () => {
      const t = await fetchToken(url, ['repository:team-a/app:pull,push,delete', 'repository:team-b/app:pull', 'repository:public/app:push,pull', 'registry:catalog:*'], { username: 'team-a-ci', password: SECRETS['team-a-ci'] });
      const claims = JSON.parse(Buffer.from((t.body.token as string).split('.')[1], 'base64url').toString());
      expect(claims.access).toEqual([
        { type: 'repository', name: 'team-a/app', actions: ['pull', 'push', 'delete'] },
        { type: 'repository', name: 'public/app', actions: ['pull'] },
        { type: 'registry', name: 'catalog', actions: ['*'] },
      ]);
      expect(claims).toMatchObject({ sub: 'team-a-ci', aud: SERVICE, iss: ISSUER });
      expect(t.body).toMatchObject({ access_token: t.body.token, expires_in: 300 });
      const anon = await fetchToken(url, ['repository:public/app:pull,push', 'repository:team-a/app:pull']);
      expect(JSON.parse(Buffer.from((anon.body.token as string).split('.')[1], 'base64url').toString()).access).toEqual([
        { type: 'repository', name: 'public/app', actions: ['pull'] },
      ]);
    });

    test('expired tokens are refused with invalid_token', async () => {
      const now = Math.floor(Date.now() / 1000);
      const r = await pullWith(await forge({ exp: now - 600, nbf: now - 900 }));
      expect(r.status).toBe(401);
      expect(r.headers.get('www-authenticate')).toContain('error="invalid_token"');
      expect(JSON.parse(r.text).errors[0].detail).toBe('expired');
    });

    test('not-yet-valid tokens are refused', async () => {
      const now = Math.floor(Date.now() / 1000);
      const r = await pullWith(await forge({ nbf: now + 600, exp: now + 900 }));
      expect(r.status).toBe(401);
      expect(JSON.parse(r.text).errors[0].detail).toBe('claim nbf rejected');
    });

    test('tokens for another service are refused', async () => {
      const r = await pullWith(await forge({ aud: 'another-registry' }));
      expect(r.status).toBe(401);
      expect(JSON.parse(r.text).errors[0].detail).toBe('claim aud rejected');
    });

    test('tampered signatures and tampered claims are refused', async () => {
      const good = await forge({});
      expect((await pullWith(good)).status).toBe(200);
      const [h, p, s] = good.split('.');
      const sig = Buffer.from(s, 'base64url');
      sig[5] ^= 0xff;
      expect((await pullWith(`${h}.${p}.${sig.toString('base64url')}`)).status).toBe(401);
      const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
      claims.sub = 'admin';
      claims.access = [{ type: 'repository', name: 'team-b/app', actions: ['pull'] }];
      const escalated = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`;
      const r = await as({ Authorization: `Bearer ${escalated}` }).getManifest('team-b/app', 'seed');
      expect(r.status).toBe(401);
      expect(JSON.parse(r.text).errors[0].detail).toBe('bad signature');
    });

    test('tokens signed by a key the registry does not hold are refused, whatever kid they claim', async () => {
      const stranger = newKeyPem('ec');
      expect((await pullWith(await forge({}, stranger, ws.keys[0].kid))).status).toBe(401);
      expect((await pullWith(await forge({}, stranger, 'no-such-kid'))).status).toBe(401);
    });

    test('key rotation: a token signed by the older, verify-only key is still honoured', async () => {
      const r = await pullWith(await forge({}, ws.keys[1].pem, ws.keys[1].kid, 'RS256'));
      expect(r.status).toBe(200);
      const issued = await fetchToken(url, ['repository:team-a/app:pull'], { username: 'team-a-ci', password: SECRETS['team-a-ci'] });
      expect(JSON.parse(Buffer.from((issued.body.token as string).split('.')[0], 'base64url').toString()).kid).toBe(ws.keys[0].kid);
    });

    test('rotated secrets: the expired one is refused, the two current ones both work', async () => {
      const get = (secret: string) => oci.call('GET', '/v2/private/app/tags/list', { Authorization: basic('rotating', secret) });
      expect((await get(SECRETS.rotatingOld)).status).toBe(401);
      expect((await fetchToken(url, ['repository:private/app:pull'], { username: 'rotating', password: SECRETS.rotatingOld })).status).toBe(401);
      expect((await get(SECRETS.rotatingCurrent)).status).toBe(200);
      expect((await get(SECRETS.rotatingNext)).status).toBe(200);
    });
  });

  describe('policy v2 (file replaced mid-run)', () => {
    let tokenFromV1: string;

    beforeAll(async () => {
      const t = await fetchToken(url, ['repository:team-a/app:pull,push'], { username: 'team-a-ci', password: SECRETS['team-a-ci'] });
      tokenFromV1 = t.body.token as string;
      expect((await as({ Authorization: `Bearer ${tokenFromV1}` }).pushImage('team-a/app', 'before-reload')).manifest).toBeDefined();
      await ws.writePolicy(await policyV2());
      // Observable once the new robot can sign in.
      await eventually(async () => expect((await oci.call('GET', '/v2/', { Authorization: basic('newcomer', SECRETS.newcomer) })).status).toBe(200));
    });

    test.each(cells())('%s', async (_name, cell) => {
      await check('v2', cell);
    });

    test('a token issued before the reload loses what the new policy revoked, at once', async () => {
      const b = randomBlob(256);
      const r = await as({ Authorization: `Bearer ${tokenFromV1}` }).uploadBlob('team-a/app', b);
      expect(r.status).toBe(403);
      expect((await as({ Authorization: `Bearer ${tokenFromV1}` }).getManifest('team-a/app', 'seed')).status).toBe(200);
    });

    test('the secret that rotated out of the file is refused; the remaining one works', async () => {
      const get = (secret: string) => oci.call('GET', '/v2/private/app/tags/list', { Authorization: basic('rotating', secret) });
      expect((await get(SECRETS.rotatingCurrent)).status).toBe(401);
      expect((await get(SECRETS.rotatingNext)).status).toBe(200);
    });

    test('an invalid policy file is rejected: v2 stays in force, metrics and log say so; a fixed file applies', async () => {
      await ws.writePolicy('rules: [{subjects: [newcomer], repositories: ["**"], actions: [pull, fly]}]\n');
      const metrics = async () => (await oci.call('GET', '/metrics')).text;
      await eventually(async () => expect(await metrics()).toMatch(/^berth_policy_last_reload_success 0$/m));
      expect(await metrics()).toMatch(/^berth_policy_reloads_total\{result="failure"\} 1$/m);
      expect(await registry.log()).toContain('access policy rejected; keeping the previous policy');
      expect((await oci.call('GET', '/v2/team-a/app/tags/list', { Authorization: basic('newcomer', SECRETS.newcomer) })).status).toBe(403);
      expect((await oci.call('GET', '/v2/private/app/tags/list', { Authorization: basic('newcomer', SECRETS.newcomer) })).status).toBe(200);
      await ws.writePolicy(await policyV2());
      await eventually(async () => expect(await metrics()).toMatch(/^berth_policy_last_reload_success 1$/m));
    });

    test('failures are counted, and no secret or token ever reached the log', async () => {
      expect((await oci.call('GET', '/metrics')).text).toMatch(/^berth_auth_failures_total\{reason="invalid_token"\} [1-9]\d*$/m);
      const log = await registry.log();
      for (const secret of [...Object.values(SECRETS), ADMIN.password]) expect(log).not.toContain(secret);
      expect(log).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/);
      expect(log).not.toMatch(/Basic [A-Za-z0-9+/=]{8,}/);
    });
  });
});
