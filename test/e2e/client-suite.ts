// One suite of real-client workflows, written once and run with each client
// (skopeo, crane, oras, helm, regctl, cosign) against a live registry, with or
// without credentials. clients.test.ts runs it without auth; auth tests reuse it.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OciLayout } from '../harness/oci-layout.js';
import { run, runOk } from '../harness/tools.js';

export interface ClientTarget {
  /** host:port of the registry. */
  readonly host: string;
  readonly username?: string;
  readonly password?: string;
}

interface Workspace {
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
}

async function workspace(): Promise<Workspace> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-client-'));
  const env: NodeJS.ProcessEnv = {
    HOME: dir,
    DOCKER_CONFIG: join(dir, 'docker'),
    REGCTL_CONFIG: join(dir, 'regctl.json'),
    HELM_CONFIG_HOME: join(dir, 'helm', 'config'),
    HELM_CACHE_HOME: join(dir, 'helm', 'cache'),
    HELM_DATA_HOME: join(dir, 'helm', 'data'),
    HELM_REGISTRY_CONFIG: join(dir, 'docker', 'config.json'),
    XDG_RUNTIME_DIR: join(dir, 'run'),
    REGISTRY_AUTH_FILE: join(dir, 'containers-auth.json'),
    COSIGN_PASSWORD: '',
    COSIGN_EXPERIMENTAL: '0',
    SIGSTORE_NO_CACHE: '1',
    TUF_ROOT: join(dir, 'tuf'),
  };
  await mkdir(env.DOCKER_CONFIG!, { recursive: true });
  await mkdir(env.XDG_RUNTIME_DIR!, { recursive: true });
  return { dir, env };
}

const unique = (prefix: string) => `${prefix}-${randomBytes(3).toString('hex')}`;

/** Digest of the top manifest an OCI layout's index.json names. */
async function layoutDigest(dir: string): Promise<string> {
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8'));
  return index.manifests[0].digest;
}

export function runClientSuite(label: string, target: () => ClientTarget): void {
  describe(`real clients: ${label}`, () => {
    let ws: Workspace;
    let t: ClientTarget;
    const creds = () => (t.username ? `${t.username}:${t.password}` : undefined);

    beforeAll(async () => {
      t = target();
      ws = await workspace();
      if (t.username) {
        // Logins that several tools share through the Docker config file.
        await runOk('crane', ['auth', 'login', t.host, '-u', t.username, '-p', t.password ?? ''], { env: ws.env });
      }
    });

    test('skopeo: copy oci-layout → registry → oci-layout with identical digests, inspect, list-tags, delete', async () => {
      const src = join(ws.dir, unique('skopeo-src'));
      const layout = new OciLayout(src);
      const top = layout.image({ layers: 3, layerSize: 64 * 1024 });
      await layout.write(top, 'v1');
      const repo = `${t.host}/${unique('skopeo/app')}`;
      const auth = creds();
      const dest = ['--dest-tls-verify=false', ...(auth ? ['--dest-creds', auth] : [])];
      const srcFlags = ['--src-tls-verify=false', ...(auth ? ['--src-creds', auth] : [])];
      const flags = ['--tls-verify=false', ...(auth ? ['--creds', auth] : [])];
      await runOk('skopeo', ['copy', ...dest, `oci:${src}:v1`, `docker://${repo}:v1`], { env: ws.env });
      const back = join(ws.dir, unique('skopeo-back'));
      await runOk('skopeo', ['copy', ...srcFlags, `docker://${repo}:v1`, `oci:${back}:v1`], { env: ws.env });
      expect(await layoutDigest(back)).toBe(top.digest);
      const inspect = JSON.parse(await runOk('skopeo', ['inspect', ...flags, `docker://${repo}:v1`], { env: ws.env }));
      expect(inspect.Digest).toBe(top.digest);
      expect(inspect.Layers).toHaveLength(3);
      await runOk('skopeo', ['copy', ...srcFlags, ...dest, `docker://${repo}:v1`, `docker://${repo}:v2`], { env: ws.env });
      const tags = JSON.parse(await runOk('skopeo', ['list-tags', ...flags, `docker://${repo}`], { env: ws.env }));
      expect(tags.Tags.sort()).toEqual(['v1', 'v2']);
      await runOk('skopeo', ['delete', ...flags, `docker://${repo}@${top.digest}`], { env: ws.env });
      const gone = await run('skopeo', ['inspect', ...flags, `docker://${repo}:v1`], { env: ws.env });
      expect(gone.code).not.toBe(0);
      expect(gone.stderr).toMatch(/manifest unknown|not found/i);
    });

    test('crane: append, pull, copy between repositories, manifest, catalog, ls, delete', async () => {
      const repo = unique('crane/app');
      const ref = `${t.host}/${repo}:v1`;
      const layer = join(ws.dir, unique('layer') + '.tar');
      const { tarOf } = await import('../harness/oci-layout.js');
      await writeFile(layer, tarOf('hello.txt', Buffer.from('hello from crane\n')));
      const digest = (await runOk('crane', ['append', '-f', layer, '-t', ref], { env: ws.env })).trim();
      expect(digest).toContain(`@sha256:`);
      const out = join(ws.dir, unique('pulled') + '.tar');
      await runOk('crane', ['pull', ref, out], { env: ws.env });
      expect((await readFile(out)).length).toBeGreaterThan(1024);
      const copy = `${t.host}/${unique('crane/copy')}:v1`;
      await runOk('crane', ['copy', ref, copy], { env: ws.env });
      const d1 = (await runOk('crane', ['digest', ref], { env: ws.env })).trim();
      const d2 = (await runOk('crane', ['digest', copy], { env: ws.env })).trim();
      expect(d2).toBe(d1);
      const manifest = JSON.parse(await runOk('crane', ['manifest', ref], { env: ws.env }));
      expect(manifest.layers).toHaveLength(1);
      const catalog = (await runOk('crane', ['catalog', t.host], { env: ws.env })).split('\n');
      expect(catalog).toContain(repo);
      await runOk('crane', ['tag', ref, 'v2'], { env: ws.env });
      expect((await runOk('crane', ['ls', `${t.host}/${repo}`], { env: ws.env })).trim().split('\n').sort()).toEqual(['v1', 'v2']);
      await runOk('crane', ['delete', `${t.host}/${repo}@${d1}`], { env: ws.env });
      const after = await run('crane', ['manifest', ref], { env: ws.env });
      expect(after.code).not.toBe(0);
      expect(after.stderr).toMatch(/MANIFEST_UNKNOWN/);
    });

    test('crane and skopeo: a multi-arch index pushes and pulls per platform', async () => {
      const src = join(ws.dir, unique('multi'));
      const layout = new OciLayout(src);
      const amd = layout.image({ architecture: 'amd64' });
      const arm = layout.image({ architecture: 'arm64' });
      const index = layout.index([amd, arm]);
      await layout.write(index, 'multi');
      const repo = `${t.host}/${unique('multi/app')}`;
      const auth = creds();
      await runOk('skopeo', ['copy', '--all', '--dest-tls-verify=false', ...(auth ? ['--dest-creds', auth] : []), `oci:${src}:multi`, `docker://${repo}:multi`], { env: ws.env });
      const got = JSON.parse(await runOk('crane', ['manifest', `${repo}:multi`], { env: ws.env }));
      expect(got.mediaType).toBe('application/vnd.oci.image.index.v1+json');
      expect(got.manifests.map((m: { digest: string }) => m.digest)).toEqual([amd.digest, arm.digest]);
      const armDigest = (await runOk('crane', ['digest', '--platform', 'linux/arm64', `${repo}:multi`], { env: ws.env })).trim();
      expect(armDigest).toBe(arm.digest);
      const back = join(ws.dir, unique('multi-back'));
      await runOk('skopeo', ['copy', '--all', '--src-tls-verify=false', ...(auth ? ['--src-creds', auth] : []), `docker://${repo}:multi`, `oci:${back}:multi`], { env: ws.env });
      expect(await layoutDigest(back)).toBe(index.digest);
      expect((await readdir(join(back, 'blobs', 'sha256'))).length).toBe(3 + 2 * 3);
    });

    test('oras: push and pull an artifact, attach a referrer, discover it', async () => {
      const repo = `${t.host}/${unique('oras/artifact')}`;
      const auth = t.username ? ['-u', t.username, '-p', t.password ?? ''] : [];
      const common = ['--plain-http', '--registry-config', join(ws.dir, 'oras-auth.json'), ...auth];
      const work = join(ws.dir, unique('oras'));
      await mkdir(work, { recursive: true });
      const payload = randomBytes(100_000).toString('base64');
      await writeFile(join(work, 'payload.txt'), payload);
      await runOk('oras', ['push', ...common, '--artifact-type', 'application/vnd.berth.test', `${repo}:v1`, 'payload.txt:text/plain'], { env: ws.env, cwd: work });
      const out = join(work, 'out');
      await runOk('oras', ['pull', ...common, '-o', out, `${repo}:v1`], { env: ws.env, cwd: work });
      expect(await readFile(join(out, 'payload.txt'), 'utf8')).toBe(payload);
      await writeFile(join(work, 'sig.txt'), 'signature');
      await runOk('oras', ['attach', ...common, '--artifact-type', 'application/vnd.berth.signature', `${repo}:v1`, 'sig.txt:text/plain'], { env: ws.env, cwd: work });
      const found = JSON.parse(await runOk('oras', ['discover', ...common, '--format', 'json', `${repo}:v1`], { env: ws.env, cwd: work }));
      const referrers = found.referrers ?? found.manifests ?? [];
      expect(referrers).toHaveLength(1);
      expect(referrers[0].artifactType).toBe('application/vnd.berth.signature');
    });

    test('helm: package a chart, push to oci://, pull it back', async () => {
      const work = join(ws.dir, unique('helm'));
      const chart = join(work, 'berth-demo');
      await mkdir(join(chart, 'templates'), { recursive: true });
      await writeFile(join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: berth-demo\nversion: 0.1.0\ndescription: demo chart\n');
      await writeFile(join(chart, 'templates', 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo\ndata:\n  k: v\n');
      if (t.username) {
        await runOk('helm', ['registry', 'login', t.host, '--insecure', '-u', t.username, '--password-stdin'], { env: ws.env, input: t.password ?? '' });
      }
      await runOk('helm', ['package', chart, '-d', work], { env: ws.env });
      const ns = unique('charts');
      const pushed = await run('helm', ['push', join(work, 'berth-demo-0.1.0.tgz'), `oci://${t.host}/${ns}`, '--plain-http'], { env: ws.env });
      expect(pushed.code).toBe(0);
      expect(pushed.stdout + pushed.stderr).toContain(`Pushed: ${t.host}/${ns}/berth-demo:0.1.0`);
      const dest = join(work, 'pulled');
      await mkdir(dest);
      await runOk('helm', ['pull', `oci://${t.host}/${ns}/berth-demo`, '--version', '0.1.0', '--plain-http', '-d', dest], { env: ws.env });
      const original = await readFile(join(work, 'berth-demo-0.1.0.tgz'));
      const pulled = await readFile(join(dest, 'berth-demo-0.1.0.tgz'));
      expect(createHash('sha256').update(pulled).digest('hex')).toBe(createHash('sha256').update(original).digest('hex'));
    });

    test('regctl: image copy between repositories and referrers listing', async () => {
      const reg = ['--host', `reg=${t.host},tls=disabled${t.username ? `,user=${t.username},pass=${t.password}` : ''}`];
      const src = join(ws.dir, unique('regctl-src'));
      const layout = new OciLayout(src);
      const top = layout.image({ layers: 1 });
      await layout.write(top, 'v1');
      const a = `${t.host}/${unique('regctl/a')}`;
      const b = `${t.host}/${unique('regctl/b')}`;
      await runOk('regctl', ['image', 'copy', ...reg, `ocidir://${src}:v1`, `${a}:v1`], { env: ws.env });
      await runOk('regctl', ['image', 'copy', ...reg, `${a}:v1`, `${b}:v1`], { env: ws.env });
      expect((await runOk('regctl', ['image', 'digest', ...reg, `${b}:v1`], { env: ws.env })).trim()).toBe(top.digest);
      const note = join(ws.dir, unique('note'));
      await writeFile(note, 'reviewed');
      await runOk('regctl', ['artifact', 'put', ...reg, '--subject', `${b}:v1`, '--artifact-type', 'application/vnd.berth.review', '-f', note, '--file-media-type', 'text/plain', `${b}`], { env: ws.env });
      const listed = JSON.parse(await runOk('regctl', ['artifact', 'list', ...reg, `${b}:v1`, '--format', '{{json .}}'], { env: ws.env }));
      const descriptors = listed.manifests ?? listed.descriptors ?? listed.Descriptors ?? [];
      expect(descriptors.map((d: { artifactType: string }) => d.artifactType)).toEqual(['application/vnd.berth.review']);
    });

    test('cosign: sign with a local key offline and verify', async () => {
      const work = join(ws.dir, unique('cosign'));
      await mkdir(work, { recursive: true });
      await runOk('cosign', ['generate-key-pair'], { env: ws.env, cwd: work });
      const src = join(ws.dir, unique('cosign-src'));
      const layout = new OciLayout(src);
      const top = layout.image({ layers: 1 });
      await layout.write(top, 'v1');
      const repo = `${t.host}/${unique('signed/app')}`;
      const auth = creds();
      await runOk('skopeo', ['copy', '--dest-tls-verify=false', ...(auth ? ['--dest-creds', auth] : []), `oci:${src}:v1`, `docker://${repo}:v1`], { env: ws.env });
      const insecure = ['--allow-http-registry', '--allow-insecure-registry'];
      await runOk('cosign', ['sign', '--key', 'cosign.key', '--tlog-upload=false', '-y', ...insecure, `${repo}@${top.digest}`], { env: ws.env, cwd: work });
      const verified = await runOk('cosign', ['verify', '--key', 'cosign.pub', '--insecure-ignore-tlog', ...insecure, `${repo}@${top.digest}`], { env: ws.env, cwd: work });
      expect(JSON.parse(verified)[0].critical.image['docker-manifest-digest']).toBe(top.digest);
      const wrong = await run('cosign', ['verify', '--key', 'cosign.pub', '--insecure-ignore-tlog', ...insecure, `${repo}:v1-unsigned-missing`], { env: ws.env, cwd: work });
      expect(wrong.code).not.toBe(0);
    });
  });
}
