import { gzipSync } from 'node:zlib';
import { parsePolicyFile, parseRobotFile } from '#contract/auth/policy-file.js';
import { verifySecret } from '#contract/auth/secret-hash.js';
import type { AccessPolicy } from '../../api/types.js';
import { mintSecret } from './credentials.js';
import { readDockerConfig, registryHosts, renderDockerConfig } from './dockerconfig.js';
import { ROBOT_FILE_KEY, ROBOT_SHARDS, shardOf, splitRobots } from './robot-shards.js';
import { policySecretsData, renderPolicyFile, ShardDataCache, stateFromSecret, stateFromSecrets, type RegistryPolicyState, type RobotState } from './state.js';
import { registry } from '../registry/fixtures.test-support.js';

const policy = (name: string, spec: Partial<AccessPolicy['spec']> = {}): AccessPolicy => ({
  apiVersion: 'berth.dev/v1alpha1', kind: 'AccessPolicy', metadata: { name, namespace: 'team', uid: `uid-${name}` },
  spec: { registryRef: { name: 'main' }, namespaces: { names: ['app'] }, repositories: ['team-a/*'], actions: ['pull'], ...spec },
});

const b64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');

describe('registry policy file and robot shards', () => {
  it('renders one rule per policy granting its robots by prefix, and the robots (hashes only) into their shards, accepted by the registry', async () => {
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
    const policies = [policy('readers'), policy('writers', { actions: ['pull', 'push'], repositories: ['ci/**'] }), policy('idle')];
    const file = renderPolicyFile(state, policies);
    expect(file.robots).toBeUndefined();
    expect(file.rules).toEqual([
      { name: 'accesspolicy/team/readers', robotPrefixes: ['ap/readers/'], repositories: ['team-a/*'], actions: ['pull'] },
      { name: 'accesspolicy/team/writers', robotPrefixes: ['ap/writers/'], repositories: ['ci/**'], actions: ['pull', 'push'] },
    ]);
    expect(parsePolicyFile(JSON.stringify(file)).rules.map((r) => r.robotPrefixes)).toEqual([['ap/readers/'], ['ap/writers/']]);

    const data = policySecretsData(state, policies, now);
    expect(data.shards).toHaveLength(ROBOT_SHARDS);
    const robotFiles = data.shards.map((d) => parseRobotFile(b64(d[ROBOT_FILE_KEY])));
    // Each live robot in exactly the shard its name hashes to; the deleted policy's robot in none.
    expect(robotFiles.flatMap((f, i) => f.robots.map((r) => [r.name, i]))).toEqual(
      [['ap/readers/app', shardOf('ap/readers/app')], ['ap/writers/ci', shardOf('ap/writers/ci')]].sort((x, y) => Number(x[1]) - Number(y[1])));
    const secrets = robotFiles[shardOf('ap/readers/app')].robots.find((r) => r.name === 'ap/readers/app')!.secrets;
    expect(secrets.map((s) => (s.expiresAt ? Date.parse(s.expiresAt) : Infinity))).toEqual([now + 60_000, Infinity]);
    expect(await verifySecret(a.password, secrets[1].hash)).toBe(true);
    const text = JSON.stringify(file) + data.shards.map((d) => b64(d[ROBOT_FILE_KEY])).join('');
    expect(text).not.toContain(a.password);
    expect(text).not.toContain(a.stored.digest);
  });

  it('round-trips the state through the policy Secret and the shards, reads robots stored before sharding, and starts over from unreadable state', () => {
    const state: RegistryPolicyState = {
      robots: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`ap/p/n${i}`, { policy: 'p', namespace: `n${i}`, secrets: [] }])),
      policies: { p: { rotateToken: 't' } },
    };
    const data = policySecretsData(state, [], 0);
    expect(stateFromSecret(data.main)).toEqual({ robots: {}, policies: state.policies });
    expect(stateFromSecrets(data.main, data.shards)).toEqual(state);
    // Before sharding every robot was in the policy Secret's state.
    const legacy = { 'state.json.gz': gzipSync(JSON.stringify(state)).toString('base64') };
    expect(stateFromSecrets(legacy, [])).toEqual(state);
    expect(stateFromSecret({ 'state.json.gz': Buffer.from('{oops').toString('base64') })).toEqual({ robots: {}, policies: {} });
    expect(stateFromSecret(undefined)).toEqual({ robots: {}, policies: {} });
  });

  it('spreads robots over every shard by a hash of the name: a robot never moves, 10,000 robots leave each shard far below 1 MiB', async () => {
    expect(shardOf('ap/p/app-0001')).toBe(shardOf('ap/p/app-0001'));
    const { stored } = await mintSecret(new Date(0));
    const robots = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`ap/all-apps/app-${String(i).padStart(4, '0')}`,
      { policy: 'all-apps', namespace: `app-${i}`, secrets: [{ ...stored, activatedAt: 'x' }] }]));
    const shards = splitRobots(robots);
    const sizes = shards.map((s) => Object.keys(s).length);
    expect(sizes.reduce((x, y) => x + y, 0)).toBe(10_000);
    expect(Math.min(...sizes)).toBeGreaterThan(500);
    expect(Math.max(...sizes)).toBeLessThan(750);
    const data = policySecretsData({ robots, policies: {} }, [policy('all-apps')], 0);
    const stored64 = data.shards.map((d) => Object.values(d).reduce((n, v) => n + v.length, 0));
    expect(Math.max(...stored64)).toBeLessThan(400 * 1024);
    expect(Object.values(data.main).reduce((n, v) => n + v.length, 0)).toBeLessThan(1024);
  });
});

describe('rendered shard cache', () => {
  it('renders a shard again only when its robots or the live policies change, or a secret in it expires', async () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    const { stored } = await mintSecret(new Date(now));
    const robots: Record<string, RobotState> = { 'ap/p/a': { policy: 'p', namespace: 'a', secrets: [{ ...stored, activatedAt: 'x', expiresAt: new Date(now + 60_000).toISOString() }] } };
    const cache = new ShardDataCache();
    const first = cache.data('reg/0', robots, [policy('p')], now);
    expect(cache.data('reg/0', structuredClone(robots), [policy('p')], now + 1000)).toBe(first);
    expect(cache.data('reg/1', robots, [policy('p')], now)).not.toBe(first);
    expect(cache.data('reg/0', robots, [policy('p'), policy('q')], now)).not.toBe(first);
    const second = cache.data('reg/0', robots, [policy('p')], now);
    const changed = { ...robots, 'ap/p/b': { policy: 'p', namespace: 'b', secrets: [] } };
    expect(cache.data('reg/0', changed, [policy('p')], now)).not.toBe(second);
    const third = cache.data('reg/0', robots, [policy('p')], now);
    // Past the expiry the secret leaves the robot file.
    const later = cache.data('reg/0', robots, [policy('p')], now + 60_000);
    expect(later).not.toBe(third);
    expect(parseRobotFile(b64(later[ROBOT_FILE_KEY])).robots[0].secrets).toEqual([]);
    expect(parseRobotFile(b64(third[ROBOT_FILE_KEY])).robots[0].secrets).toHaveLength(1);
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
