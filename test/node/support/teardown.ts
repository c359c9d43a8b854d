// Removes what a node test installed: its AccessPolicies and Registry first, while
// the operator still runs to lift their finalizers, then the chart's release and
// the test's namespaces. Best effort: a cleanup failure is reported, not thrown.
import { REGISTRY_API, waitForGone } from '../../operator/support/registry.js';
import type { Cluster } from './cluster.js';

export interface Installed {
  /** Where the Registry and the AccessPolicies live. */
  readonly namespace: string;
  readonly registry: string;
  readonly policies: readonly string[];
  readonly release: string;
  readonly releaseNamespace: string;
  /** Deleted last, the release's and the Registry's included. */
  readonly namespaces: readonly string[];
}

export async function uninstallBerth(cluster: Cluster, installed: Installed): Promise<void> {
  const c = cluster.client;
  const { namespace, registry } = installed;
  for (const name of installed.policies) await c.delete(REGISTRY_API, 'AccessPolicy', name, namespace).catch(() => undefined);
  await c.delete(REGISTRY_API, 'Registry', registry, namespace).catch(() => undefined);
  await waitForGone(c, REGISTRY_API, 'Registry', registry, namespace, 120_000).catch((e) => process.stderr.write(`cleanup: ${String(e)}\n`));
  await cluster.helm(['uninstall', installed.release, '-n', installed.releaseNamespace, '--wait', '--timeout', '2m']);
  for (const ns of installed.namespaces) await c.delete('v1', 'Namespace', ns).catch(() => undefined);
}
