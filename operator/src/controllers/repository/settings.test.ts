import { API_VERSION, type Repository } from '../../api/types.js';
import { parseQuantityBytes, repositoriesBlock, repositorySettings } from './settings.js';

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

  test('specs the registry would refuse are terminal errors naming the field', () => {
    expect(() => repositorySettings(repository('a/b', { retention: { untaggedOlderThan: '1d' } }))).toThrow('spec.retention.untaggedOlderThan');
    expect(() => repositorySettings(repository('a/b', { quota: { size: 'lots' } }))).toThrow('spec.quota.size');
    expect(() => repositorySettings(repository('a/b', { immutability: { enabled: true, tagPatterns: ['bad pattern!'] } }))).toThrow('spec: immutableTags.0');
  });

  test('the block for one registry: its own live repositories, sorted, invalid ones set aside', () => {
    const gone = repository('zeta/app');
    gone.metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
    const { entries, invalid } = repositoriesBlock('main', [
      repository('team-b/app'), repository('team-a/app'), repository('other/app', {}, 'second'), gone,
      repository('broken/app', { quota: { size: 'lots' } }),
    ]);
    expect(entries.map((e) => e.match)).toEqual(['team-a/app', 'team-b/app']);
    expect(invalid.map((i) => i.repository.spec.name)).toEqual(['broken/app']);
  });
});
