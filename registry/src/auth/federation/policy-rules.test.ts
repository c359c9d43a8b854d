// Policy rules that name federated identities: issuer, subject and claim globs,
// what "*" and "anonymous" mean for them, and the matchers the file refuses.
import { parsePolicy, PolicyError } from '../policy.js';
import { claimRecord, type FederatedPrincipal } from './principal.js';

const POLICY = `
rules:
  - name: team-a/ci-main
    federated:
      - issuer: github
        claims: { repository: acme/team-a, ref: refs/heads/main }
    repositories: ["team-a/*"]
    actions: [pull, push]
  - name: team-a/release
    federated:
      - issuer: github
        claims: { repository: acme/team-a, environment: production, workflow: [release, hotfix-*] }
    repositories: ["team-a/release/**"]
    actions: [push]
  - name: team-a/web-pull
    federated:
      - issuer: cluster
        subject: "system:serviceaccount:team-a-*:web"
        claims: { serviceAccountUID: 5c3b0f2e-0000-4000-8000-000000000001 }
    repositories: ["team-a/**"]
    actions: [pull]
  - subjects: ["*"]
    repositories: ["robots-only/**"]
    actions: [pull]
  - subjects: [anonymous]
    repositories: ["public/**"]
    actions: [pull]
`;

function principal(issuer: string, subject: string, claims: Record<string, string>): FederatedPrincipal {
  return { issuer, subject, claims: claimRecord(Object.entries(claims)), audit: {}, validUntil: Date.now() + 60_000 };
}

const github = (claims: Record<string, string>) => principal('github', `repo:${claims.repository}:ref:${claims.ref}`, claims);

describe('federated policy rules', () => {
  const policy = parsePolicy(POLICY);

  test('a repository and branch may push team-a/*; another branch or repository may not', () => {
    const main = github({ repository: 'acme/team-a', ref: 'refs/heads/main' });
    expect([...policy.federatedRepositoryActions(main, 'team-a/app')].sort()).toEqual(['pull', 'push']);
    expect(policy.allowsFederated(main, 'repository', 'team-a/deep/app', 'push')).toBe(false);
    expect(policy.allowsFederated(github({ repository: 'acme/team-a', ref: 'refs/heads/feature' }), 'repository', 'team-a/app', 'push')).toBe(false);
    expect(policy.allowsFederated(github({ repository: 'acme/team-b', ref: 'refs/heads/main' }), 'repository', 'team-a/app', 'push')).toBe(false);
    expect(policy.allowsFederated(github({ repository: 'acme/team-a-fork', ref: 'refs/heads/main' }), 'repository', 'team-a/app', 'push')).toBe(false);
  });

  test('every claim must match, list values are alternatives, and globs match whole values', () => {
    const release = (workflow: string, environment = 'production') =>
      principal('github', 'repo:acme/team-a:environment:production', { repository: 'acme/team-a', environment, workflow });
    expect(policy.allowsFederated(release('release'), 'repository', 'team-a/release/app', 'push')).toBe(true);
    expect(policy.allowsFederated(release('hotfix-42'), 'repository', 'team-a/release/app', 'push')).toBe(true);
    expect(policy.allowsFederated(release('release-candidate'), 'repository', 'team-a/release/app', 'push')).toBe(false);
    expect(policy.allowsFederated(release('release', 'staging'), 'repository', 'team-a/release/app', 'push')).toBe(false);
    expect(policy.allowsFederated(principal('github', 'x', { repository: 'acme/team-a', workflow: 'release' }), 'repository', 'team-a/release/app', 'push')).toBe(false);
  });

  test('a ServiceAccount matches by issuer, subject glob and uid; a recreated one (new uid) does not', () => {
    const sa = (ns: string, uid: string, issuer = 'cluster') =>
      principal(issuer, `system:serviceaccount:${ns}:web`, { namespace: ns, serviceAccount: 'web', serviceAccountUID: uid });
    const uid = '5c3b0f2e-0000-4000-8000-000000000001';
    expect(policy.allowsFederated(sa('team-a-web', uid), 'repository', 'team-a/x/y', 'pull')).toBe(true);
    expect(policy.allowsFederated(sa('team-a-web', uid), 'repository', 'team-a/x/y', 'push')).toBe(false);
    expect(policy.allowsFederated(sa('team-a-web', '5c3b0f2e-0000-4000-8000-000000000002'), 'repository', 'team-a/x', 'pull')).toBe(false);
    expect(policy.allowsFederated(sa('team-b-web', uid), 'repository', 'team-a/x', 'pull')).toBe(false);
    expect(policy.allowsFederated(sa('team-a-web', uid, 'github'), 'repository', 'team-a/x', 'pull')).toBe(false);
  });

  test('"*" (every robot and the admin) does not cover federated identities; anonymous grants do', () => {
    const anyone = github({ repository: 'stranger/repo', ref: 'refs/heads/main' });
    expect(policy.allowsFederated(anyone, 'repository', 'robots-only/x', 'pull')).toBe(false);
    expect(policy.allows('some-robot', 'repository', 'robots-only/x', 'pull')).toBe(true);
    expect(policy.allowsFederated(anyone, 'repository', 'public/x', 'pull')).toBe(true);
    expect(policy.allowsFederated(anyone, 'registry', 'catalog', '*')).toBe(false);
  });

  test('a claim named like an Object.prototype member is only ever the token\'s own claim', () => {
    const p = parsePolicy(`rules: [{federated: [{issuer: x, claims: {constructor: "*a*"}}], repositories: ["c/*"], actions: [pull]}]`);
    expect(p.allowsFederated(principal('x', 's', {}), 'repository', 'c/d', 'pull')).toBe(false);
    expect(p.allowsFederated(principal('x', 's', { constructor: 'bar' }), 'repository', 'c/d', 'pull')).toBe(true);
  });

  test.each([
    ['an issuer alone', '{issuer: github}'],
    ['only wildcards', '{issuer: github, subject: "*", claims: {repository: "**", ref: "?*"}}'],
    ['an empty claim list', '{issuer: github, claims: {repository: []}}'],
    ['an unknown key', '{issuer: github, subject: x, audience: y}'],
  ])('a matcher with %s is refused', (_what, matcher) => {
    expect(() => parsePolicy(`rules: [{federated: [${matcher}], repositories: ["a/*"], actions: [pull]}]`)).toThrow(PolicyError);
  });

  test('a rule with neither subjects nor federated identities is refused', () => {
    expect(() => parsePolicy('rules: [{repositories: ["a/*"], actions: [pull]}]')).toThrow(/rules\.0\.subjects: a rule needs subjects, robotPrefixes or federated identities/);
  });
});
