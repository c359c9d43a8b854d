// Real clients with credentials: the shared client suite (skopeo, crane, oras,
// helm registry login, regctl, cosign) signed in as a robot, then what clients
// see at the policy's edges: anonymous pulls of public repositories through the
// anonymous token flow, and clear refusals for pushes the policy does not allow.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRegistryProcess, type RegistryProcess } from '../harness/registry-process.js';
import { run, runOk } from '../harness/tools.js';
import { tarOf } from '../harness/oci-layout.js';
import { authWorkspace, robot } from '../registry/auth/fixtures.js';
import { runClientSuite } from './client-suite.js';

const writer = { username: 'ci-writer', password: 'writer-secret' };
const reader = { username: 'ci-reader', password: 'reader-secret' };
let registry: RegistryProcess;

beforeAll(async () => {
  const ws = await authWorkspace();
  await ws.writePolicy({
    robots: [await robot(writer.username, { secret: writer.password }), await robot(reader.username, { secret: reader.password })],
    rules: [
      { subjects: [writer.username], repositories: ['**'], actions: ['*'] },
      { subjects: [reader.username], repositories: ['**'], actions: ['pull'] },
    ],
    anonymousPull: ['public/**'],
    catalog: [writer.username],
  });
  registry = await startRegistryProcess({ config: ws.config() });
});

afterAll(async () => {
  await registry?.stop();
});

runClientSuite('filesystem, robot credentials', () => ({ host: registry.host, ...writer }));

describe('real clients at the policy edges', () => {
  let env: NodeJS.ProcessEnv;
  let layer: string;

  beforeAll(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-auth-client-'));
    env = { HOME: dir, DOCKER_CONFIG: join(dir, 'docker'), HELM_REGISTRY_CONFIG: join(dir, 'docker', 'config.json'), HELM_CONFIG_HOME: join(dir, 'helm'), HELM_CACHE_HOME: join(dir, 'helm-cache') };
    layer = join(dir, 'layer.tar');
    await writeFile(layer, tarOf('hello.txt', Buffer.from('public content\n')));
    // Publish as the writer (its own Docker config), then act anonymously with an empty one.
    const writerEnv = { ...env, DOCKER_CONFIG: join(dir, 'writer') };
    await runOk('crane', ['auth', 'login', registry.host, '-u', writer.username, '-p', writer.password], { env: writerEnv });
    await runOk('crane', ['append', '-f', layer, '-t', `${registry.host}/public/app:v1`], { env: writerEnv });
  });

  test('crane and skopeo pull a public repository anonymously (anonymous token)', async () => {
    expect((await runOk('crane', ['digest', `${registry.host}/public/app:v1`], { env })).trim()).toMatch(/^sha256:/);
    const inspect = JSON.parse(await runOk('skopeo', ['inspect', '--tls-verify=false', `docker://${registry.host}/public/app:v1`], { env }));
    expect(inspect.Layers).toHaveLength(1);
  });

  test('anonymous push and anonymous pull of a private repository are refused as unauthorized', async () => {
    const push = await run('crane', ['append', '-f', layer, '-t', `${registry.host}/public/app:v2`], { env });
    expect(push.code).not.toBe(0);
    expect(push.stderr).toMatch(/UNAUTHORIZED|DENIED/);
    const pull = await run('skopeo', ['inspect', '--tls-verify=false', `docker://${registry.host}/private/app:v1`], { env });
    expect(pull.code).not.toBe(0);
    expect(pull.stderr).toMatch(/unauthorized|authentication required/i);
  });

  test('a read-only robot pulls but its push is denied', async () => {
    const creds = `${reader.username}:${reader.password}`;
    const inspect = JSON.parse(await runOk('skopeo', ['inspect', '--tls-verify=false', '--creds', creds, `docker://${registry.host}/public/app:v1`], { env }));
    expect(inspect.Layers).toHaveLength(1);
    const push = await run('skopeo', ['copy', '--src-tls-verify=false', '--dest-tls-verify=false', '--src-creds', creds, '--dest-creds', creds, `docker://${registry.host}/public/app:v1`, `docker://${registry.host}/reader/copy:v1`], { env });
    expect(push.code).not.toBe(0);
    expect(push.stderr).toMatch(/denied|unauthorized/i);
  });

  test('helm registry login refuses a wrong password and accepts the right one', async () => {
    const bad = await run('helm', ['registry', 'login', registry.host, '--insecure', '-u', reader.username, '--password-stdin'], { env, input: 'wrong' });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr + bad.stdout).toMatch(/unauthorized|401|invalid/i);
    const good = await run('helm', ['registry', 'login', registry.host, '--insecure', '-u', reader.username, '--password-stdin'], { env, input: reader.password });
    expect(good.code).toBe(0);
    expect(good.stdout + good.stderr).toContain('Login Succeeded');
  });
});
