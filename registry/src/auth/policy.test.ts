import { parsePolicy, PolicyError } from './policy.js';
import { hashSecret } from '#contract/auth/secret-hash.js';
import { FAST_HASH } from '../../../test/registry/auth/fixtures.js';

describe('policy file', () => {
  let hash: string;
  beforeAll(async () => {
    hash = await hashSecret('x', FAST_HASH);
  });

  const doc = () => `
robots:
  - name: ci-a
    secrets: [{hash: "${hash}"}, {hash: "${hash}", expiresAt: "2030-01-01T00:00:00Z"}]
  - name: ci-b
    secrets: [{hash: "${hash}"}]
rules:
  - name: team-a/push
    subjects: [ci-a]
    repositories: ["team-a/**"]
    actions: [pull, push]
  - subjects: [ci-b, anonymous]
    repositories: ["shared/*"]
    actions: [pull]
  - subjects: ["*"]
    repositories: ["scratch/**"]
    actions: ["*"]
anonymousPull: ["public/**"]
catalog: [ci-b]
`;

  test('rules grant actions per subject and pattern', () => {
    const p = parsePolicy(doc());
    expect(p.robotCount).toBe(2);
    expect(p.ruleCount).toBe(3);
    expect([...p.repositoryActions('ci-a', 'team-a/app')].sort()).toEqual(['pull', 'push']);
    expect([...p.repositoryActions('ci-a', 'team-a/deep/app')].sort()).toEqual(['pull', 'push']);
    expect([...p.repositoryActions('ci-b', 'team-a/app')]).toEqual([]);
    expect([...p.repositoryActions('ci-b', 'shared/x')]).toEqual(['pull']);
    expect([...p.repositoryActions('anonymous', 'shared/x')]).toEqual(['pull']);
    expect([...p.repositoryActions('anonymous', 'shared/x/y')]).toEqual([]);
  });

  test('what anonymous may do, every identity may', () => {
    const p = parsePolicy(doc());
    expect([...p.repositoryActions('ci-a', 'shared/x')]).toEqual(['pull']);
    expect(parsePolicy('catalog: [anonymous]').allows('someone', 'registry', 'catalog', '*')).toBe(true);
  });

  test('"*" subjects are every authenticated identity, never anonymous; "*" actions are all three', () => {
    const p = parsePolicy(doc());
    expect([...p.repositoryActions('ci-a', 'scratch/z')].sort()).toEqual(['delete', 'pull', 'push']);
    expect(p.allows('ci-b', 'repository', 'scratch/z', '*')).toBe(true);
    expect(p.allows('ci-a', 'repository', 'team-a/app', '*')).toBe(false);
    expect([...p.repositoryActions('anonymous', 'scratch/z')]).toEqual([]);
  });

  test('anonymous pull applies to everyone, and config patterns merge in', () => {
    const p = parsePolicy(doc(), 'policy', ['config-public']);
    for (const subject of ['anonymous', 'ci-a', 'ci-b']) {
      expect(p.allows(subject, 'repository', 'public/app', 'pull')).toBe(true);
      expect(p.allows(subject, 'repository', 'public/app', 'push')).toBe(false);
      expect(p.allows(subject, 'repository', 'config-public', 'pull')).toBe(true);
    }
  });

  test('catalog is granted only to listed subjects', () => {
    const p = parsePolicy(doc());
    expect(p.allows('ci-b', 'registry', 'catalog', '*')).toBe(true);
    expect(p.allows('ci-a', 'registry', 'catalog', '*')).toBe(false);
    expect(p.allows('anonymous', 'registry', 'catalog', '*')).toBe(false);
  });

  test('robot secrets keep their expiry', () => {
    const p = parsePolicy(doc());
    expect(p.robotSecrets('ci-a')!.map((s) => s.expiresAt)).toEqual([Infinity, Date.parse('2030-01-01T00:00:00Z')]);
    expect(p.robotSecrets('nobody')).toBeUndefined();
  });

  test('JSON is accepted; {} is an empty policy, but an empty file (caught mid-write) is refused', () => {
    const p = parsePolicy(JSON.stringify({ rules: [{ subjects: ['r'], repositories: ['**'], actions: ['pull'] }] }));
    expect(p.allows('r', 'repository', 'any/thing', 'pull')).toBe(true);
    expect(parsePolicy('{}').ruleCount).toBe(0);
    expect(() => parsePolicy(' \n')).toThrow('the file is empty');
  });

  test.each([
    ['robots: [{name: a, secrets: [{hash: nope}]}]', 'robots.0.secrets.0.hash'],
    ['robots: [{name: "a:b"}]', 'robots.0.name'],
    ['robots: [{name: anonymous}]', 'reserved'],
    ['robots: [{name: a}, {name: a}]', 'duplicate robot a'],
    ['rules: [{subjects: [], repositories: ["**"], actions: [pull]}]', 'rules.0.subjects'],
    ['rules: [{subjects: [a], repositories: ["Bad//"], actions: [pull]}]', 'rules.0.repositories.0'],
    ['rules: [{subjects: [a], repositories: ["**"], actions: [write]}]', 'rules.0.actions.0'],
    ['rules: [{subjects: [a], repositories: ["**"], actions: [pull], extra: 1}]', 'extra'],
    ['anonymousPull: "public/**"', 'anonymousPull'],
    ['robots: [{name: a, secrets: [{hash: x, expiresAt: tomorrow}]}]', 'expiresAt'],
    ['{ unclosed', 'invalid YAML'],
  ])('%s is refused naming %s', (text, where) => {
    expect(() => parsePolicy(text, 'p.yaml')).toThrow(PolicyError);
    expect(() => parsePolicy(text, 'p.yaml')).toThrow(where);
  });
});
