// Grants: the answer to "may this request do X", for an identity that logged in
// directly (Basic, or anonymous) or one holding a token.
import type { Access, Action, Grant } from './access.js';
import type { Identity } from './authenticator.js';
import type { Permissions } from './permissions.js';

/** Basic auth or no credentials: everything the identity's policy allows. */
export function identityGrant(identity: Identity, permissions: Permissions): Grant {
  return {
    subject: identity.subject,
    can: (type, name, action) => permissions.allows(identity, type, name, action),
    sees: (repo) => permissions.allows(identity, 'repository', repo, 'pull'),
    unrestricted: identity.kind === 'admin',
    administrator: identity.kind === 'admin',
    audit: identity.federated?.audit,
    pullPolicies: (repo) => permissions.pullPolicyScope(identity, repo),
  };
}

function claimCovers(claims: readonly Access[], type: Access['type'], name: string, action: Action): boolean {
  return claims.some((c) => c.type === type && c.name === name
    && (c.actions.includes('*') || c.actions.includes(action)
      || (action === '*' && (['pull', 'push', 'delete'] as const).every((a) => c.actions.includes(a)))));
}

/** A bearer token: what its claims name, and the current policy still allows. */
export function tokenGrant(identity: Identity, claims: readonly Access[], permissions: Permissions): Grant {
  return {
    subject: identity.subject,
    can: (type, name, action) => claimCovers(claims, type, name, action) && permissions.allows(identity, type, name, action),
    sees: (repo) => permissions.allows(identity, 'repository', repo, 'pull'),
    administrator: identity.kind === 'admin',
    audit: identity.federated?.audit,
    // The credential's rights decide the exemption, not the token's scope: a pusher's pull-only token is still a pusher's.
    pullPolicies: (repo) => permissions.pullPolicyScope(identity, repo),
  };
}
