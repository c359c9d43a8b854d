// Supply-chain settings shared by the registry config, the policy file and the
// operator: scanning and the vulnerability database (`security`), the pull
// policies of a repository (`repositories[].security`) and of a credential
// (the policy file's `rules[].pullPolicy`, from AccessPolicy.spec.pullPolicy).
import { z } from 'zod';

/** Harbor's severity scale, lowest first (what findings and thresholds use). */
export const SEVERITY_LEVELS = ['Unknown', 'Negligible', 'Low', 'Medium', 'High', 'Critical'] as const;
export const severitySchema = z.enum(SEVERITY_LEVELS);

/** Enforce refuses a pull that fails; Audit lets it through and counts it. */
export const policyModeSchema = z.enum(['Enforce', 'Audit']);

/** Names of keys in `security.trust.keys`. */
const keyName = z.string().min(1).max(253).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'key names use letters, digits, . _ -');

export const preventVulnerableSchema = z.object({
  severity: severitySchema.default('High')
    .describe('Refuse images with a vulnerability at or above this severity (allowlisted ones aside).'),
  mode: policyModeSchema.default('Enforce'),
  pendingScan: z.enum(['Allow', 'Deny']).default('Allow')
    .describe('What a pull gets when no result exists for the current database after maxPendingScanSeconds.'),
  maxPendingScanSeconds: z.number().nonnegative().max(600).default(30)
    .describe('Longest a pull waits for a scan in progress; a stalled scanner never holds a pull longer.'),
}).strict();

export const requireSignatureSchema = z.object({
  keys: z.array(keyName).min(1).describe('Trusted keys (security.trust.keys names); a signature by any of them counts.'),
  minSignatures: z.number().int().positive().default(1).describe('Distinct trusted keys that must have signed.'),
  mode: policyModeSchema.default('Enforce'),
}).strict();

/** `YYYY-MM-DD` (valid through that day, UTC) or an RFC 3339 time. */
const expiry = z.string().refine((s) => expiryTime(s) !== undefined, 'expected YYYY-MM-DD or an RFC 3339 time');

export const cveAllowlistEntrySchema = z.object({
  id: z.string().min(1).max(128).describe('Advisory id or alias (CVE-2024-1234, GHSA-…, DSA-…).'),
  expires: expiry.optional().describe('YYYY-MM-DD (valid through that day, UTC) or RFC 3339; the entry stops applying then.'),
  reason: z.string().max(1024).optional(),
}).strict();

/** What a credential (a policy-file rule) carries: the same two policies as a repository. */
export const pullPolicySchema = z.object({
  preventVulnerable: preventVulnerableSchema.optional(),
  requireSignature: requireSignatureSchema.optional(),
}).strict();

/** Every gated pull refused: how a policy that cannot be rendered fails closed (the operator writes it for an invalid Repository spec.security). */
export const denyAllSchema = z.object({
  reason: z.string().min(1).max(2048).describe('Why, as the 403 DENIED answer and the logs give it.'),
}).strict();

export const repositorySecuritySchema = pullPolicySchema.extend({
  cveAllowlist: z.array(cveAllowlistEntrySchema).default([])
    .describe('Advisories preventVulnerable ignores in this repository until they expire; they stay in reports, flagged.'),
  denyAll: denyAllSchema.optional()
    .describe('Refuse every pull of the repository\'s images (the same exemptions as the other policies: pushers, signatures, SBOMs), with this reason.'),
}).strict();

export const trustKeySchema = z.object({
  name: keyName,
  keyFile: z.string().min(1).describe('PEM public key (ECDSA, RSA or Ed25519), e.g. a mounted Secret key; never uploaded through the API.'),
}).strict();

export const scanningSchema = z.object({
  enabled: z.boolean().default(false).describe('Scan each pushed image: inventory, SBOM referrer, vulnerability match.'),
  backend: z.enum(['builtin', 'osv-scanner', 'harbor-adapter']).default('builtin')
    .describe('Who matches inventories against advisories; the inventory and SBOM are always Berth\'s own.'),
  queueSize: z.number().int().positive().default(256).describe('Scans waiting; a push beyond it is left for the next pull or re-scan, never blocked.'),
  concurrency: z.number().int().positive().max(16).default(1),
  yieldToWritesSeconds: z.number().nonnegative().max(300).default(10)
    .describe('A scan on push waits (and pauses between layer chunks) while uploads or manifest PUTs are in progress in this process, for at most this long after the push, then runs anyway; 0: never waits. Scans a pull or the API waits for never wait.'),
  attachSbom: z.boolean().default(true).describe('Push a CycloneDX SBOM referrer for each image unless the user pushed one.'),
  maxLayerBytes: z.number().int().positive().default(2 * 1024 * 1024 * 1024).describe('Images with a larger layer are not indexed.'),
  osvScanner: z.object({
    path: z.string().min(1).default('osv-scanner'),
    workDir: z.string().min(1).optional().describe('Where the database is unpacked for osv-scanner; default a temporary folder.'),
    timeoutSeconds: z.number().positive().default(300),
  }).strict().default({}),
  harborAdapter: z.object({
    url: z.string().url().describe('Base URL of a Harbor Pluggable Scanner API v1.1/v1.2 adapter (…/api/v1 is appended).'),
    authorizationFile: z.string().optional().describe('File holding the Authorization header value Berth sends to the adapter.'),
    registryURL: z.string().url().optional().describe('The registry URL the adapter pulls from; default http.publicURL.'),
    pollTimeoutSeconds: z.number().positive().default(600).describe('A scan whose report is not ready by then has failed.'),
    requestTimeoutSeconds: z.number().positive().default(10),
  }).strict().optional(),
}).strict();

export const vulnDbSchema = z.object({
  repository: z.string().min(1).default('berth-system/vulndb').describe('Repository holding the database artifact (one all.zip layer per ecosystem).'),
  tag: z.string().min(1).optional().describe('Tag to use; default the most recently pushed tag.'),
  refreshIntervalSeconds: z.number().positive().default(300).describe('How often the tag is resolved; a new digest is loaded and stored inventories re-matched.'),
  maxAgeSeconds: z.number().positive().default(7 * 86_400).describe('A database older than this is reported stale (still used).'),
  signedBy: z.array(keyName).default([]).describe('Trust keys one of which must have signed the database; an unsigned one is refused. Empty: unsigned accepted, reported as unsigned.'),
}).strict();

export const securitySchema = z.object({
  scanning: scanningSchema.default({}),
  vulnDB: vulnDbSchema.default({}),
  trust: z.object({ keys: z.array(trustKeySchema).default([]) }).strict().default({}),
}).strict().superRefine((s, ctx) => {
  const names = new Set<string>();
  s.trust.keys.forEach((k, i) => {
    if (names.has(k.name)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['trust', 'keys', i, 'name'], message: `duplicate key ${k.name}` });
    names.add(k.name);
  });
  s.vulnDB.signedBy.forEach((k, i) => {
    if (!names.has(k)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['vulnDB', 'signedBy', i], message: `no trust key named ${k}` });
  });
  if (s.scanning.backend === 'harbor-adapter' && !s.scanning.harborAdapter) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['scanning', 'harborAdapter'], message: 'backend harbor-adapter needs scanning.harborAdapter.url' });
  }
});

export type Severity = z.output<typeof severitySchema>;
export type PolicyMode = z.output<typeof policyModeSchema>;
export type PreventVulnerable = z.output<typeof preventVulnerableSchema>;
export type RequireSignature = z.output<typeof requireSignatureSchema>;
export type CveAllowlistEntry = z.output<typeof cveAllowlistEntrySchema>;
export type PullPolicy = z.output<typeof pullPolicySchema>;
export type RepositorySecurity = z.output<typeof repositorySecuritySchema>;
export type DenyAll = z.output<typeof denyAllSchema>;
export type SecurityConfig = z.output<typeof securitySchema>;

/** When an allowlist entry stops applying (epoch ms), or undefined for an unparsable value. */
export function expiryTime(text: string): number | undefined {
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) {
    const start = Date.parse(`${text}T00:00:00Z`);
    return Number.isNaN(start) ? undefined : start + 86_400_000;
  }
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text)) return undefined;
  const t = Date.parse(text);
  return Number.isNaN(t) ? undefined : t;
}
