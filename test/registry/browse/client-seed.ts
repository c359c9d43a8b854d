// A registry process with scanning and a trusted cosign key, seeded only by real
// clients, so what the UI shows is what Berth stored from their pushes: the
// vulnerability database pushed with `oras push`, two Alpine images pushed with
// `crane push` (one with a busybox an advisory names, one fixed), a CycloneDX
// SBOM attached with `oras attach`, a `cosign sign` signature on the vulnerable
// one, and that image copied with `crane copy` to a second repository where it
// is not signed. The signature verdicts are asked of Berth's signature API,
// which verifies and stores them as a pull policy would.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ADMIN, authWorkspace, basic, eventually, type AuthWorkspace } from '../auth/fixtures.js';
import { osvDirectory, type OsvAdvisory } from '../security/fixtures.js';
import { buildImage, type FixtureFile } from '../../harness/image-fixtures.js';
import { OciClient } from '../../harness/oci-client.js';
import { startRegistryProcess, type RegistryProcess } from '../../harness/registry-process.js';
import { runOk } from '../../harness/tools.js';

export const ADVISORY: OsvAdvisory = { id: 'BERTH-2099-0001', aliases: ['CVE-2099-0001'], pkg: 'busybox', fixed: '1.36.1-r29', severity: 'CRITICAL' };
export const REPO = 'apps/web';
/** Where the signed image is copied, unsigned. */
export const COPY = 'apps/web-canary';
const TRUST_KEY = 'release';
const INSECURE = ['--allow-http-registry=true', '--allow-insecure-registry=true'];

export interface ClientSeeded {
  readonly reg: RegistryProcess;
  readonly ws: AuthWorkspace;
  /** `apps/web:1.0`: busybox 1.36.1-r28, signed, with the oras-attached SBOM. */
  readonly vulnerable: string;
  /** `apps/web:1.1`: busybox 1.36.1-r29, unsigned. */
  readonly fixed: string;
  readonly sbom: string;
}

function alpineLayer(busybox: string): FixtureFile[] {
  return [
    { path: 'etc/os-release', content: 'ID=alpine\nVERSION_ID=3.20.3\n' },
    { path: 'lib/apk/db/installed', content: `P:busybox\nV:${busybox}\nA:x86_64\no:busybox\n\n` },
  ];
}

export async function startClientSeededRegistry(): Promise<ClientSeeded> {
  const ws = await authWorkspace();
  const keys = join(ws.dir, 'keys');
  await mkdir(keys);
  const env = { HOME: ws.dir, DOCKER_CONFIG: join(ws.dir, 'docker') };
  await runOk('cosign', ['generate-key-pair'], { env: { ...env, COSIGN_PASSWORD: '' }, cwd: keys });
  const reg = await startRegistryProcess({
    dir: ws.dir,
    config: {
      ...ws.config(),
      gc: { enabled: false },
      security: {
        scanning: { enabled: true },
        vulnDB: { refreshIntervalSeconds: 3600 },
        trust: { keys: [{ name: TRUST_KEY, keyFile: join(keys, 'cosign.pub') }] },
      },
    },
  });
  const admin = new OciClient(reg.url, { Authorization: basic(ADMIN.username, ADMIN.password) });
  const oras = ['--plain-http', '-u', ADMIN.username, '-p', ADMIN.password];
  await runOk('crane', ['auth', 'login', reg.host, '-u', ADMIN.username, '-p', ADMIN.password], { env });

  const db = await osvDirectory(join(ws.dir, 'db'), [ADVISORY]);
  await runOk('oras', ['push', ...oras, `${reg.host}/berth-system/vulndb:2026-12-06`, '--artifact-type', 'application/vnd.berth.osv-db.v1', 'Alpine/all.zip:application/zip'], { env, cwd: db });
  await eventually(async () => {
    const status = JSON.parse((await admin.call('GET', '/v2/_berth/security/status')).text) as { scanning: { vulnDB: { state: string } } };
    if (status.scanning.vulnDB.state !== 'ready') throw new Error(`vulnerability database ${status.scanning.vulnDB.state}`);
  }, 30_000);

  const push = async (name: string, tag: string, busybox: string) => {
    const built = await buildImage(ws.dir, { name, layers: [alpineLayer(busybox)] });
    await runOk('crane', ['push', '--insecure', built.layoutDir, `${reg.host}/${REPO}:${tag}`], { env });
    return built.manifestDigest;
  };
  const vulnerable = await push('vulnerable', '1.0', '1.36.1-r28');
  const fixed = await push('fixed', '1.1', '1.36.1-r29');

  await writeFile(join(ws.dir, 'web.cdx.json'), JSON.stringify({
    bomFormat: 'CycloneDX', specVersion: '1.5', version: 1,
    components: [
      { type: 'operating-system', name: 'alpine', version: '3.20.3' },
      { type: 'library', name: 'busybox', version: '1.36.1-r28', purl: 'pkg:apk/alpine/busybox@1.36.1-r28?arch=x86_64&distro=3.20.3' },
    ],
  }));
  const attached = await runOk('oras', ['attach', ...oras, '--format', 'json', '--artifact-type', 'application/vnd.cyclonedx+json',
    `${reg.host}/${REPO}@${vulnerable}`, 'web.cdx.json:application/vnd.cyclonedx+json'], { env, cwd: ws.dir });
  const sbom = (JSON.parse(attached) as { digest: string }).digest;

  await runOk('cosign', ['sign', '--key', join(keys, 'cosign.key'), '--tlog-upload=false', '-y', ...INSECURE, `${reg.host}/${REPO}@${vulnerable}`],
    { env: { ...env, COSIGN_PASSWORD: '', SIGSTORE_NO_CACHE: '1', TUF_ROOT: join(ws.dir, 'tuf') }, cwd: ws.dir, timeoutMs: 60_000 });
  await runOk('crane', ['copy', '--insecure', `${reg.host}/${REPO}@${vulnerable}`, `${reg.host}/${COPY}:1.0`], { env });

  // Both scans done, and a verdict stored for each (repository, digest).
  for (const digest of [vulnerable, fixed]) {
    await eventually(async () => {
      const res = await admin.call('GET', `/v2/${REPO}/_berth/vulnerabilities/${digest}`);
      if (res.status !== 200) throw new Error(`report of ${digest}: ${res.status}`);
    }, 30_000);
  }
  for (const [repo, digest] of [[REPO, vulnerable], [REPO, fixed], [COPY, vulnerable]]) {
    const res = await admin.call('GET', `/v2/${repo}/_berth/signatures/${digest}`);
    if (res.status !== 200) throw new Error(`signatures of ${repo}@${digest}: ${res.status} ${res.text}`);
  }
  return { reg, ws, vulnerable, fixed, sbom };
}
