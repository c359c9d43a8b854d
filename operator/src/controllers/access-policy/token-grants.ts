// credentials: serviceAccountToken. The ServiceAccounts a policy grants, by name
// and uid as the cache has them now, and the `federated` entries they become in
// the registry's policy file. Naming the uid ties a grant to one ServiceAccount
// object: deleted and recreated under the same name, it gets nothing until the
// next pass names its new uid (the ServiceAccount watch brings that pass). Pure.
import type { z } from 'zod';
import type { federatedMatcherSchema } from '#contract/auth/policy-file.js';
import type { AccessPolicy } from '../../api/types.js';
import { CLUSTER_ISSUER } from '../registry/federation.js';
import { wantsServiceAccount, type ServiceAccountObject } from './service-accounts.js';

/** A policy rule's `federated` entry. */
export type FederatedEntry = z.input<typeof federatedMatcherSchema>;

export interface ServiceAccountGrant {
  namespace: string;
  name: string;
  uid: string;
}

/** The named ServiceAccounts (every one for "*") of the selected namespaces, sorted by namespace and name. */
export function selectServiceAccounts(policy: AccessPolicy, selected: ReadonlySet<string>, serviceAccounts: ServiceAccountObject[]): ServiceAccountGrant[] {
  return serviceAccounts
    .filter((sa) => selected.has(sa.metadata.namespace!) && !sa.metadata.deletionTimestamp && !!sa.metadata.uid && wantsServiceAccount(policy, sa.metadata.name))
    .map((sa) => ({ namespace: sa.metadata.namespace!, name: sa.metadata.name, uid: sa.metadata.uid! }))
    .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
}

/** One `federated` entry per ServiceAccount: its subject and its uid. */
export function grantMatchers(grants: ServiceAccountGrant[]): FederatedEntry[] {
  return grants.map((g) => ({
    issuer: CLUSTER_ISSUER,
    subject: `system:serviceaccount:${g.namespace}:${g.name}`,
    claims: { serviceAccountUID: g.uid },
  }));
}

/** The distinct names, sorted: what a node's RBAC may name (resourceNames carry no namespace). */
export function grantedNames(grants: ServiceAccountGrant[]): string[] {
  return [...new Set(grants.map((g) => g.name))].sort();
}
