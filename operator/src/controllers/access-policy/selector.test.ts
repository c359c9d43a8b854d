import type { AccessPolicy } from '../../api/types.js';
import type { KubeObject } from '../../kube/types.js';
import { matchesSelector, policySelects, selectNamespaces } from './selector.js';

const ns = (name: string, labels: Record<string, string> = {}, deleting = false): KubeObject => ({
  apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels, ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
});
const policy = (namespaces: AccessPolicy['spec']['namespaces']): AccessPolicy => ({
  apiVersion: 'berth.dev/v1alpha1', kind: 'AccessPolicy', metadata: { name: 'p', namespace: 'reg' },
  spec: { registryRef: { name: 'main' }, namespaces, repositories: ['a/*'], actions: ['pull'] },
});

describe('matchesSelector', () => {
  const labels = { team: 'a', tier: 'web' };
  it.each([
    [{ matchLabels: { team: 'a' } }, true],
    [{ matchLabels: { team: 'b' } }, false],
    [{ matchExpressions: [{ key: 'team', operator: 'In' as const, values: ['a', 'b'] }] }, true],
    [{ matchExpressions: [{ key: 'team', operator: 'NotIn' as const, values: ['a'] }] }, false],
    [{ matchExpressions: [{ key: 'env', operator: 'NotIn' as const, values: ['prod'] }] }, true],
    [{ matchExpressions: [{ key: 'tier', operator: 'Exists' as const }] }, true],
    [{ matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' as const }] }, false],
    [{ matchLabels: { team: 'a' }, matchExpressions: [{ key: 'env', operator: 'Exists' as const }] }, false],
    [{}, true],
  ])('%j → %s', (selector, expected) => {
    expect(matchesSelector(labels, selector)).toBe(expected);
  });
});

describe('selectNamespaces', () => {
  const all = [ns('a1', { team: 'a' }), ns('a2', { team: 'a' }, true), ns('b1', { team: 'b' }), ns('named')];

  it('unions the selector and the names, skipping terminating namespaces and reporting missing names', () => {
    const s = selectNamespaces(policy({ selector: { matchLabels: { team: 'a' } }, names: ['named', 'gone'] }), all);
    expect([...s.selected].sort()).toEqual(['a1', 'named']);
    expect(s.missing).toEqual(['gone']);
  });

  it('selects only names when there is no selector', () => {
    expect([...selectNamespaces(policy({ names: ['b1'] }), all).selected]).toEqual(['b1']);
  });

  it('routes namespace events to the policies that could select them', () => {
    expect(policySelects(policy({ names: ['b1'] }), all[2])).toBe(true);
    expect(policySelects(policy({ selector: { matchLabels: { team: 'a' } } }), all[2])).toBe(false);
  });
});
