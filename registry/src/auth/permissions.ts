// What an identity may do right now, from the current policy. Tokens are checked
// against this too (their claims intersected with it), so a policy reload that
// revokes access takes effect at once, not when outstanding tokens expire.
import type { Access, Action, PullPolicyScope } from './access.js';
import { federatedIdentity, type Identity } from './authenticator.js';
import type { FederatedPrincipal } from './federation/principal.js';
import { ANONYMOUS } from './policy.js';
import type { PolicySource } from './policy-source.js';

const CONCRETE: readonly Action[] = ['pull', 'push', 'delete'];

/**
 * The subject of tokens the registry mints for its own scanner backends (a Harbor
 * adapter pulling an image to scan). ':' cannot occur in a robot name, so no
 * policy file can name it and no password logs in as it.
 */
export const SCANNER_SUBJECT = 'berth:scanner';
const EXEMPT: PullPolicyScope = { policies: [], exempt: () => true };

export class Permissions {
  constructor(private readonly policy: PolicySource, private readonly adminUsername: string | undefined) {}

  /** Identity of a token's subject (tokens are only ever issued by this registry's token service). */
  identityOf(subject: string, federated?: FederatedPrincipal): Identity {
    if (federated) return federatedIdentity(federated);
    if (subject === ANONYMOUS) return { kind: 'anonymous', subject };
    if (subject === SCANNER_SUBJECT) return { kind: 'scanner', subject };
    if (this.adminUsername !== undefined && subject === this.adminUsername) return { kind: 'admin', subject };
    return { kind: 'robot', subject };
  }

  robotExists(name: string): boolean {
    return this.policy.current().hasRobot(name);
  }

  allows(identity: Identity, type: Access['type'], name: string, action: Action): boolean {
    if (identity.kind === 'admin') return true;
    // The scanner pulls only; its tokens name the one repository being scanned.
    if (identity.kind === 'scanner') return type === 'repository' && action === 'pull';
    const policy = this.policy.current();
    if (identity.kind === 'federated') return identity.federated!.validUntil > Date.now() && policy.allowsFederated(identity.federated!, type, name, action);
    if (identity.kind === 'robot' && !policy.hasRobot(identity.subject)) return false; // robot removed
    return policy.allows(identity.subject, type, name, action);
  }

  /** The pull policies that apply to an identity on a repository; an identity that may push there is exempt. */
  pullPolicyScope(identity: Identity, repo: string): PullPolicyScope {
    if (identity.kind === 'admin' || identity.kind === 'scanner') return EXEMPT;
    const policy = this.policy.current();
    const policies = !policy.hasPullPolicies ? [] : identity.kind === 'federated'
      ? policy.federatedPullPolicies(identity.federated!, repo) : policy.pullPolicies(identity.subject, repo);
    return { policies, exempt: () => this.allows(identity, 'repository', repo, 'push') };
  }

  /** The subset of a requested access the identity holds; "*" is granted only as a whole. */
  grantable(identity: Identity, requested: Access): Access {
    const actions: Action[] = [];
    for (const action of requested.actions) {
      if (this.allows(identity, requested.type, requested.name, action)) actions.push(action);
      else if (action === '*' && requested.type === 'repository') {
        actions.push(...CONCRETE.filter((a) => this.allows(identity, requested.type, requested.name, a)));
      }
    }
    return { ...requested, actions: [...new Set(actions)] };
  }
}
