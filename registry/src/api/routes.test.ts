import { matchRoute, routes } from './routes.js';

// Every route's pattern is its definition; the literal only skips routes that cannot
// match. So matching with the literals must give what trying every pattern gives.
function matchByPatternsOnly(rest: string): { name: string; repo: string; params: Record<string, string> } | undefined {
  for (const route of routes) {
    const m = route.pattern.exec(rest);
    if (!m) continue;
    const offset = route.named ? 2 : 1;
    const params: Record<string, string> = {};
    route.params.forEach((p, i) => { params[p] = decodeURIComponent(m[offset + i]); });
    return { name: route.name, repo: route.named ? m[1] : '', params };
  }
  return undefined;
}

const repos = ['r', 'a/b', 'blobs', 'x/blobs', 'manifests/m', 'tags', 'tags/list', 'uploads', 'blobs/uploads', 'referrers', 'a/_berth', 'lib/alpine'];
const tails = [
  '', '_catalog', '_berth/security/status', 'tags/list', 'tags/list/', 'tags/lists',
  'manifests/latest', 'manifests/sha256:abc', 'manifests/', 'manifests/a/b',
  'blobs/uploads', 'blobs/uploads/', 'blobs/uploads/u-1', 'blobs/uploads/u-1/x', 'blobs/sha256:abc', 'blobs/', 'blobs/a%2Fb',
  'referrers/sha256:abc', '_berth/vulnerabilities/sha256:abc', '_berth/signatures/sha256:abc', '_berth/scan/sha256:abc', '_berth/scan/',
];
const paths = ['', '_catalog', '_berth/security/status', 'nothing', ...repos.flatMap((r) => tails.map((t) => (t ? `${r}/${t}` : r)))];

describe('matchRoute', () => {
  it.each(paths)('matches %p as trying every pattern does', (path) => {
    const got = matchRoute(path);
    expect(got ? { name: got.route.name, repo: got.repo, params: got.params } : undefined).toEqual(matchByPatternsOnly(path));
  });

  it('contains each route literal in every path its pattern matches', () => {
    let checked = 0;
    for (const route of routes.filter((r) => r.literal !== undefined)) {
      for (const path of paths.filter((p) => route.pattern.test(p))) {
        expect(path).toContain(route.literal);
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('finds the hot routes', () => {
    expect(matchRoute('lib/alpine/blobs/sha256:abc')?.route.name).toBe('blob');
    expect(matchRoute('lib/alpine/manifests/latest')?.route.name).toBe('manifest');
    expect(matchRoute('lib/alpine/blobs/uploads/')?.route.name).toBe('upload-start');
  });
});
