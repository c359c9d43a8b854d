import { parsePolicyFile } from '#contract/auth/policy-file.js';
import type { AccessPolicy } from '../../api/types.js';
import { federatedEntries, federatedProblem } from './federated-identities.js';
import { renderPolicyFile, type RegistryPolicyState } from './state.js';
import { grantedNames, grantMatchers, selectServiceAccounts } from './token-grants.js';
import type { ServiceAccountObject } from './service-accounts.js';

const policy = (name: string, spec: Partial<AccessPolicy['spec']> = {}): AccessPolicy => ({
  apiVersion: 'berth.dev/v1alpha1', kind: 'AccessPolicy', metadata: { name, namespace: 'registry', uid: `uid-${name}` },
  spec: { registryRef: { name: 'main' }, namespaces: { names: ['a', 'b'] }, credentials: ['serviceAccountToken'], serviceAccounts: ['web'], repositories: ['team-a/**'], actions: ['pull'], ...spec },
});
const sa = (namespace: string, name: string, uid: string, deleting = false): ServiceAccountObject => ({
  apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace, uid, ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
});
const cache = [sa('a', 'web', 'u1'), sa('a', 'default', 'u2'), sa('b', 'web', 'u3'), sa('c', 'web', 'u4'), sa('b', 'builder', 'u5', true)];

describe('ServiceAccount grants', () => {
  it('select the named ServiceAccounts of the selected namespaces only, with their uids', () => {
    expect(selectServiceAccounts(policy('p'), new Set(['a', 'b']), cache)).toEqual([
      { namespace: 'a', name: 'web', uid: 'u1' }, { namespace: 'b', name: 'web', uid: 'u3' },
    ]);
  });

  it('"*" selects every ServiceAccount there, but none being deleted', () => {
    const grants = selectServiceAccounts(policy('p', { serviceAccounts: ['*'] }), new Set(['a', 'b']), cache);
    expect(grants.map((g) => `${g.namespace}/${g.name}`)).toEqual(['a/default', 'a/web', 'b/web']);
    expect(grantedNames(grants)).toEqual(['default', 'web']);
  });

  it('become federated entries naming the subject and the uid, which the registry accepts', () => {
    const grants = selectServiceAccounts(policy('p'), new Set(['a']), cache);
    expect(grantMatchers(grants)).toEqual([{ issuer: 'cluster', subject: 'system:serviceaccount:a:web', claims: { serviceAccountUID: 'u1' } }]);
  });

  it('are rendered into the policy\'s rule beside its robots; a policy with neither has no rule', () => {
    const state: RegistryPolicyState = {
      robots: { 'ap/both/a': { policy: 'both', namespace: 'a', secrets: [] } },
      policies: {
        both: { serviceAccountTokens: [{ namespace: 'a', name: 'web', uid: 'u1' }] },
        tokens: { serviceAccountTokens: [{ namespace: 'b', name: 'web', uid: 'u3' }] },
      },
    };
    const file = renderPolicyFile(state, [policy('both', { credentials: ['pullSecret', 'serviceAccountToken'] }), policy('tokens'), policy('empty')]);
    expect(file.rules).toEqual([
      {
        name: 'accesspolicy/registry/both', robotPrefixes: ['ap/both/'],
        federated: [{ issuer: 'cluster', subject: 'system:serviceaccount:a:web', claims: { serviceAccountUID: 'u1' } }],
        repositories: ['team-a/**'], actions: ['pull'],
      },
      {
        name: 'accesspolicy/registry/tokens',
        federated: [{ issuer: 'cluster', subject: 'system:serviceaccount:b:web', claims: { serviceAccountUID: 'u3' } }],
        repositories: ['team-a/**'], actions: ['pull'],
      },
    ]);
    const parsed = parsePolicyFile(JSON.stringify(file));
    expect(parsed.rules[1].subjects).toEqual([]);
    expect(parsed.rules[1].federated[0].claims).toEqual({ serviceAccountUID: 'u3' });
  });
});

describe('CI identities (spec.federated)', () => {
  const ci = policy('ci', { namespaces: undefined, credentials: undefined, serviceAccounts: undefined, actions: ['pull', 'push'], federated: [{ issuer: 'github', claims: { repository: 'acme/team-a', ref: 'refs/heads/main' } }] });

  it('are rendered as the rule\'s federated entries', () => {
    const file = renderPolicyFile({ robots: {}, policies: {} }, [ci]);
    expect(file.rules).toEqual([{ name: 'accesspolicy/registry/ci', federated: [{ issuer: 'github', claims: { repository: 'acme/team-a', ref: 'refs/heads/main' } }], repositories: ['team-a/**'], actions: ['pull', 'push'] }]);
    expect(parsePolicyFile(JSON.stringify(file)).rules[0].federated[0].issuer).toBe('github');
  });

  it('an entry the registry would refuse is reported and nothing of the policy\'s federated list is rendered', () => {
    const bad = policy('bad', { federated: [{ issuer: 'github', claims: { repository: 'acme/team-a' } }, { issuer: 'github', subject: '**' }] });
    expect(federatedProblem(bad)).toMatch(/^spec\.federated\[1\]: name a subject or a claim with at least one literal character/);
    expect(federatedEntries(bad)).toEqual([]);
    expect(federatedProblem(ci)).toBeUndefined();
    // The rest of the file stays valid for the registry.
    const file = renderPolicyFile({ robots: {}, policies: {} }, [ci, bad]);
    expect(parsePolicyFile(JSON.stringify(file)).rules.map((r) => r.name)).toEqual(['accesspolicy/registry/ci']);
  });
});
