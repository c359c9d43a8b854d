// The access policy: robot accounts and the rules granting identities actions on
// repositories. The operator renders it from AccessPolicy objects into one file
// (YAML or JSON, same shape); `parsePolicy` validates and compiles it once, so
// per-request checks are plain lookups.
import yaml from 'js-yaml';
import { z, ZodError } from 'zod';
import type { Access, Action } from './access.js';
import { compileRepositoryPattern, validateRepositoryPattern } from './repository-pattern.js';
import { parseSecretHash, type ParsedHash } from './secret-hash.js';

/** The subject of requests without credentials. */
export const ANONYMOUS = 'anonymous';
/** In `subjects`: every authenticated identity (not anonymous requests). */
export const ANY_AUTHENTICATED = '*';

const pattern = z.string().superRefine((p, ctx) => {
  const problem = validateRepositoryPattern(p);
  if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
});
const robotName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@/-]{0,511}$/, 'robot names use letters, digits, . _ @ / - (no ":")')
  .refine((n) => n !== ANONYMOUS, { message: `"${ANONYMOUS}" is reserved` });
const secretHash = z.string().superRefine((h, ctx) => {
  try {
    parseSecretHash(h);
  } catch (err) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: (err as Error).message });
  }
});

export const policyFileSchema = z.object({
  robots: z.array(z.object({
    name: robotName,
    /** Several secrets may be valid at once, so credentials rotate with overlap. */
    secrets: z.array(z.object({
      hash: secretHash,
      /** RFC 3339; the secret is refused from then on. */
      expiresAt: z.string().datetime({ offset: true }).optional(),
    }).strict()).default([]),
  }).strict()).default([]),
  rules: z.array(z.object({
    /** Where the rule came from (e.g. the AccessPolicy namespace/name); shown in logs only. */
    name: z.string().optional(),
    /** Robot names, "anonymous" (everyone, signed in or not), or "*" (every authenticated identity). */
    subjects: z.array(z.string().min(1)).min(1),
    repositories: z.array(pattern).min(1),
    actions: z.array(z.enum(['pull', 'push', 'delete', '*'])).min(1),
  }).strict()).default([]),
  /** Repository patterns everyone, including anonymous, may pull. */
  anonymousPull: z.array(pattern).default([]),
  /** Subjects that may list the catalog (`registry:catalog:*`); the admin always may. */
  catalog: z.array(z.string().min(1)).default([]),
}).strict().superRefine((doc, ctx) => {
  const seen = new Set<string>();
  doc.robots.forEach((r, i) => {
    if (seen.has(r.name)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['robots', i, 'name'], message: `duplicate robot ${r.name}` });
    seen.add(r.name);
  });
});

export type PolicyFile = z.input<typeof policyFileSchema>;

export class PolicyError extends Error {
  override name = 'PolicyError';
}

export interface RobotSecret {
  readonly hash: ParsedHash;
  /** Epoch ms, or Infinity. */
  readonly expiresAt: number;
}

interface CompiledRule {
  readonly subjects: ReadonlySet<string>;
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

  constructor(doc: z.output<typeof policyFileSchema>, extraAnonymousPull: readonly string[] = []) {
    this.robots = new Map(doc.robots.map((r) => [r.name, r.secrets.map((s) => ({
      hash: parseSecretHash(s.hash),
      expiresAt: s.expiresAt ? Date.parse(s.expiresAt) : Infinity,
    }))]));
    this.rules = doc.rules.map((r) => ({
      subjects: new Set(r.subjects),
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

  get ruleCount(): number {
    return this.rules.length;
  }

  /** What anonymous may do, everyone may; "*" covers every authenticated identity. */
  private appliesTo(subjects: ReadonlySet<string>, subject: string): boolean {
    return subjects.has(subject) || subjects.has(ANONYMOUS) || (subject !== ANONYMOUS && subjects.has(ANY_AUTHENTICATED));
  }

  /** The concrete actions (pull, push, delete) a non-admin subject has on a repository. */
  repositoryActions(subject: string, repo: string): Set<Action> {
    const granted = new Set<Action>();
    if (this.anonymousPull.some((re) => re.test(repo))) granted.add('pull');
    for (const rule of this.rules) {
      if (this.appliesTo(rule.subjects, subject) && rule.repositories.some((re) => re.test(repo))) {
        rule.actions.forEach((a) => granted.add(a));
      }
    }
    return granted;
  }

  /** Whether a non-admin subject may perform one action; "*" means every action. */
  allows(subject: string, type: Access['type'], name: string, action: Action): boolean {
    if (type === 'registry') return name === 'catalog' && this.appliesTo(this.catalog, subject);
    const actions = this.repositoryActions(subject, name);
    return action === '*' ? ALL.every((a) => actions.has(a)) : actions.has(action);
  }
}

/** Parses and compiles a policy document (YAML or JSON text); throws PolicyError with every problem. */
export function parsePolicy(text: string, source = 'policy', extraAnonymousPull: readonly string[] = []): Policy {
  // An empty file is refused rather than read as "no rules": a file caught mid-write
  // must not revoke everyone's access. An intentionally empty policy is `{}`.
  if (!text.trim()) throw new PolicyError(`${source}: the file is empty (write {} for an empty policy)`);
  let doc: unknown;
  try {
    doc = yaml.load(text);
  } catch (err) {
    throw new PolicyError(`${source}: invalid YAML/JSON: ${(err as Error).message.split('\n')[0]}`);
  }
  try {
    return new Policy(policyFileSchema.parse(doc ?? {}), extraAnonymousPull);
  } catch (err) {
    if (err instanceof ZodError) {
      throw new PolicyError(`${source}: ${err.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
    }
    throw new PolicyError(`${source}: ${(err as Error).message}`);
  }
}
