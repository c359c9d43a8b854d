// The seam between the HTTP layer and authentication/authorization. Every route
// declares the access it needs; an AccessController decides, or throws a
// RegistryError (401 with a challenge, 403 DENIED, 429 TOOMANYREQUESTS).
import type { IncomingMessage } from 'node:http';
import type { PullPolicy } from '#contract/config/security.js';

export type Action = 'pull' | 'push' | 'delete' | '*';

export interface Access {
  readonly type: 'repository' | 'registry';
  /** Repository name, or "catalog" for the registry resource. */
  readonly name: string;
  readonly actions: readonly Action[];
}

/** A pull policy a credential carries (a policy-file rule's `pullPolicy`), named by its rule. */
export interface CredentialPullPolicy {
  readonly source: string;
  readonly policy: PullPolicy;
}

/** What pull policies apply to a credential on a repository. */
export interface PullPolicyScope {
  readonly policies: readonly CredentialPullPolicy[];
  /** The credential may push there (or is the admin or the scanner): no pull policy applies, so signing and scanning keep working. Asked only when some policy applies. */
  exempt(): boolean;
}

export interface Grant {
  /** Who was authenticated: a robot, the admin, or "anonymous". */
  readonly subject: string;
  /**
   * Whether the identity may pull the repository under the current policy, whatever
   * a token's scopes name: what listings (the catalog, the UI) show it.
   */
  sees(repo: string): boolean;
  /** Whether the subject may perform `action` (required accesses were all checked by `authorize`). */
  can(type: Access['type'], name: string, action: Action): boolean;
  /**
   * True when the subject may read every repository (auth off, or the admin). Only then
   * may a mount without `from` link any blob found by digest (automatic content discovery).
   */
  readonly unrestricted?: boolean;
  /**
   * True for the administrator, whatever a token's scopes: the browsing API shows
   * it registry-wide facts (quota scopes, GC, records about no repository).
   */
  readonly administrator?: boolean;
  /** Facts about a federated identity for the audit log (issuer, pod, pod uid, ...). */
  readonly audit?: Readonly<Record<string, string>>;
  /** The credential's pull policies on a repository; absent: none, and not exempt (auth off). */
  pullPolicies?(repo: string): PullPolicyScope;
}

export interface AccessController {
  /**
   * Authenticates the request and checks every access; throws when any is missing.
   * `optional` accesses are never required, but are named in the challenge so the
   * client's token covers them (the source of a cross-repository mount).
   */
  authorize(req: IncomingMessage, access: readonly Access[], optional?: readonly Access[]): Promise<Grant>;
  /**
   * Authenticates the request without requiring any access: a request without
   * credentials gets what anonymous may do. Invalid credentials are refused as by
   * `authorize`. Listings (the browsing API) filter what they show with its `sees`.
   */
  identify(req: IncomingMessage): Promise<Grant>;
  close(): Promise<void>;
}

export const repository = (name: string, ...actions: Action[]): Access => ({ type: 'repository', name, actions });
export const catalog = (): Access => ({ type: 'registry', name: 'catalog', actions: ['*'] });

/** Authentication off: everyone may do everything (the local `npm start` default). */
export class OpenAccess implements AccessController {
  private readonly grant: Grant = { subject: 'anonymous', can: () => true, sees: () => true, unrestricted: true, administrator: true };
  async authorize(): Promise<Grant> {
    return this.grant;
  }
  async identify(): Promise<Grant> {
    return this.grant;
  }
  async close(): Promise<void> {}
}
