import type { AccessPolicy } from '../../api/types.js';
import { accessPolicyConditions, policyStatus, type SyncOutcome, type TokenOutcome } from './status.js';

const tokens = (t: Partial<TokenOutcome> = {}): TokenOutcome => ({ serviceAccounts: 2, namespaces: 2, names: ['web'], audience: 'main.registry.svc', clusterIssuer: true, ...t });
const outcome = (o: Partial<SyncOutcome> = {}): SyncOutcome => ({ selected: 2, synced: 2, failures: [], rotating: false, registryFound: true, ...o });
const byType = (o: SyncOutcome) => Object.fromEntries(accessPolicyConditions(o, 'main').map((c) => [c.type, `${c.status} ${c.reason}`]));

describe('AccessPolicy conditions with ServiceAccount tokens', () => {
  it('ServiceAccountTokensReady True once ServiceAccounts are granted, and Ready with it', () => {
    expect(byType(outcome({ pullSecrets: false, tokens: tokens() }))).toEqual({
      Ready: 'True Synced', Synced: 'True AllSynced', Degraded: 'False AsExpected', ServiceAccountTokensReady: 'True Granted',
    });
    const message = accessPolicyConditions(outcome({ tokens: tokens() }), 'main').find((c) => c.type === 'ServiceAccountTokensReady')!.message;
    expect(message).toBe('2 ServiceAccount(s) in 2 namespace(s) pull with their own token (audience main.registry.svc); nodes may request it for web');
  });

  it('False, and Ready False, while the Registry does not accept them, none exists, or the RBAC failed', () => {
    expect(byType(outcome({ tokens: tokens({ clusterIssuer: false }) }))).toMatchObject({ Ready: 'False ClusterIssuerNotConfigured', ServiceAccountTokensReady: 'False ClusterIssuerNotConfigured' });
    expect(byType(outcome({ tokens: tokens({ serviceAccounts: 0, names: [] }) }))).toMatchObject({ Ready: 'False NoServiceAccounts' });
    expect(byType(outcome({ tokens: tokens({ rbacError: 'HTTP 403' }) }))).toMatchObject({ Ready: 'False RBACFailed', Degraded: 'True RBACFailed' });
    expect(byType(outcome({ registryFound: false, tokens: tokens() }))).toMatchObject({ ServiceAccountTokensReady: 'False RegistryNotFound' });
  });

  it('pull secrets still decide Synced in a migration (both credentials)', () => {
    expect(byType(outcome({ synced: 1, pullSecrets: true, tokens: tokens() }))).toMatchObject({ Ready: 'False Pending', Synced: 'False Pending', ServiceAccountTokensReady: 'True Granted' });
  });

  it('a policy that stops asking for tokens drops the condition and the count', () => {
    const policy = {
      apiVersion: 'berth.dev/v1alpha1', kind: 'AccessPolicy', metadata: { name: 'p', namespace: 'r', generation: 2 },
      spec: { registryRef: { name: 'main' }, repositories: ['a'], actions: ['pull'] },
      status: { serviceAccountCount: 2, conditions: [{ type: 'ServiceAccountTokensReady', status: 'True', reason: 'Granted', message: 'x', lastTransitionTime: '2026-01-01T00:00:00Z' }] },
    } as AccessPolicy;
    const status = policyStatus(policy, 'main', outcome(), {}, new Date(0));
    expect(status.conditions!.map((c) => c.type)).toEqual(['Ready', 'Synced', 'Degraded']);
    expect(status.serviceAccountCount).toBeUndefined();
    expect(policyStatus(policy, 'main', outcome({ tokens: tokens() }), {}, new Date(0)).serviceAccountCount).toBe(2);
  });
});
