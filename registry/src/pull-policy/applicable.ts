// Which pull policies bind a pull: the repository's rules and the credential's
// (a policy-file rule's `pullPolicy`). Kept apart from the gate so the registry
// can tell a pull no policy applies to without loading the gate's modules.
import type { Grant, PullPolicyScope } from '../auth/access.js';
import type { RepositorySettings } from '../policy/repository-settings.js';

const NO_CREDENTIAL_POLICY: PullPolicyScope = { policies: [], exempt: () => false };

export function applicablePolicies(settings: RepositorySettings, repo: string, grant: Grant | undefined) {
  const repoRules = settings.securityRules(repo);
  const credential = grant?.pullPolicies?.(repo) ?? NO_CREDENTIAL_POLICY;
  return { repoRules, credential, any: repoRules.length > 0 || credential.policies.length > 0 };
}
