// HTTPS, as kubelet/containerd need for a non-localhost registry: the registry
// serves TLS from a certificate and key file, announces an https realm, and picks
// up a renewed certificate without a restart (a broken pair is refused and the
// previous certificate stays in service).
import { X509Certificate } from 'node:crypto';
import { rename, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';
import { createSelfSignedCertificate, type KeyPair } from '../../operator/src/crypto/self-signed-cert.js';
import { startRegistryProcess, type RegistryProcess } from '../harness/registry-process.js';
import { runOk } from '../harness/tools.js';
import { authWorkspace, basic, eventually, robot, SERVICE } from '../registry/auth/fixtures.js';

const HOSTNAME = 'registry.berth.test';
const creds = { username: 'tls-bot', password: 'tls-secret' };

function certificate(): KeyPair {
  const now = Date.now();
  return createSelfSignedCertificate({ commonName: HOSTNAME, dnsNames: [HOSTNAME], notBefore: new Date(now - 60_000), notAfter: new Date(now + 86_400_000) });
}

interface TlsAnswer {
  readonly status: number;
  readonly body: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly fingerprint: string;
}

/** An HTTPS request that trusts only `ca` and checks the name, reporting the served certificate. */
function get(port: number, path: string, ca: string, headers: Record<string, string> = {}): Promise<TlsAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, servername: HOSTNAME, ca, headers, agent: false }, (res) => {
      const fingerprint = (res.socket as import('node:tls').TLSSocket).getPeerCertificate().fingerprint256;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers, fingerprint }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('TLS with auth enabled', () => {
  let registry: RegistryProcess;
  let certFile: string;
  let keyFile: string;
  let dir: string;
  const first = certificate();
  const fingerprint = (pair: KeyPair) => new X509Certificate(pair.certPem).fingerprint256;

  async function install(pair: { certPem: string; keyPem: string }): Promise<void> {
    await writeFile(`${certFile}.tmp`, pair.certPem);
    await writeFile(`${keyFile}.tmp`, pair.keyPem);
    await rename(`${keyFile}.tmp`, keyFile);
    await rename(`${certFile}.tmp`, certFile);
  }

  beforeAll(async () => {
    const ws = await authWorkspace();
    dir = ws.dir;
    certFile = join(dir, 'tls.crt');
    keyFile = join(dir, 'tls.key');
    await install(first);
    await ws.writePolicy({
      robots: [await robot(creds.username, { secret: creds.password })],
      rules: [{ subjects: [creds.username], repositories: ['**'], actions: ['pull', 'push'] }],
    });
    const config = ws.config();
    registry = await startRegistryProcess({ config: { ...config, http: { tls: { certFile, keyFile } } } });
  });

  afterAll(async () => {
    await registry?.stop();
  });

  test('serves HTTPS with the configured certificate and an https token realm', async () => {
    const r = await get(registry.port, '/v2/', first.certPem);
    expect(r.fingerprint).toBe(fingerprint(first));
    expect(r.status).toBe(401);
    expect(r.headers['www-authenticate']).toBe(`Bearer realm="https://127.0.0.1:${registry.port}/auth/token",service="${SERVICE}"`);
    const token = await get(registry.port, `/auth/token?service=${SERVICE}&scope=repository:tls/app:pull`, first.certPem, { Authorization: basic(creds.username, creds.password) });
    expect(token.status).toBe(200);
    const authed = await get(registry.port, '/v2/', first.certPem, { Authorization: `Bearer ${JSON.parse(token.body).token as string}` });
    expect(authed.status).toBe(200);
  });

  test('a real client pushes and inspects over HTTPS with credentials', async () => {
    const { OciLayout } = await import('../harness/oci-layout.js');
    const src = join(dir, 'layout');
    const layout = new OciLayout(src);
    const top = layout.image({ layers: 1 });
    await layout.write(top, 'v1');
    const flags = ['--tls-verify=false', '--creds', `${creds.username}:${creds.password}`];
    await runOk('skopeo', ['copy', '--dest-tls-verify=false', '--dest-creds', `${creds.username}:${creds.password}`, `oci:${src}:v1`, `docker://${registry.host}/tls/app:v1`], { env: { HOME: dir } });
    const inspect = JSON.parse(await runOk('skopeo', ['inspect', ...flags, `docker://${registry.host}/tls/app:v1`], { env: { HOME: dir } }));
    expect(inspect.Digest).toBe(top.digest);
  });

  test('a renewed certificate is served without a restart; a broken pair is refused and the last good one kept', async () => {
    const second = certificate();
    await install(second);
    await eventually(async () => expect((await get(registry.port, '/healthz', second.certPem)).fingerprint).toBe(fingerprint(second)));
    // A key that does not match the certificate: refused, the second pair stays.
    await install({ certPem: certificate().certPem, keyPem: certificate().keyPem });
    await eventually(async () => expect(await registry.log()).toContain('TLS certificate reload failed; keeping the previous certificate'));
    const still = await get(registry.port, '/healthz', second.certPem);
    expect(still.status).toBe(200);
    expect(still.fingerprint).toBe(fingerprint(second));
    expect(registry.child.exitCode).toBeNull();
  });
});
