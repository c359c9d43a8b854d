// The access policy file: robot accounts and the rules granting identities actions
// on repositories. The operator renders it from AccessPolicy objects (YAML or JSON,
// same shape); the registry reads it with `parsePolicyFile` and compiles it
// (registry/src/auth/policy.ts).
import yaml from 'js-yaml';
import { z, ZodError } from 'zod';
import { validateRepositoryPattern } from './repository-pattern.js';
import { parseSecretHash } from './secret-hash.js';
import { pullPolicySchema } from '../config/security.js';

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

// Claim globs: `*` matches any run of characters (including / and :), `?` one character.
const claimGlob = z.string().min(1).max(1024);
const claimGlobs = z.union([claimGlob, z.array(claimGlob).min(1)]);
/** A glob made only of wildcards matches every value: as the only condition it would admit anyone the issuer signs for. */
const onlyWildcards = (g: string) => /^[*?]+$/.test(g);

/**
 * One federated identity or family of them: a token from `issuer` (an auth.federation
 * issuer name) whose subject and claims match every glob given. Kubernetes tokens
 * offer the claims namespace, serviceAccount, serviceAccountUID, pod and podUID;
 * OIDC tokens their own top-level string claims (repository, ref, environment, ...).
 */
export const federatedMatcherSchema = z.object({
  issuer: z.string().min(1),
  subject: claimGlob.optional(),
  claims: z.record(z.string().min(1), claimGlobs).default({}),
}).strict().superRefine((m, ctx) => {
  const globs = [...(m.subject !== undefined ? [m.subject] : []), ...Object.values(m.claims).flat()];
  if (globs.length === 0 || globs.every(onlyWildcards)) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'name a subject or a claim with at least one literal character: an issuer alone admits every identity it signs for' });
  }
});

const robotsSchema = z.array(z.object({
  name: robotName,
  /** Several secrets may be valid at once, so credentials rotate with overlap. */
  secrets: z.array(z.object({
    hash: secretHash,
    /** RFC 3339; the secret is refused from then on. */
    expiresAt: z.string().datetime({ offset: true }).optional(),
  }).strict()).default([]),
}).strict()).default([]);

/** Robot names must be unique within a file (and, across files, see registry/src/auth/robot-files.ts). */
function uniqueRobots(doc: { robots: Array<{ name: string }> }, ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  doc.robots.forEach((r, i) => {
    if (seen.has(r.name)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['robots', i, 'name'], message: `duplicate robot ${r.name}` });
    seen.add(r.name);
  });
}

/** A prefix of robot names ending in "/", so it names a whole family (e.g. one AccessPolicy's robots: "ap/<policy>/"). */
const robotPrefix = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@/-]{0,510}\/$/, 'a robot-name prefix ending in "/"');

export const policyFileSchema = z.object({
  robots: robotsSchema,
  rules: z.array(z.object({
    /** Where the rule came from (e.g. the AccessPolicy namespace/name); shown in logs only. */
    name: z.string().optional(),
    /** Robot names, "anonymous" (everyone, signed in or not), or "*" (every robot and the admin). */
    subjects: z.array(z.string().min(1)).default([]),
    /**
     * Every robot (defined in this file or a robot file) whose name starts with one of these:
     * the operator names one AccessPolicy's robots so, and the rule then does not list
     * thousands of names, nor change when a namespace comes or goes.
     */
    robotPrefixes: z.array(robotPrefix).default([]),
    /** Identities of federated tokens (auth.federation); a rule needs subjects, federated, or both. */
    federated: z.array(federatedMatcherSchema).default([]),
    repositories: z.array(pattern).min(1),
    actions: z.array(z.enum(['pull', 'push', 'delete', '*'])).min(1),
    /**
     * Pull policies for the identities this rule names (AccessPolicy.spec.pullPolicy), on the
     * repositories it covers, on top of the repositories' own. An identity that may push to a
     * repository is exempt there, so signing and pushing keep working.
     */
    pullPolicy: pullPolicySchema.optional(),
  }).strict().refine((r) => r.subjects.length + r.robotPrefixes.length + r.federated.length > 0, { message: 'a rule needs subjects, robotPrefixes or federated identities', path: ['subjects'] })).default([]),
  /** Repository patterns everyone, including anonymous, may pull. */
  anonymousPull: z.array(pattern).default([]),
  /** Subjects that may list the catalog (`registry:catalog:*`); the admin always may. */
  catalog: z.array(z.string().min(1)).default([]),
}).strict().superRefine(uniqueRobots);

export type PolicyFile = z.input<typeof policyFileSchema>;
export type ValidPolicyFile = z.output<typeof policyFileSchema>;

/**
 * A robot file: robots and their secret hashes only, no rules. The operator spreads a
 * Registry's robots over a fixed set of these (one Secret each), since one Secret holds
 * at most 1 MiB; what the robots may do is still decided by the main file's rules.
 */
export const robotFileSchema = z.object({ robots: robotsSchema }).strict().superRefine(uniqueRobots);

export type RobotFile = z.input<typeof robotFileSchema>;
export type ValidRobotFile = z.output<typeof robotFileSchema>;

export class PolicyError extends Error {
  override name = 'PolicyError';
}

/** Parses and validates a policy document (YAML or JSON text); throws PolicyError with every problem. */
export function parsePolicyFile(text: string, source = 'policy'): ValidPolicyFile {
  return parseWith(policyFileSchema, text, source);
}

/** Parses and validates a robot file (YAML or JSON text); throws PolicyError with every problem. */
export function parseRobotFile(text: string, source = 'robots'): ValidRobotFile {
  return parseWith(robotFileSchema, text, source);
}

function parseWith<T extends z.ZodTypeAny>(schema: T, text: string, source: string): z.output<T> {
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
    return schema.parse(doc ?? {}) as z.output<T>;
  } catch (err) {
    if (err instanceof ZodError) {
      throw new PolicyError(`${source}: ${err.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
    }
    throw new PolicyError(`${source}: ${(err as Error).message}`);
  }
}
