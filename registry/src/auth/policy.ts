// The compiled access policy: per-request checks are plain lookups over the
// policy file (contract/auth/policy-file.ts) parsed once.
import type { PullPolicy } from '#contract/config/security.js';
import type { Access, Action, CredentialPullPolicy } from './access.js';
import { compileRepositoryPattern } from '#contract/auth/repository-pattern.js';
import { parseSecretHash, type ParsedHash } from '#contract/auth/secret-hash.js';
import { ANONYMOUS, ANY_AUTHENTICATED, PolicyError, parsePolicyFile, policyFileSchema, type ValidPolicyFile } from '#contract/auth/policy-file.js';
import { compileFederatedMatcher, type FederatedMatcher } from './federation/matcher.js';
import type { FederatedPrincipal } from './federation/principal.js';

export { ANONYMOUS, ANY_AUTHENTICATED, PolicyError };

export interface RobotSecret {
  readonly hash: ParsedHash;
  /** Epoch ms, or Infinity. */
  readonly expiresAt: number;
}

interface CompiledRule {
  readonly name: string;
  readonly pullPolicy?: PullPolicy;
  readonly subjects: ReadonlySet<string>;
  /** Robots whose name starts with one of these (and that exist) are subjects too. */
  readonly robotPrefixes: readonly string[];
  readonly federated: readonly FederatedMatcher[];
  readonly repositories: readonly RegExp[];
  readonly actions: ReadonlySet<Action>;
}

const ALL: readonly Action[] = ['pull', 'push', 'delete'];

/** An immutable, compiled policy. */
export class Policy {
  private readonly robots: ReadonlyMap<string, readonly RobotSecret[]>;
  private readonly rules: readonly CompiledRule[];
  private readonly anonymousPull: readonly RegExp[];
  private readonly catalog: ReadonlySet<string>;

  /** `doc.robots` may hold robots of robot files too (robot-files.ts merges them). */
  constructor(doc: ValidPolicyFile, extraAnonymousPull: readonly string[] = []) {
    this.robots = new Map(doc.robots.map((r) => [r.name, r.secrets.map((s) => ({
      hash: parseSecretHash(s.hash),
      expiresAt: s.expiresAt ? Date.parse(s.expiresAt) : Infinity,
    }))]));
    this.rules = doc.rules.map((r, i) => ({
      name: r.name ?? `rules[${i}]`,
      pullPolicy: r.pullPolicy,
      subjects: new Set(r.subjects),
      robotPrefixes: r.robotPrefixes,
      federated: r.federated.map(compileFederatedMatcher),
      repositories: r.repositories.map(compileRepositoryPattern),
      actions: new Set(r.actions.flatMap((a) => (a === '*' ? ALL : [a]))),
    }));
    this.anonymousPull = [...doc.anonymousPull, ...extraAnonymousPull].map(compileRepositoryPattern);
    this.catalog = new Set(doc.catalog);
  }

  static empty(extraAnonymousPull: readonly string[] = []): Policy {
    return new Policy(policyFileSchema.parse({}), extraAnonymousPull);
  }

  /** The robot's secrets, or undefined for an unknown robot. */
  robotSecrets(name: string): readonly RobotSecret[] | undefined {
    return this.robots.get(name);
  }

  hasRobot(name: string): boolean {
    return this.robots.has(name);
  }

  get robotCount(): number {
    return this.robots.size;
  }

  /** Whether any rule carries a pull policy (most registries: none, and pulls skip the lookup). */
  get hasPullPolicies(): boolean {
    return this.rules.some((r) => r.pullPolicy);
  }

  get ruleCount(): number {
    return this.rules.length;
  }

  /** What anonymous may do, everyone may; "*" covers every authenticated identity. */
  private appliesTo(subjects: ReadonlySet<string>, subject: string): boolean {
    return subjects.has(subject) || subjects.has(ANONYMOUS) || (subject !== ANONYMOUS && subjects.has(ANY_AUTHENTICATED));
  }

  /** A rule names a subject directly, through "*"/"anonymous", or (a defined robot only) by a prefix of its name. */
  private ruleAppliesTo(rule: CompiledRule, subject: string): boolean {
    return this.appliesTo(rule.subjects, subject) || (rule.robotPrefixes.length > 0 && this.robots.has(subject) && rule.robotPrefixes.some((p) => subject.startsWith(p)));
  }

  /** The concrete actions (pull, push, delete) a non-admin subject has on a repository. */
  repositoryActions(subject: string, repo: string): Set<Action> {
    return this.actionsWhere((rule) => this.ruleAppliesTo(rule, subject), repo);
  }

  /** Whether a non-admin subject may perform one action; "*" means every action. */
  allows(subject: string, type: Access['type'], name: string, action: Action): boolean {
    if (type === 'registry') return name === 'catalog' && this.appliesTo(this.catalog, subject);
    return covers(this.repositoryActions(subject, name), action);
  }

  /**
   * The actions a federated identity has: rules whose `federated` matchers match it, plus
   * what anonymous may do. "*" in `subjects` does not cover it: an outside issuer signs
   * for identities this policy never heard of (every GitHub repository, for one).
   */
  federatedRepositoryActions(principal: FederatedPrincipal, repo: string): Set<Action> {
    return this.actionsWhere((rule) => rule.subjects.has(ANONYMOUS) || rule.federated.some((m) => m.matches(principal)), repo);
  }

  allowsFederated(principal: FederatedPrincipal, type: Access['type'], name: string, action: Action): boolean {
    if (type === 'registry') return name === 'catalog' && this.catalog.has(ANONYMOUS);
    return covers(this.federatedRepositoryActions(principal, name), action);
  }

  /** Pull policies of the rules that grant `subject` pull on `repo`. */
  pullPolicies(subject: string, repo: string): CredentialPullPolicy[] {
    return this.policiesWhere((rule) => this.ruleAppliesTo(rule, subject), repo);
  }

  federatedPullPolicies(principal: FederatedPrincipal, repo: string): CredentialPullPolicy[] {
    return this.policiesWhere((rule) => rule.subjects.has(ANONYMOUS) || rule.federated.some((m) => m.matches(principal)), repo);
  }

  private policiesWhere(applies: (rule: CompiledRule) => boolean, repo: string): CredentialPullPolicy[] {
    return this.rules
      .filter((rule) => rule.pullPolicy && rule.actions.has('pull') && applies(rule) && rule.repositories.some((re) => re.test(repo)))
      .map((rule) => ({ source: rule.name, policy: rule.pullPolicy! }));
  }

  private actionsWhere(applies: (rule: CompiledRule) => boolean, repo: string): Set<Action> {
    const granted = new Set<Action>();
    if (this.anonymousPull.some((re) => re.test(repo))) granted.add('pull');
    for (const rule of this.rules) {
      if (applies(rule) && rule.repositories.some((re) => re.test(repo))) {
        rule.actions.forEach((a) => granted.add(a));
      }
    }
    return granted;
  }
}

const covers = (actions: ReadonlySet<Action>, action: Action) => (action === '*' ? ALL.every((a) => actions.has(a)) : actions.has(action));

/**
 * Parses and compiles a policy document (YAML or JSON text); throws PolicyError with every problem.
 * `withRobots` adds the robots of robot files to the document's (see robot-files.ts).
 */
export function parsePolicy(text: string, source = 'policy', extraAnonymousPull: readonly string[] = [],
  withRobots: (robots: ValidPolicyFile['robots']) => ValidPolicyFile['robots'] = (r) => r): Policy {
  const doc = parsePolicyFile(text, source);
  try {
    return new Policy({ ...doc, robots: withRobots(doc.robots) }, extraAnonymousPull);
  } catch (err) {
    throw new PolicyError(`${source}: ${(err as Error).message}`);
  }
}
