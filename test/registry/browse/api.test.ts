// The browsing API (/api/v1) against a real registry process: the permission
// filter (3 identities and anonymous x 4 repositories: a repository one cannot
// pull is absent from lists and 404 NAME_UNKNOWN by name, never 403), pagination
// edges, ETags, the artifact view, tag history and the audited rollback, the
// activity filter, and the /v2 error body for every malformed request.
import { ADMIN, IDENTITIES, MATRIX, SBOM_TYPE, SIGNATURE_TYPE, startSeededRegistry, tokenFor, type Seeded } from './seed.js';
import type { Image } from '../../harness/oci-client.js';

let s: Seeded;
const tokens: Record<string, string> = {};

/** What a pull of the image downloads: its config and layers. */
const weight = (img: Image) => [img.config, ...img.layers].reduce((n, b) => n + b.content.length, 0);

async function get(path: string, who: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(`${s.reg.url}/api/v1${path}`, { headers: { ...(tokens[who] ? { Authorization: `Bearer ${tokens[who]}` } : {}), ...headers } });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

async function post(path: string, token: string | undefined, body: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${s.reg.url}/api/v1${path}`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) }, body,
  });
  return { status: res.status, body: await res.json() };
}

async function all(path: string, who: string): Promise<any[]> {
  const items: any[] = [];
  let next: string | undefined = path;
  for (let pages = 0; next && pages < 100; pages++) {
    const page = await get(next.replace(/^\/api\/v1/, ''), who);
    expect(page.status).toBe(200);
    items.push(...page.body.items);
    next = page.body.nextLink;
  }
  return items;
}

beforeAll(async () => {
  s = await startSeededRegistry({ extraTags: 120 });
  for (const [name, id] of Object.entries(IDENTITIES)) tokens[name] = await tokenFor(s.reg.url, id);
  tokens.admin = await tokenFor(s.reg.url, ADMIN);
}, 120_000);
afterAll(() => s?.reg.stop());

describe('permission filter', () => {
  const viewers = ['alice', 'bob', 'carol', 'anonymous'];
  test.each(viewers)('%s lists exactly the repositories it may pull, and the others do not exist for it', async (who) => {
    const names = (await all('/repositories?limit=2', who)).map((r) => r.name);
    for (const [repo, pullers] of Object.entries(MATRIX)) {
      const visible = pullers.includes(who);
      expect([repo, names.includes(repo)]).toEqual([repo, visible]);
      const detail = await get(`/repositories/${repo}`, who);
      const tags = await get(`/repositories/${repo}/-/tags`, who);
      if (visible) {
        expect(detail.status).toBe(200);
        expect(tags.status).toBe(200);
      } else {
        for (const answer of [detail, tags]) {
          expect(answer.status).toBe(404);
          expect(answer.body).toEqual({ errors: [{ code: 'NAME_UNKNOWN', message: expect.any(String), detail: { name: repo } }] });
        }
      }
    }
  });

  test('the admin sees every repository', async () => {
    const names = (await all('/repositories', 'admin')).map((r) => r.name);
    expect(names).toEqual(expect.arrayContaining(Object.keys(MATRIX)));
    expect((await get('/me', 'admin')).body).toEqual({ subject: 'admin', administrator: true });
    expect((await get('/me', 'alice')).body).toEqual({ subject: 'alice', administrator: false });
  });

  test('an invalid token is refused with the /v2 error body', async () => {
    const res = await fetch(`${s.reg.url}/api/v1/repositories`, { headers: { Authorization: 'Bearer not-a-token' } });
    expect(res.status).toBe(401);
    expect(((await res.json()) as any).errors[0].code).toBe('UNAUTHORIZED');
  });
});

describe('repositories and tags', () => {
  test('search, sort and cursor pages cover every repository once', async () => {
    const found = await get('/repositories?q=APP', 'admin');
    expect(found.body.items.map((r: any) => r.name)).toEqual(['team-a/app']);
    const byName = (await all('/repositories?limit=1', 'admin')).map((r) => r.name);
    expect(byName).toEqual([...byName].sort());
    expect(new Set(byName).size).toBe(byName.length);
    const bySize = (await all('/repositories?sort=size&limit=2', 'admin')).map((r) => r.sizeBytes);
    expect(bySize).toEqual([...bySize].sort((a, b) => b - a));
    expect((await all('/repositories?sort=lastPush&limit=3', 'admin')).length).toBe(byName.length);
  });

  test('a repository shows usage against its quota, tag count and what the caller may do', async () => {
    const { body } = await get('/repositories/team-a/app', 'alice');
    // `access` is what these credentials allow: a token naming pull only does not offer push.
    expect(body).toMatchObject({ name: 'team-a/app', tagCount: 4, immutableTags: ['stable'], access: { pull: true, push: false, delete: false } });
    const withPush = await fetch(`${s.reg.url}/api/v1/repositories/team-a/app`, {
      headers: { Authorization: `Bearer ${await tokenFor(s.reg.url, IDENTITIES.alice, ['repository:team-a/app:pull,push,delete'])}` },
    });
    expect(((await withPush.json()) as any).access).toEqual({ pull: true, push: true, delete: false });
    expect(body.quotas).toEqual([{ scope: 'team-a/**', limitBytes: 50 * 1024 * 1024, usedBytes: expect.any(Number) }]);
    expect(body.quotas[0].usedBytes).toBeGreaterThan(0);
    expect((await get('/repositories/team-b/svc', 'bob')).body.access).toEqual({ pull: true, push: false, delete: false });
  });

  test('tags come 50 a page by default, in order, each once; page edges are exact', async () => {
    const first = await get('/repositories/team-a/many/-/tags', 'alice');
    expect(first.body.items).toHaveLength(50);
    const tags = (await all('/repositories/team-a/many/-/tags', 'alice')).map((t) => t.tag);
    expect(tags).toHaveLength(121);
    expect(new Set(tags).size).toBe(121);
    expect(tags).toEqual([...tags].sort());
    const end = await get('/repositories/team-a/many/-/tags?limit=100&cursor=t00019', 'alice');
    expect([end.body.items.length, end.body.next]).toEqual([100, undefined]);
    // 'seed' sorts first, then t00000..t00119: after t00018, exactly 100 and one more.
    const exact = await get('/repositories/team-a/many/-/tags?limit=100&cursor=t00018', 'alice');
    expect(exact.body.items).toHaveLength(100);
    expect(exact.body.next).toBeDefined();
    const last = await get(`/repositories/team-a/many/-/tags?limit=100&cursor=${exact.body.next}`, 'alice');
    expect(last.body.items.map((t: any) => t.tag)).toEqual(['t00119']);
    expect(last.body.next).toBeUndefined();
  });

  test('a tag row carries platforms (both under the index), size, created, pushed and referrer counts', async () => {
    const rows = (await get('/repositories/team-a/app/-/tags', 'alice')).body.items;
    const multi = rows.find((t: any) => t.tag === 'multi');
    expect(multi).toMatchObject({ digest: s.index.digest, category: 'index' });
    expect(multi.platforms.map((p: any) => p.architecture).sort()).toEqual(['amd64', 'arm64']);
    const v1 = rows.find((t: any) => t.tag === 'v1');
    expect(v1).toMatchObject({ digest: s.app.digest, category: 'image', pushedBy: 'admin', referrers: { sbom: 1, signature: 1 } });
    expect(v1.size).toBe(s.app.manifest.content.length);
    // What a pull downloads: config and layers; an index each platform, and shared blobs once.
    expect(v1.imageSize).toBe(weight(s.app));
    expect(multi.imageSize).toBe(weight(s.amd64) + weight(s.arm64));
    expect(multi.platformSizes).toEqual([
      { digest: s.amd64.digest, platform: { os: 'linux', architecture: 'amd64' }, bytes: weight(s.amd64) },
      { digest: s.arm64.digest, platform: { os: 'linux', architecture: 'arm64' }, bytes: weight(s.arm64) },
    ]);
    expect(v1.created).toBeLessThan(Date.now() - 3_600_000);
    expect(v1.signature).toBeUndefined();
    expect(v1.vulnerabilities).toBeUndefined();
    expect(rows.find((t: any) => t.tag === 'stable').immutable).toBe(true);
  });

  test('ETags: an unchanged answer is 304 for the same caller', async () => {
    const first = await get('/repositories/team-a/app/-/tags', 'alice');
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(first.headers.get('cache-control')).toBe('private, no-cache');
    expect((await get('/repositories/team-a/app/-/tags', 'alice', { 'If-None-Match': etag })).status).toBe(304);
    expect((await get('/repositories/team-a/app', 'alice', { 'If-None-Match': etag })).status).toBe(200);
  });
});

describe('artifacts', () => {
  test('an image: config, annotations with its base, layers with the step that made each, referrers by kind, freed bytes', async () => {
    const { status, body } = await get(`/repositories/team-a/app/-/manifests/${s.app.digest}`, 'alice');
    expect(status).toBe(200);
    expect(body).toMatchObject({ digest: s.app.digest, category: 'image', tags: ['v1'], base: { name: 'open/base:1', digest: s.base.digest } });
    expect(body.config).toMatchObject({ entrypoint: ['/app'], labels: { 'org.opencontainers.image.source': 'https://example.test/app' } });
    expect(body.layers.map((l: any) => l.createdBy)).toEqual(['/bin/sh -c #(nop) ADD file:rootfs in /', 'RUN apk add --no-cache ca-certificates', 'COPY app /app # buildkit']);
    expect(body.history).toHaveLength(4);
    const kinds = Object.fromEntries(body.referrers.map((g: any) => [g.category, g]));
    expect(kinds.sbom).toMatchObject({ artifactType: SBOM_TYPE, count: 1, items: [{ digest: s.sbom.digest }] });
    expect(kinds.signature).toMatchObject({ artifactType: SIGNATURE_TYPE, count: 1, items: [{ digest: s.signature.digest }] });
    // The base layers are shared with open/base and the releases: only the app's own layer, config and manifest go.
    expect(body.freed.sharedBlobs).toBeGreaterThanOrEqual(2);
    expect(body.freed.bytes).toBeLessThan(body.size + 3000 + 2000);
    expect(body.freed.bytes).toBeGreaterThanOrEqual(3000);
  });

  test('an index: platforms nested with their digests; a child names its index', async () => {
    const { body } = await get(`/repositories/team-a/app/-/manifests/${s.index.digest}`, 'alice');
    expect(body.manifests.map((m: any) => [m.platform.architecture, m.digest, m.present])).toEqual([['amd64', s.amd64.digest, true], ['arm64', s.arm64.digest, true]]);
    expect(body.manifests.map((m: any) => m.imageSize)).toEqual([weight(s.amd64), weight(s.arm64)]);
    expect(body.imageSize).toBe(weight(s.amd64) + weight(s.arm64));
    const child = await get(`/repositories/team-a/app/-/manifests/${s.arm64.digest}`, 'alice');
    expect(child.body.parents).toEqual([{ digest: s.index.digest, tags: ['multi'] }]);
  });

  test('a Helm chart shows its chart metadata', async () => {
    const { body } = await get(`/repositories/team-a/chart/-/manifests/${s.chart.digest}`, 'alice');
    expect(body.helmChart).toMatchObject({ name: 'webapp', version: '1.2.3' });
  });

  test('referrers by artifact type; base and derived images across the repositories the caller may pull', async () => {
    const sboms = await get(`/repositories/team-a/app/-/referrers/${s.app.digest}?artifactType=${encodeURIComponent(SBOM_TYPE)}`, 'alice');
    expect(sboms.body.items.map((r: any) => r.digest)).toEqual([s.sbom.digest]);
    const base = await get(`/repositories/team-a/app/-/manifests/${s.app.digest}/base`, 'alice');
    expect(base.body.images).toEqual(expect.arrayContaining([expect.objectContaining({ repository: 'open/base', digest: s.base.digest })]));
    const derivedForAlice = await get(`/repositories/open/base/-/manifests/${s.base.digest}/derived`, 'alice');
    expect(derivedForAlice.body.images.map((i: any) => i.repository)).toContain('team-a/app');
    const derivedForCarol = await get(`/repositories/open/base/-/manifests/${s.base.digest}/derived`, 'carol');
    expect(derivedForCarol.body.images.map((i: any) => i.repository)).not.toContain('team-a/app');
  });

  test('an artifact of a repository the caller cannot pull does not exist; a digest not there is MANIFEST_UNKNOWN', async () => {
    const hidden = await get(`/repositories/team-a/app/-/manifests/${s.app.digest}`, 'carol');
    expect(hidden.status).toBe(404);
    expect(hidden.body.errors[0].code).toBe('NAME_UNKNOWN');
    const absent = await get(`/repositories/team-a/app/-/manifests/sha256:${'0'.repeat(64)}`, 'alice');
    expect(absent.status).toBe(404);
    expect(absent.body.errors[0].code).toBe('MANIFEST_UNKNOWN');
  });
});

describe('tag history and rollback', () => {
  test('the history lists every digest the tag pointed to, with who and when', async () => {
    const { body } = await get('/repositories/team-a/app/-/tags/release/history', 'alice');
    expect(body.digest).toBe(s.releases[2].digest);
    expect(body.items.map((e: any) => e.digest)).toEqual(s.releases.map((r) => r.digest).reverse());
    expect(body.items.every((e: any) => e.actor === 'admin' && e.at > 0)).toBe(true);
  });

  test('rollback needs push in the token, the digest in the history, and a visible repository', async () => {
    const path = '/repositories/team-a/app/-/tags/release/restore';
    const body = JSON.stringify({ digest: s.releases[0].digest });
    const pullOnly = await post(path, tokens.alice, body);
    expect(pullOnly.status).toBe(401);
    expect(pullOnly.body.errors[0].code).toBe('UNAUTHORIZED');
    const hidden = await post(path, await tokenFor(s.reg.url, IDENTITIES.bob, ['repository:team-a/app:pull,push']), body);
    expect(hidden.status).toBe(404);
    expect(hidden.body.errors[0].code).toBe('NAME_UNKNOWN');
    const push = await tokenFor(s.reg.url, IDENTITIES.alice, ['repository:team-a/app:pull,push']);
    const never = await post(path, push, JSON.stringify({ digest: s.base.digest }));
    expect(never.status).toBe(404);
    expect(never.body.errors[0].code).toBe('MANIFEST_UNKNOWN');
    expect((await post(path, push, '{"digest": 7}')).body.errors[0].code).toBe('DIGEST_INVALID');
    expect((await post(path, push, 'not json')).status).toBe(400);
    const stable = await post('/repositories/team-a/app/-/tags/stable/restore', push, JSON.stringify({ digest: s.releases[1].digest }));
    expect(stable.body.errors[0].code).toBe('MANIFEST_UNKNOWN');
  });

  test('a rollback moves the tag through the write path, is in its history, and writes one audit record', async () => {
    const push = await tokenFor(s.reg.url, IDENTITIES.alice, ['repository:team-a/app:pull,push']);
    const before = Date.now();
    const res = await post('/repositories/team-a/app/-/tags/release/restore', push, JSON.stringify({ digest: s.releases[0].digest }));
    expect(res).toEqual({ status: 200, body: { repository: 'team-a/app', tag: 'release', digest: s.releases[0].digest, previous: s.releases[2].digest, changed: true } });
    const head = await s.admin.call('HEAD', '/v2/team-a/app/manifests/release');
    expect(head.headers.get('docker-content-digest')).toBe(s.releases[0].digest);
    const history = await get('/repositories/team-a/app/-/tags/release/history', 'alice');
    expect(history.body.items[0]).toMatchObject({ action: 'restore', digest: s.releases[0].digest, actor: 'alice' });
    let records: any[] = [];
    for (let i = 0; i < 50 && records.length === 0; i++) {
      records = (await get(`/audit?action=tag.restore&since=${before}`, 'admin')).body.items;
      if (!records.length) await new Promise((r) => setTimeout(r, 50));
    }
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ actor: 'alice', action: 'tag.restore', repository: 'team-a/app', tag: 'release', digest: s.releases[0].digest, result: 'success' });
    expect(records[0].detail).toMatchObject({ previousDigest: s.releases[2].digest, status: 200 });
  });
});

describe('activity and storage', () => {
  test('audit records show only for repositories the caller may pull; denied requests to the admin', async () => {
    await fetch(`${s.reg.url}/v2/secret/db/manifests/v1`, { method: 'DELETE', headers: { Authorization: `Bearer ${tokens.carol}` } });
    let denied: any[] = [];
    for (let i = 0; i < 50 && denied.length === 0; i++) {
      denied = (await get('/audit?result=denied&repository=secret/db', 'admin')).body.items;
      if (!denied.length) await new Promise((r) => setTimeout(r, 50));
    }
    expect(denied[0]).toMatchObject({ actor: 'carol', action: 'manifest.delete', result: 'denied' });
    const pushes = await all('/audit?limit=20', 'bob');
    expect(pushes.length).toBeGreaterThan(0);
    expect(pushes.every((r) => r.repository && (r.repository.startsWith('team-b/') || r.repository.startsWith('open/')))).toBe(true);
    expect((await get('/audit?since=yesterday', 'admin')).body.errors[0].code).toBe('UNSUPPORTED');
  });

  test('storage: usage per repository for everyone, quotas and GC for the admin', async () => {
    const admin = (await get('/storage', 'admin')).body;
    expect(admin.quotas).toEqual([{ scope: 'team-a/**', limitBytes: 50 * 1024 * 1024, usedBytes: expect.any(Number) }]);
    expect(admin.gc).toMatchObject({ enabled: false });
    const bob = (await get('/storage', 'bob')).body;
    expect(bob.repositories.map((r: any) => r.name).sort()).toEqual(['open/base', 'team-b/svc']);
    expect(bob.quotas).toEqual([]);
    expect(bob.gc).toBeUndefined();
  });
});

describe('malformed requests get the /v2 error body', () => {
  test.each([
    ['/repositories?limit=0', 400, 'PAGINATION_NUMBER_INVALID'],
    ['/repositories?limit=201', 400, 'PAGINATION_NUMBER_INVALID'],
    ['/repositories?limit=abc', 400, 'PAGINATION_NUMBER_INVALID'],
    ['/repositories?cursor=garbage', 400, 'PAGINATION_NUMBER_INVALID'],
    ['/repositories?sort=stars', 400, 'UNSUPPORTED'],
    ['/repositories/team-a/app/-/tags?limit=101', 400, 'PAGINATION_NUMBER_INVALID'],
    ['/repositories/Bad..Name', 400, 'NAME_INVALID'],
    ['/repositories/team-a/app/-/manifests/sha256:nothex', 400, 'DIGEST_INVALID'],
    ['/repositories/team-a/app/-/tags/-bad-/history', 400, 'TAG_INVALID'],
    ['/repositories/team-a/app/-/blobs', 405, 'UNSUPPORTED'],
    ['/repositories/team-a/app/-/tags/release/restore', 405, 'UNSUPPORTED'],
    ['/nothing-here', 405, 'UNSUPPORTED'],
  ])('%s -> %i %s', async (path, status, code) => {
    const res = await get(path, 'alice');
    expect(res.status).toBe(status);
    expect(res.body).toEqual({ errors: [expect.objectContaining({ code, message: expect.any(String) })] });
  });
});

describe('the UI files', () => {
  test('the page and its hashed assets carry a same-origin CSP; assets are immutable; a missing one is the /v2 error body', async () => {
    const page = await fetch(`${s.reg.url}/ui/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toMatch(/^default-src 'self';/);
    const html = await page.text();
    const script = /src="(\/ui\/assets\/main-[\w-]+\.js)"/.exec(html)![1];
    const asset = await fetch(`${s.reg.url}${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect(asset.headers.get('content-security-policy')).toMatch(/^default-src 'self';/);
    const missing = await fetch(`${s.reg.url}/ui/assets/nothing.js`);
    expect(missing.status).toBe(405);
    expect(((await missing.json()) as any).errors[0].code).toBe('UNSUPPORTED');
    expect((await fetch(`${s.reg.url}/ui/#/r/team-a/app`)).status).toBe(200);
  });

  test('the UI session endpoints refuse another origin and answer 204 without a session', async () => {
    const foreign = await fetch(`${s.reg.url}/ui/session/token`, { method: 'POST', headers: { Origin: 'https://evil.example' } });
    expect(foreign.status).toBe(403);
    const none = await fetch(`${s.reg.url}/ui/session/token`, { method: 'POST' });
    expect(none.status).toBe(204);
    const login = await fetch(`${s.reg.url}/auth/token`, {
      method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: 'https://evil.example' },
      body: new URLSearchParams({ grant_type: 'password', client_id: 'berth-ui', username: 'alice', password: IDENTITIES.alice.password }).toString(),
    });
    expect(login.status).toBe(403);
  });
});
