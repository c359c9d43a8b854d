import { parsePolicyFile } from '#contract/auth/policy-file.js';
import { verifySecret } from '#contract/auth/secret-hash.js';
import type { AccessPolicy } from '../../api/types.js';
import { mintSecret } from './credentials.js';
import { readDockerConfig, registryHosts, renderDockerConfig } from './dockerconfig.js';
import { renderPolicyFile, secretData, stateFromSecret, type RegistryPolicyState } from './state.js';
import { registry } from '../registry/fixtures.test-support.js';

const policy = (name: string, spec: Partial<AccessPolicy['spec']> = {}): AccessPolicy => ({
  apiVersion: 'berth.dev/v1alpha1', kind: 'AccessPolicy', metadata: { name, namespace: 'team', uid: `uid-${name}` },
  spec: { registryRef: { name: 'main' }, namespaces: { names: ['app'] }, repositories: ['team-a/*'], actions: ['pull'], ...spec },
});

describe('registry policy file', () => {
  it('renders robots with hashes only and one rule per policy, accepted by the registry', async () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    const a = await mintSecret(new Date(now));
    const old = await mintSecret(new Date(now - 1000));
    const state: RegistryPolicyState = {
      robots: {
        'ap/readers/app': { policy: 'readers', namespace: 'app', secrets: [{ ...old.stored, activatedAt: 'x', expiresAt: new Date(now + 60_000).toISOString() }, { ...a.stored, activatedAt: 'x' }] },
        'ap/writers/ci': { policy: 'writers', namespace: 'ci', secrets: [] },
        'ap/deleted/app': { policy: 'deleted', namespace: 'app', secrets: [] },
      },
      policies: {},
    };
    const file = renderPolicyFile(state, [policy('readers'), policy('writers', { actions: ['pull', 'push'], repositories: ['ci/**'] })], now);
    expect(file.robots!.map((r) => r.name)).toEqual(['ap/readers/app', 'ap/writers/ci']);
    expect(file.rules).toEqual([
      { name: 'accesspolicy/team/readers', subjects: ['ap/readers/app'], repositories: ['team-a/*'], actions: ['pull'] },
      { name: 'accesspolicy/team/writers', subjects: ['ap/writers/ci'], repositories: ['ci/**'], actions: ['pull', 'push'] },
    ]);
    const text = JSON.stringify(file);
    expect(text).not.toContain(a.password);
    expect(text).not.toContain(a.stored.digest);

    // What the registry reads: the file passes the contract's validation as rendered.
    const parsed = parsePolicyFile(text);
    expect(parsed.rules.map((r) => [r.subjects, r.repositories, r.actions])).toEqual([
      [['ap/readers/app'], ['team-a/*'], ['pull']],
      [['ap/writers/ci'], ['ci/**'], ['pull', 'push']],
    ]);
    const secrets = parsed.robots.find((r) => r.name === 'ap/readers/app')!.secrets;
    expect(secrets.map((s) => (s.expiresAt ? Date.parse(s.expiresAt) : Infinity))).toEqual([now + 60_000, Infinity]);
    expect(await verifySecret(a.password, secrets[1].hash)).toBe(true);
  });

  it('round-trips the state through the Secret, and starts over from unreadable state', () => {
    const state: RegistryPolicyState = { robots: { 'ap/p/n': { policy: 'p', namespace: 'n', secrets: [] } }, policies: { p: { rotateToken: 't' } } };
    expect(stateFromSecret(secretData(state, [], 0))).toEqual(state);
    expect(stateFromSecret({ 'state.json.gz': Buffer.from('{oops').toString('base64') })).toEqual({ robots: {}, policies: {} });
    expect(stateFromSecret(undefined)).toEqual({ robots: {}, policies: {} });
  });
});

describe('dockerconfigjson', () => {
  it('covers the Service names with the port, plus additional hosts', () => {
    expect(registryHosts(registry(), policy('p', { additionalHosts: ['registry.example.com'] }))).toEqual([
      'main.team.svc:5000', 'main.team.svc.cluster.local:5000', 'main.team:5000', 'registry.example.com',
    ]);
  });

  it('reads back the credential it wrote, and nothing from foreign or broken content', () => {
    const cred = { username: 'ap/p/n', password: 's3cret' };
    const b64 = Buffer.from(renderDockerConfig(['h:5000'], cred)).toString('base64');
    expect(readDockerConfig(b64, 'ap/p/n')).toEqual(cred);
    expect(readDockerConfig(b64, 'ap/p/other')).toBeUndefined();
    expect(readDockerConfig(Buffer.from('not json').toString('base64'), 'ap/p/n')).toBeUndefined();
    const authOnly = Buffer.from(JSON.stringify({ auths: { h: { auth: Buffer.from('ap/p/n:pw').toString('base64') } } })).toString('base64');
    expect(readDockerConfig(authOnly, 'ap/p/n')).toEqual({ username: 'ap/p/n', password: 'pw' });
  });
});
