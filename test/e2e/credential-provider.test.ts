// berth-credential-provider on its own: the kubelet's request in, a response the
// kubelet accepts out, the cache duration taken from the token's expiry, and
// every malformed request refused with a non-zero exit and nothing on stdout.
// (The pull with its answer, from a real API server's token, is in
// workload-identity-kubernetes.test.ts.)
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROVIDER_API_VERSION, providerRequest, providerResponse, runProvider } from '../harness/credential-provider.js';
import { toolPath } from '../harness/tools.js';

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
/** An unsigned JWT-shaped token: the provider reads exp and never verifies. */
const tokenExpiringIn = (seconds: number, extra: Record<string, unknown> = {}) =>
  `${b64({ alg: 'ES256', kid: 'k' })}.${b64({ sub: 'system:serviceaccount:team-a:web', exp: Math.floor(Date.now() / 1000) + seconds, ...extra })}.c2ln`;

describe('berth-credential-provider', () => {
  test('passes the token through as the password for the image\'s registry, cached until a minute before it expires', async () => {
    const token = tokenExpiringIn(3600);
    const res = await providerResponse(providerRequest('registry.team-a.svc:5000/team-a/app:v1', token, { 'berth.dev/note': 'x' }));
    expect(res).toMatchObject({ cacheKeyType: 'Registry', auth: { 'registry.team-a.svc:5000': { username: 'serviceaccount', password: token } } });
    const seconds = Number(res.cacheDuration!.slice(0, -1));
    expect(seconds).toBeGreaterThanOrEqual(3535);
    expect(seconds).toBeLessThanOrEqual(3540);
  });

  test('the username is configurable; hosts without a port and localhost work', async () => {
    const token = tokenExpiringIn(600);
    expect((await providerResponse(providerRequest('registry.example/a/b@sha256:' + '0'.repeat(64), token), ['--username', 'kubelet'])).auth)
      .toEqual({ 'registry.example': { username: 'kubelet', password: token } });
    expect(Object.keys((await providerResponse(providerRequest('localhost/a:1', token))).auth)).toEqual(['localhost']);
  });

  test('a token with under a minute left is handed over but not cached', async () => {
    const res = await providerResponse(providerRequest('127.0.0.1:5000/a/b:1', tokenExpiringIn(30)));
    expect(res.cacheDuration).toBe('0s');
  });

  const valid = tokenExpiringIn(3600);
  test.each([
    ['empty input', ''],
    ['whitespace', ' \n\t'],
    ['not JSON', '{"apiVersion": '],
    ['a JSON array', '[]'],
    ['JSON null', 'null'],
    ['another apiVersion (v1beta1)', providerRequest('r.example/a:1', valid).replace(PROVIDER_API_VERSION, 'credentialprovider.kubelet.k8s.io/v1beta1')],
    ['another apiVersion (v1alpha1)', providerRequest('r.example/a:1', valid).replace(PROVIDER_API_VERSION, 'credentialprovider.kubelet.k8s.io/v1alpha1')],
    ['no apiVersion', JSON.stringify({ kind: 'CredentialProviderRequest', image: 'r.example/a:1', serviceAccountToken: valid })],
    ['another kind', providerRequest('r.example/a:1', valid).replace('"CredentialProviderRequest"', '"CredentialProviderResponse"')],
    ['no token (audience not configured in the kubelet)', JSON.stringify({ apiVersion: PROVIDER_API_VERSION, kind: 'CredentialProviderRequest', image: 'r.example/a:1' })],
    ['an empty token', providerRequest('r.example/a:1', '')],
    ['a token that is not a JWT', providerRequest('r.example/a:1', 'robot-secret')],
    ['a token whose payload is not base64url', providerRequest('r.example/a:1', 'a.%%%.c')],
    ['a token without exp', providerRequest('r.example/a:1', `${b64({ alg: 'ES256' })}.${b64({ sub: 'x' })}.c2ln`)],
    ['a token with a non-integer exp', providerRequest('r.example/a:1', `${b64({ alg: 'ES256' })}.${b64({ exp: 'soon' })}.c2ln`)],
    ['an expired token', providerRequest('r.example/a:1', tokenExpiringIn(-5))],
    ['an image without a registry host', providerRequest('library/alpine:3.20', valid)],
    ['no image', JSON.stringify({ apiVersion: PROVIDER_API_VERSION, kind: 'CredentialProviderRequest', serviceAccountToken: valid })],
    ['more than 1 MiB', providerRequest('r.example/a:1', valid).replace('"image"', `"padding":"${'x'.repeat(1024 * 1024)}","image"`)],
  ])('%s: exit non-zero, nothing on stdout, the reason on stderr', async (_what, input) => {
    const r = await runProvider(input);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^berth-credential-provider: .+/);
  });

  test('install copies the binary into the kubelet\'s provider directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-provider-bin-'));
    const r = await runProvider('', ['install', dir]);
    expect(r.code).toBe(0);
    const installed = join(dir, 'berth-credential-provider');
    expect((await stat(installed)).mode & 0o777).toBe(0o755);
    expect((await readFile(installed)).equals(await readFile(toolPath('berth-credential-provider')))).toBe(true);
  });
});
