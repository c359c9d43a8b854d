// The chart grants the operator exactly the permissions of operator/deploy/rbac.yaml,
// the operator's own declaration that operator-rbac.test.ts proves sufficient by
// running the operator with nothing else. (helm-install.test.ts then records the
// requests the operator really makes under the chart's ServiceAccount.)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import type { KubeObject } from '../../operator/src/kube/types.js';
import { findObject, permissions, renderChart, type PolicyRule } from '../harness/helm-chart.js';
import { REPO_ROOT } from '../harness/registry-process.js';

const declared = yaml.loadAll(readFileSync(join(REPO_ROOT, 'operator', 'deploy', 'rbac.yaml'), 'utf8')) as KubeObject[];
const rulesOf = (o: KubeObject) => o.rules as PolicyRule[];

describe('chart RBAC', () => {
  it('the ClusterRole grants exactly what the operator declares', async () => {
    const objects = await renderChart();
    const chartRole = findObject(objects, 'ClusterRole', 'berth-operator');
    expect(permissions(rulesOf(chartRole))).toEqual(permissions(rulesOf(findObject(declared, 'ClusterRole'))));
  });

  it('the leader-election Role grants exactly the declared Lease verbs, in the release namespace', async () => {
    const objects = await renderChart({}, 'berth', 'ops');
    const role = findObject(objects, 'Role', 'berth-operator-leader-election');
    expect(role.metadata.namespace).toBe('ops');
    expect(permissions(rulesOf(role))).toEqual(permissions(rulesOf(findObject(declared, 'Role'))));
  });

  it('grants nothing beyond the ClusterRole and the Lease Role', async () => {
    const objects = await renderChart({ set: { replicaCount: 2 } });
    const roles = objects.filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role').map((o) => `${o.kind}/${o.metadata.name}`).sort();
    expect(roles).toEqual(['ClusterRole/berth-operator', 'Role/berth-operator-leader-election']);
    // No wildcard anywhere but one: holding the kubelet audience verb for any audience
    // (each Registry picks its own), which the RBAC escalation check demands before the
    // operator may grant nodes that verb for one audience and named ServiceAccounts.
    for (const o of objects.filter((x) => x.kind === 'ClusterRole' || x.kind === 'Role')) {
      for (const p of permissions(rulesOf(o))) if (p !== 'core * request-serviceaccounts-token-audience') expect(p).not.toContain('*');
    }
    const audience = rulesOf(findObject(objects, 'ClusterRole', 'berth-operator')).filter((r) => r.verbs.includes('request-serviceaccounts-token-audience'));
    expect(audience).toEqual([{ apiGroups: [''], resources: ['*'], verbs: ['request-serviceaccounts-token-audience'] }]);
  });

  it('binds the ClusterRole cluster-wide, also when only one namespace is watched', async () => {
    for (const values of [{}, { set: { watchNamespace: 'registry' } }]) {
      const objects = await renderChart(values);
      const crb = findObject(objects, 'ClusterRoleBinding', 'berth-operator');
      expect(crb.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'berth-operator' });
      expect(crb.subjects).toEqual([{ kind: 'ServiceAccount', name: 'berth-operator', namespace: 'berth-system' }]);
    }
  });

  it('renders no RBAC with rbac.create=false, and no Lease Role without leader election', async () => {
    const none = await renderChart({ set: { 'rbac.create': false } });
    expect(none.filter((o) => /Role/.test(o.kind)).map((o) => o.kind)).toEqual([]);
    const single = await renderChart({ set: { 'leaderElection.enabled': false } });
    expect(single.some((o) => o.kind === 'Role')).toBe(false);
    expect(findObject(single, 'ClusterRole').metadata.name).toBe('berth-operator');
  });
});
