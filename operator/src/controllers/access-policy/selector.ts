// Which namespaces an AccessPolicy selects: a label selector and/or names (the
// union), evaluated against the namespace cache. Pure and unit-tested.
import type { AccessPolicy, LabelSelector } from '../../api/types.js';
import type { KubeObject } from '../../kube/types.js';

/** Kubernetes label-selector semantics; an empty selector matches everything. */
export function matchesSelector(labels: Record<string, string> | undefined, selector: LabelSelector): boolean {
  const l = labels ?? {};
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (l[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(l, e.key);
    const values = e.values ?? [];
    switch (e.operator) {
      case 'In': if (!has || !values.includes(l[e.key])) return false; break;
      case 'NotIn': if (has && values.includes(l[e.key])) return false; break;
      case 'Exists': if (!has) return false; break;
      case 'DoesNotExist': if (has) return false; break;
    }
  }
  return true;
}

export interface Selection {
  /** Existing, active namespaces the policy selects. */
  selected: Set<string>;
  /** Names listed in spec.namespaces.names that do not exist (or are terminating). */
  missing: string[];
}

export function selectNamespaces(policy: AccessPolicy, namespaces: KubeObject[]): Selection {
  const { names = [], selector } = policy.spec.namespaces ?? {};
  const active = new Map(namespaces.filter((n) => !n.metadata.deletionTimestamp).map((n) => [n.metadata.name, n]));
  const selected = new Set<string>();
  if (selector) for (const [name, ns] of active) if (matchesSelector(ns.metadata.labels, selector)) selected.add(name);
  const missing: string[] = [];
  for (const name of names) {
    if (active.has(name)) selected.add(name);
    else missing.push(name);
  }
  return { selected, missing };
}

/** Whether a policy could select this namespace (used to route namespace events to policies). */
export function policySelects(policy: AccessPolicy, ns: KubeObject): boolean {
  const { names = [], selector } = policy.spec.namespaces ?? {};
  return names.includes(ns.metadata.name) || (!!selector && matchesSelector(ns.metadata.labels, selector));
}
