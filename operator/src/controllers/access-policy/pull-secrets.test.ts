import type { AccessPolicy } from '../../api/types.js';
import { desiredPullSecret, isOurs, upToDate } from './pull-secrets.js';
import { nextPullSecrets, wantsServiceAccount, type ServiceAccountObject } from './service-accounts.js';
import { accessPolicyConditions } from './status.js';

const policy = (spec: Partial<AccessPolicy['spec']> = {}): AccessPolicy => ({
  apiVersion: 'berth.dev/v1alpha1', kind: 'AccessPolicy', metadata: { name: 'readers', namespace: 'reg', uid: 'uid-1' },
  spec: { registryRef: { name: 'main' }, namespaces: { names: ['app'] }, repositories: ['a/*'], actions: ['pull'], ...spec },
});
const cred = { username: 'ap/readers/app', password: 'pw' };

describe('pull secrets', () => {
  const want = desiredPullSecret(policy(), 'app', ['main.reg.svc:5000'], cred);

  it('is a labelled, annotated dockerconfigjson Secret', () => {
    expect(want).toMatchObject({
      type: 'kubernetes.io/dockerconfigjson',
      metadata: {
        name: 'berth-pull-secret', namespace: 'app',
        labels: { 'app.kubernetes.io/managed-by': 'berth-operator', 'berth.dev/access-policy-uid': 'uid-1', 'berth.dev/registry': 'main' },
        annotations: { 'berth.dev/access-policy': 'reg/readers' },
      },
    });
    expect(isOurs(want, policy())).toBe(true);
    expect(isOurs({ ...want, metadata: { name: 'x' } }, policy())).toBe(false);
  });

  it('counts as up to date when our fields match, whatever others added', () => {
    const live = { ...want, metadata: { ...want.metadata, labels: { ...want.metadata.labels, extra: 'x' } }, data: { ...want.data, other: 'eA==' } };
    expect(upToDate(live, want)).toBe(true);
    expect(upToDate({ ...want, data: { '.dockerconfigjson': 'e30=' } }, want)).toBe(false);
    expect(upToDate({ ...want, metadata: { ...want.metadata, labels: {} } }, want)).toBe(false);
    expect(upToDate(undefined, want)).toBe(false);
  });
});

describe('ServiceAccount entries', () => {
  const sa = (names: string[]): ServiceAccountObject => ({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: 'app' }, imagePullSecrets: names.map((name) => ({ name })) });

  it('selects by name or "*", and none when unset', () => {
    expect(wantsServiceAccount(policy({ serviceAccounts: ['default'] }), 'default')).toBe(true);
    expect(wantsServiceAccount(policy({ serviceAccounts: ['*'] }), 'builder')).toBe(true);
    expect(wantsServiceAccount(policy(), 'default')).toBe(false);
  });

  it('appends to the current list and removes only our entry, only when it is ours', () => {
    expect(nextPullSecrets(sa(['gitops']), policy(), true, false)).toEqual([{ name: 'gitops' }, { name: 'berth-pull-secret' }]);
    expect(nextPullSecrets(sa(['gitops', 'berth-pull-secret']), policy(), true, false)).toBeUndefined();
    expect(nextPullSecrets(sa(['berth-pull-secret', 'gitops']), policy(), false, true)).toEqual([{ name: 'gitops' }]);
    // Someone else's entry of the same name stays.
    expect(nextPullSecrets(sa(['berth-pull-secret']), policy(), false, false)).toBeUndefined();
  });
});

describe('conditions', () => {
  const types = (c: ReturnType<typeof accessPolicyConditions>) => c.map((x) => [x.type, x.status, x.reason]);

  it('is Ready when every selected namespace is synced', () => {
    expect(types(accessPolicyConditions({ selected: 3, synced: 3, failures: [], rotating: false, registryFound: true }, 'main')))
      .toEqual([['Ready', 'True', 'Synced'], ['Synced', 'True', 'AllSynced'], ['Degraded', 'False', 'AsExpected']]);
    expect(types(accessPolicyConditions({ selected: 3, synced: 3, failures: [], rotating: true, registryFound: true }, 'main'))[1]).toEqual(['Synced', 'True', 'Rotating']);
    // Synced, but a credential may not have reached the registry pods yet: not Ready until it has.
    const fresh = accessPolicyConditions({ selected: 3, synced: 3, failures: [], rotating: false, registryFound: true, propagating: { namespaces: 1, until: '2026-01-01T00:02:00Z' } }, 'main');
    expect(types(fresh).slice(0, 2)).toEqual([['Ready', 'False', 'Propagating'], ['Synced', 'True', 'AllSynced']]);
    expect(fresh[0].message).toMatch(/1 namespace\(s\) reach the registry pods by 2026-01-01T00:02:00Z/);
  });

  it('names failed namespaces and their reasons', () => {
    const c = accessPolicyConditions({ selected: 3, synced: 2, failures: [{ namespace: 'x', reason: 'Forbidden' }], rotating: false, registryFound: true }, 'main');
    expect(types(c)).toEqual([['Ready', 'False', 'SyncFailed'], ['Synced', 'False', 'SyncFailed'], ['Degraded', 'True', 'SyncFailed']]);
    expect(c[2].message).toContain('x (Forbidden)');
  });

  it('reports a missing Registry', () => {
    expect(types(accessPolicyConditions({ selected: 0, synced: 0, failures: [], rotating: false, registryFound: false }, 'main'))[0]).toEqual(['Ready', 'False', 'RegistryNotFound']);
  });
});
