import { parseChallenge } from './challenge.js';

test('Bearer challenges with quoted, escaped and bare parameters', () => {
  expect(parseChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"'))
    .toEqual({ scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/alpine:pull' } });
  expect(parseChallenge('bearer realm="a\\"b", service=svc, error="insufficient_scope"'))
    .toEqual({ scheme: 'bearer', params: { realm: 'a"b', service: 'svc', error: 'insufficient_scope' } });
  expect(parseChallenge('Basic realm="Registry Realm"')).toEqual({ scheme: 'basic', params: { realm: 'Registry Realm' } });
});

test('nothing usable: missing, unknown schemes', () => {
  expect(parseChallenge(undefined)).toBeUndefined();
  expect(parseChallenge('Negotiate abc')).toBeUndefined();
});
