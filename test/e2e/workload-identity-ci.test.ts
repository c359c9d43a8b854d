// CI pushes with OIDC tokens and no stored secret: a real registry process trusts
// an OIDC issuer started by the harness (discovery, JWKS, GitHub Actions' claim
// set), and crane, oras and skopeo push with the job's token as the password.
// The policy lets one repository's main branch push team-a/*, and its release
// workflow in the production environment push team-a/release/*; nothing else.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { awaitAuditLine } from '../harness/audit-log.js';
import { tarOf } from '../harness/oci-layout.js';
import { OidcIssuer, type GitHubTokenOptions } from '../harness/oidc-issuer.js';
import { startRegistryProcess, type RegistryProcess } from '../harness/registry-process.js';
import { run, runOk } from '../harness/tools.js';
import { authWorkspace, SERVICE, basic } from '../registry/auth/fixtures.js';

const AUDIENCE = 'https://berth.test';
const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());

let oidc: OidcIssuer;
let registry: RegistryProcess;
let work: string;
let layer: string;
let auditLog: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'berth-wi-ci-'));
  oidc = await OidcIssuer.start();
  const ws = await authWorkspace();
  await ws.writePolicy({
    rules: [
      { name: 'team-a main', federated: [{ issuer: 'github', claims: { repository: 'acme/team-a', ref: 'refs/heads/main' } }], repositories: ['team-a/*'], actions: ['pull', 'push'] },
      {
        name: 'team-a release',
        federated: [{ issuer: 'github', claims: { repository: 'acme/team-a', environment: 'production', job_workflow_ref: 'acme/team-a/.github/workflows/release.yaml@refs/tags/v*' } }],
        repositories: ['team-a/release/*'], actions: ['pull', 'push'],
      },
    ],
  });
  auditLog = join(ws.dir, 'audit.log');
  const base = ws.config({
    auth: { federation: { issuers: [{ name: 'github', issuer: oidc.issuer, audiences: [AUDIENCE], caFile: oidc.caFile, requiredClaims: ['repository', 'ref'] }] } },
  });
  registry = await startRegistryProcess({ config: { ...base, events: { auditLog: { enabled: true, file: auditLog } } } });
  layer = join(work, 'layer.tar');
  await writeFile(layer, tarOf('build.txt', Buffer.from('built in CI\n')));
});

afterAll(async () => {
  await registry?.stop();
  await oidc?.stop();
});

async function ciEnv(): Promise<NodeJS.ProcessEnv> {
  const home = await mkdtemp(join(work, 'job-'));
  return { HOME: home, DOCKER_CONFIG: join(home, 'docker') };
}

/** A job: logs in with its OIDC token as the password (no stored secret) and pushes with crane. */
async function cranePush(job: Omit<GitHubTokenOptions, 'audience'>, repository: string) {
  const token = await oidc.githubToken({ audience: AUDIENCE, ...job });
  const env = await ciEnv();
  await runOk('crane', ['auth', 'login', registry.host, '-u', 'oidc', '-p', token], { env });
  return run('crane', ['append', '-f', layer, '-t', `${registry.host}/${repository}`], { env });
}

describe('workload identity: CI OIDC tokens', () => {
  test('the allowed branch pushes with crane, oras and skopeo', async () => {
    const main = { repository: 'acme/team-a', ref: 'refs/heads/main' };
    const crane = await cranePush(main, 'team-a/app:1.0');
    expect(crane.stderr).not.toMatch(/DENIED|UNAUTHORIZED/);
    expect(crane.code).toBe(0);

    const token = await oidc.githubToken({ audience: AUDIENCE, ...main });
    const env = await ciEnv();
    await writeFile(join(env.HOME!, 'sbom.json'), '{"bomFormat":"CycloneDX"}');
    await runOk('oras', ['push', '--plain-http', '-u', 'oidc', '-p', token, `${registry.host}/team-a/sbom:1.0`, 'sbom.json:application/vnd.cyclonedx+json'], { env, cwd: env.HOME });
    await runOk('skopeo', ['copy', '--src-tls-verify=false', '--dest-tls-verify=false', '--src-creds', `oidc:${token}`, '--dest-creds', `oidc:${token}`,
      `docker://${registry.host}/team-a/app:1.0`, `docker://${registry.host}/team-a/app:latest`], { env });
    const tags = await fetch(`${registry.url}/v2/team-a/app/tags/list`, { headers: { Authorization: `Bearer ${token}` } });
    expect(await tags.json()).toEqual({ name: 'team-a/app', tags: ['1.0', 'latest'] });
  });

  test('another branch, a pull request, a tag and another repository are refused', async () => {
    for (const job of [
      { repository: 'acme/team-a', ref: 'refs/heads/feature-x' },
      { repository: 'acme/team-a', ref: 'refs/pull/7/merge', eventName: 'pull_request' },
      { repository: 'acme/team-a', ref: 'refs/tags/v1.0.0' },
      { repository: 'acme/team-b', ref: 'refs/heads/main' },
      { repository: 'stranger/team-a', ref: 'refs/heads/main' },
    ]) {
      const push = await cranePush(job, 'team-a/app:sneaky');
      expect(push.code).not.toBe(0);
      expect(push.stderr).toMatch(/DENIED|403 Forbidden/);
    }
    const token = await oidc.githubToken({ audience: AUDIENCE, repository: 'acme/team-a', ref: 'refs/heads/feature-x' });
    const env = await ciEnv();
    await writeFile(join(env.HOME!, 'f.txt'), 'x');
    const oras = await run('oras', ['push', '--plain-http', '-u', 'oidc', '-p', token, `${registry.host}/team-a/sbom:sneaky`, 'f.txt'], { env, cwd: env.HOME });
    expect(oras.code).not.toBe(0);
    expect(oras.stderr).toMatch(/denied|403/i);
  });

  test('the main branch may not push outside team-a/*', async () => {
    const push = await cranePush({ repository: 'acme/team-a', ref: 'refs/heads/main' }, 'team-a/release/app:1.0');
    expect(push.code).not.toBe(0);
    expect(push.stderr).toMatch(/DENIED|403 Forbidden/);
  });

  test('the release workflow, from a tag, in the production environment, pushes team-a/release/*; staging does not', async () => {
    const release = { repository: 'acme/team-a', ref: 'refs/tags/v2.1.0', workflow: 'release' };
    const prod = await cranePush({ ...release, environment: 'production' }, 'team-a/release/app:2.1.0');
    expect(prod.stderr).not.toMatch(/DENIED|UNAUTHORIZED/);
    expect(prod.code).toBe(0);
    const staging = await cranePush({ ...release, environment: 'staging' }, 'team-a/release/app:2.1.0-rc');
    expect(staging.code).not.toBe(0);
    expect(staging.stderr).toMatch(/DENIED|403 Forbidden/);
    const otherWorkflow = await cranePush({ ...release, workflow: 'build', environment: 'production' }, 'team-a/release/app:2.1.0-b');
    expect(otherWorkflow.code).not.toBe(0);
  });

  test('the registry token ends with the job token; the audit log names the run', async () => {
    const token = await oidc.githubToken({ audience: AUDIENCE, repository: 'acme/team-a', ref: 'refs/heads/main', ttlSeconds: 90 });
    const res = await fetch(`${registry.url}/auth/token?service=${SERVICE}&scope=repository:team-a/app:push,pull`, { headers: { Authorization: basic('oidc', token) } });
    const body = await res.json() as { token: string; expires_in: number };
    expect(body.expires_in).toBeLessThanOrEqual(90);
    expect(claimsOf(body.token).exp).toBeLessThanOrEqual(claimsOf(token).exp);

    const pushed = await awaitAuditLine(auditLog, (l) => l.method === 'PUT' && l.repository === 'team-a/app' && l.result === 'success');
    expect(pushed).toMatchObject({ actor: 'repo:acme/team-a:ref:refs/heads/main', identity: { issuer: 'github', jti: expect.any(String) } });
    expect(await awaitAuditLine(auditLog, (l) => l.result === 'denied' && l.repository === 'team-a/app' && l.status === 403)).toBeDefined();
  });
});
