import type { AccessPolicy } from '../../api/types.js';
import { desiredKubeletRbac, kubeletRbacName, liveKubeletRbac, rbacUpToDate, type RbacObject } from './kubelet-rbac.js';

const policy = (name = 'web-pulls', namespace = 'registry'): AccessPolicy => ({
  apiVersion: 'berth.dev/v1alpha1', kind: 'AccessPolicy', metadata: { name, namespace, uid: 'uid-1' },
  spec: { registryRef: { name: 'main' }, namespaces: { names: ['a'] }, credentials: ['serviceAccountToken'], serviceAccounts: ['web'], repositories: ['a/*'], actions: ['pull'] },
});

describe('kubelet RBAC for the registry audience', () => {
  it('a ClusterRole naming the audience and exactly the granted ServiceAccounts, bound to system:nodes', () => {
    const [role, binding] = desiredKubeletRbac(policy(), 'main.registry.svc', ['web', 'builder']);
    expect(role).toMatchObject({
      kind: 'ClusterRole',
      metadata: { name: 'berth:kubelet-audience:registry:web-pulls', labels: { 'app.kubernetes.io/name': 'berth-kubelet-audience', 'berth.dev/access-policy-uid': 'uid-1' }, annotations: { 'berth.dev/access-policy': 'registry/web-pulls' } },
      rules: [{ apiGroups: [''], resources: ['main.registry.svc'], verbs: ['request-serviceaccounts-token-audience'], resourceNames: ['builder', 'web'] }],
    });
    expect(binding).toMatchObject({
      kind: 'ClusterRoleBinding',
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.metadata.name },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:nodes' }],
    });
  });

  it('nothing at all when no ServiceAccount is granted: an empty resourceNames would allow every ServiceAccount', () => {
    expect(desiredKubeletRbac(policy(), 'main.registry.svc', [])).toEqual([]);
  });

  it('a name within 253 characters, unique for long policy names', () => {
    const long = kubeletRbacName(policy('p'.repeat(253)));
    expect(long.length).toBe(253);
    expect(long).not.toBe(kubeletRbacName(policy(`${'p'.repeat(252)}q`)));
  });

  it('finds its objects by name and policy UID, and sees a changed rule, binding or label as out of date', () => {
    const [role, binding] = desiredKubeletRbac(policy(), 'aud', ['web']);
    const foreign = { ...role, metadata: { ...role.metadata, labels: { ...role.metadata.labels, 'berth.dev/access-policy-uid': 'other' } } };
    expect(liveKubeletRbac(policy(), [foreign], [binding])).toEqual({ role: undefined, binding });
    const withExtraLabel = { ...role, metadata: { ...role.metadata, labels: { ...role.metadata.labels, team: 'x' } } };
    expect(rbacUpToDate(withExtraLabel, role)).toBe(true);
    const widened: RbacObject = { ...role, rules: [{ apiGroups: [''], resources: ['aud'], verbs: ['request-serviceaccounts-token-audience'] }] };
    expect(rbacUpToDate(widened, role)).toBe(false);
    expect(rbacUpToDate({ ...binding, subjects: [] }, binding)).toBe(false);
    expect(rbacUpToDate(undefined, binding)).toBe(false);
  });
});
