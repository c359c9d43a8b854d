import { API_VERSION, type Repository } from '../../api/types.js';
import { repositorySecuritySchema } from '#contract/config/security.js';
import { parseQuantityBytes, renderRepository, repositoriesBlock, repositorySettings } from './settings.js';

function repository(name: string, spec: Partial<Repository['spec']> = {}, registry = 'main'): Repository {
  return {
    apiVersion: API_VERSION, kind: 'Repository',
    metadata: { name: name.replace(/\//g, '-'), namespace: 'apps' },
    spec: { registryRef: { name: registry }, name, ...spec },
  };
}

describe('repository settings', () => {
  test('quantities', () => {
    expect(parseQuantityBytes('10Gi')).toBe(10 * 2 ** 30);
    expect(parseQuantityBytes('1.5G')).toBe(1_500_000_000);
    expect(parseQuantityBytes('500000')).toBe(500_000);
    expect(parseQuantityBytes('2k')).toBe(2000);
    expect(() => parseQuantityBytes('10 GB')).toThrow('invalid quantity');
  });

  test('a full spec becomes the registry entry', () => {
    expect(repositorySettings(repository('team-a/api', {
      visibility: 'public',
      immutability: { enabled: true, tagPatterns: ['v*'] },
      retention: { keepLastTags: 5, keepTagPatterns: ['release-*'], untaggedOlderThan: '168h', dryRun: false },
      quota: { size: '2Gi' },
    }))).toEqual({
      match: 'team-a/api', anonymousPull: true, immutableTags: ['v*'],
      retention: { keepLastTags: 5, keepTagPatterns: ['release-*'], untaggedOlderThanSeconds: 604800, dryRun: false },
      quotaBytes: 2 * 2 ** 30,
    });
  });

  test('defaults: private, immutability of every tag when no pattern is given, retention in dry run', () => {
    expect(repositorySettings(repository('team-a/web', { immutability: { enabled: true }, retention: { keepLastTags: 3 } })))
      .toEqual({ match: 'team-a/web', immutableTags: ['*'], retention: { keepLastTags: 3, dryRun: true } });
    expect(repositorySettings(repository('team-a/web', { immutability: { enabled: false, tagPatterns: ['v*'] } })))
      .toEqual({ match: 'team-a/web' });
  });

  test('specs the registry would refuse are terminal errors naming the field (the throwing form)', () => {
    expect(() => repositorySettings(repository('a/b', { retention: { untaggedOlderThan: '1d' } }))).toThrow('spec.retention.untaggedOlderThan');
    expect(() => repositorySettings(repository('a/b', { quota: { size: 'lots' } }))).toThrow('spec.quota.size');
    expect(() => repositorySettings(repository('a/b', { immutability: { enabled: true, tagPatterns: ['bad pattern!'] } }))).toThrow('spec: immutableTags.0');
  });

  test('the block for one registry: its own live repositories, sorted, invalid ones rendered fail-closed and listed', () => {
    const gone = repository('zeta/app');
    gone.metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
    const { entries, invalid } = repositoriesBlock('main', [
      repository('team-b/app'), repository('team-a/app'), repository('other/app', {}, 'second'), gone,
      repository('broken/app', { quota: { size: 'lots' } }),
    ]);
    expect(entries.map((e) => e.match)).toEqual(['broken/app', 'team-a/app', 'team-b/app']);
    expect(entries[0]).toEqual({ match: 'broken/app' });
    expect(invalid.map((i) => [i.repository.spec.name, i.reason])).toEqual([['broken/app', expect.stringContaining('spec.quota.size')]]);
  });
});

describe('an invalid spec.security fails closed: every pull refused, never the policy dropped', () => {
  const KEYS = ['release', 'second'];
  const render = (security: unknown, spec: Partial<Repository['spec']> = {}) =>
    renderRepository(repository('prod/app', { ...spec, security: security as Repository['spec']['security'] }), KEYS);

  test.each([
    ['an unknown severity', { preventVulnerable: { severity: 'Severe' } }, 'spec.security: preventVulnerable.severity'],
    ['an allowlist expiry that is no date', { cveAllowlist: [{ id: 'CVE-2099-1', expires: '2026-13-45' }] }, 'spec.security: cveAllowlist.0.expires: expected YYYY-MM-DD or an RFC 3339 time'],
    ['minSignatures below 1', { requireSignature: { keys: ['release'], minSignatures: 0 } }, 'spec.security: requireSignature.minSignatures'],
    ['a key the Registry does not trust', { requireSignature: { keys: ['release', 'stolen'] } }, "spec.security.requireSignature.keys: stolen not among the Registry's spec.security.trust.keys"],
    ['a maxPendingScan that is no duration', { preventVulnerable: { maxPendingScan: '5 minutes' } }, 'spec.security.preventVulnerable.maxPendingScan'],
    ['a misspelt policy', { requireSignatures: { keys: ['release'] } }, 'spec.security.requireSignatures: unknown field'],
    ['a misspelt field in a policy', { requireSignature: { keys: ['release'], minSignature: 2 } }, 'spec.security.requireSignature.minSignature: unknown field'],
  ])('%s', (_label, security, problem) => {
    const { entry, problems } = render(security, { immutability: { enabled: true }, quota: { size: '1Gi' } });
    expect(problems).toEqual([expect.stringContaining(problem)]);
    expect(problems[0]).toContain('every pull of its images is refused until it is fixed');
    // The rest of the spec is rendered as written; the policy becomes a refusal, which the registry accepts.
    expect(entry).toEqual({ match: 'prod/app', immutableTags: ['*'], quotaBytes: 2 ** 30, security: { denyAll: { reason: expect.stringContaining(problem) } } });
    expect(entry.security?.denyAll?.reason).toMatch(/^Repository apps\/prod-app: /);
    expect(repositorySecuritySchema.parse(entry.security).denyAll).toBeDefined();
    // The throwing form names the same problem.
    expect(() => repositorySettings(repository('prod/app', { security: security as Repository['spec']['security'] }), KEYS)).toThrow(problem);
  });

  test('a valid policy is rendered as written, with nothing to report', () => {
    const { entry, problems } = render({ requireSignature: { keys: KEYS, minSignatures: 2 } });
    expect(problems).toEqual([]);
    expect(entry.security).toEqual({ requireSignature: { keys: KEYS, minSignatures: 2, mode: 'Enforce' }, cveAllowlist: [] });
  });

  test('another invalid part never takes the policy with it', () => {
    const { entry, problems } = render({ requireSignature: { keys: ['release'] } }, { retention: { untaggedOlderThan: '1d' }, immutability: { enabled: true, tagPatterns: ['bad pattern!'] } });
    expect(entry).toEqual({ match: 'prod/app', immutableTags: ['*'], security: { requireSignature: { keys: ['release'], minSignatures: 1, mode: 'Enforce' }, cveAllowlist: [] } });
    expect(problems).toEqual([
      expect.stringMatching(/^spec\.retention\.untaggedOlderThan: .*; retention deletes nothing until it is fixed$/),
      expect.stringMatching(/^spec: immutableTags\.0: .*; every tag is immutable until it is fixed$/),
    ]);
  });

  test('a name the registry refuses cannot be rendered at all: a terminal error', () => {
    expect(() => renderRepository(repository('Bad Name', { security: { requireSignature: { keys: ['release'] } } }), KEYS)).toThrow('spec: match');
  });
});
