// spec.federated: CI identities (a Registry's spec.auth.federation.issuers) granted
// the policy's repositories and actions. Checked with the registry's own schema
// before anything is rendered: one entry the registry refuses would make it refuse
// the whole policy file and keep the previous one, for every policy of the Registry.
import { federatedMatcherSchema } from '#contract/auth/policy-file.js';
import type { AccessPolicy } from '../../api/types.js';
import type { FederatedEntry } from './token-grants.js';

/** Why the registry would refuse spec.federated, or undefined when it is valid. */
export function federatedProblem(policy: AccessPolicy): string | undefined {
  for (const [i, entry] of (policy.spec.federated ?? []).entries()) {
    const parsed = federatedMatcherSchema.safeParse(entry);
    if (!parsed.success) return `spec.federated[${i}]: ${parsed.error.issues.map((x) => x.message).join('; ')}`;
  }
  return undefined;
}

/** The entries to render: all of them, or none while any is invalid. */
export function federatedEntries(policy: AccessPolicy): FederatedEntry[] {
  if (federatedProblem(policy)) return [];
  return (policy.spec.federated ?? []).map((e) => ({ issuer: e.issuer, ...(e.subject !== undefined ? { subject: e.subject } : {}), claims: { ...(e.claims ?? {}) } }));
}
