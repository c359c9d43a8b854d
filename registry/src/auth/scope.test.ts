import { formatScope, mergeAccess, parseScope, parseScopes } from './scope.js';

describe('token scopes', () => {
  test.each([
    ['repository:team-a/app:pull', { type: 'repository', name: 'team-a/app', actions: ['pull'] }],
    ['repository:team-a/app:pull,push', { type: 'repository', name: 'team-a/app', actions: ['pull', 'push'] }],
    ['repository:app:*', { type: 'repository', name: 'app', actions: ['*'] }],
    ['repository(plugin):app:pull', { type: 'repository', name: 'app', actions: ['pull'] }],
    ['repository:app:pull,bogus,pull', { type: 'repository', name: 'app', actions: ['pull'] }],
    ['registry:catalog:*', { type: 'registry', name: 'catalog', actions: ['*'] }],
  ])('%s parses', (scope, expected) => {
    expect(parseScope(scope)).toEqual(expected);
  });

  test.each(['', 'repository', 'repository:app', 'repository:Bad_Name:pull', 'registry:other:*', 'unknown:x:pull', 'repository:a//b:pull'])('%j is ignored', (scope) => {
    expect(parseScope(scope)).toBeUndefined();
  });

  test('repeated and space-separated scopes merge per resource', () => {
    expect(parseScopes(['repository:a:pull repository:b:push', 'repository:a:push', 'nonsense'])).toEqual([
      { type: 'repository', name: 'a', actions: ['pull', 'push'] },
      { type: 'repository', name: 'b', actions: ['push'] },
    ]);
  });

  test('format round-trips, and merging keeps one entry per resource', () => {
    const list = mergeAccess([
      { type: 'repository', name: 'x', actions: ['pull'] },
      { type: 'repository', name: 'x', actions: ['push'] },
      { type: 'registry', name: 'catalog', actions: ['*'] },
    ]);
    expect(list.map(formatScope)).toEqual(['repository:x:pull,push', 'registry:catalog:*']);
  });
});
