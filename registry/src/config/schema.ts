// The registry's configuration: one typed schema with defaults. The CLI reads it
// from YAML and the operator renders exactly this shape into a ConfigMap, so this
// file is the single source of truth for both.
import { z } from 'zod';

const hostPort = z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[^:\s]*):\d{1,5}$/, 'expected HOST:PORT');
const duration = z.number().int().nonnegative();

export const filesystemStorageSchema = z.object({
  root: z.string().min(1).default('./data'),
}).strict();

export const s3StorageSchema = z.object({
  endpoint: z.string().min(1).describe('S3 endpoint URL, e.g. http://minio.berth.svc:9000'),
  region: z.string().default('us-east-1'),
  bucket: z.string().min(3),
  accessKey: z.string().optional(),
  accessKeyFile: z.string().optional(),
  secretKey: z.string().optional(),
  secretKeyFile: z.string().optional(),
  pathStyle: z.boolean().default(true),
  prefix: z.string().default(''),
  tls: z.object({
    insecureSkipVerify: z.boolean().default(false),
    caFile: z.string().optional(),
  }).strict().default({}),
  /** Serve blob GETs as 307 redirects to presigned URLs instead of streaming them. */
  redirect: z.object({
    enabled: z.boolean().default(false),
    /** Endpoint clients use to reach the store when it differs from `endpoint` (split DNS). */
    externalEndpoint: z.string().optional(),
    expirySeconds: duration.default(1200),
  }).strict().default({}),
  /** Per-operation timeout; an S3 call slower than this answers 503 with Retry-After. */
  requestTimeoutSeconds: duration.default(30),
  partSizeBytes: z.number().int().min(5 * 1024 * 1024).default(16 * 1024 * 1024),
}).strict();

export const storageSchema = z.object({
  filesystem: filesystemStorageSchema.optional(),
  s3: s3StorageSchema.optional(),
}).strict()
  .refine((s) => !(s.filesystem && s.s3), { message: 'set exactly one of storage.filesystem and storage.s3' })
  .transform((s) => (s.filesystem || s.s3 ? s : { filesystem: { root: './data' } }));

export const tlsSchema = z.object({
  certFile: z.string(),
  keyFile: z.string(),
}).strict();

export const httpSchema = z.object({
  /** HOST:PORT to listen on. */
  listen: hostPort.default('0.0.0.0:5000'),
  /** Externally visible base URL, used in Location headers and the token realm when set. */
  publicURL: z.string().url().optional(),
  tls: tlsSchema.optional(),
  /** Seconds SIGTERM waits for in-flight requests before closing connections. */
  drainTimeoutSeconds: duration.default(30),
  /** Largest manifest accepted, in bytes (the spec's suggested 4 MiB). */
  maxManifestBytes: z.number().int().positive().default(4 * 1024 * 1024),
}).strict();

export const logSchema = z.object({
  level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  accessLog: z.boolean().default(true),
}).strict();

export const uploadsSchema = z.object({
  /** Uploads untouched for longer than this are purged. */
  purgeAfterSeconds: duration.default(24 * 3600),
  /** How often the purger runs; 0 disables it. */
  purgeIntervalSeconds: duration.default(3600),
}).strict();

export const metricsSchema = z.object({
  enabled: z.boolean().default(true),
  /** Serve /metrics on a separate HOST:PORT instead of the main listener. */
  listen: hostPort.optional(),
}).strict();

export const robotSecretSchema = z.object({
  /** scrypt hash of the secret: "scrypt$N$r$p$<salt-b64url>$<hash-b64url>" (auth/secret-hash.ts). */
  hash: z.string().min(1),
  /** RFC 3339 time after which this secret is rejected. */
  expiresAt: z.string().datetime({ offset: true }).optional(),
}).strict();

export const authSchema = z.object({
  enabled: z.boolean().default(false),
  /** Token service name (the JWT audience and the `service` challenge parameter). */
  service: z.string().default('berth-registry'),
  issuer: z.string().default('berth-registry'),
  /** Token endpoint URL announced in the challenge; defaults to <request host>/auth/token. */
  realm: z.string().optional(),
  tokenTTLSeconds: duration.default(300),
  /** Signing keys (PEM files, newest first); the first signs, all verify. */
  signingKeys: z.array(z.object({ kid: z.string().min(1), privateKeyFile: z.string() }).strict()).default([]),
  admin: z.object({ username: z.string().default('admin'), passwordFile: z.string().optional(), passwordHash: z.string().optional() }).strict().optional(),
  /** Policy file (robots + rules, YAML or JSON; see docs/auth.md), reloaded on change. */
  policyFile: z.string().optional(),
  /** Lifetime of refresh tokens (OAuth2 offline access, `docker login` identity tokens). */
  refreshTokenTTLSeconds: duration.default(24 * 3600),
  /** Brute-force resistance: failed logins per identity and per client address. */
  loginLimits: z.object({
    maxFailures: z.number().int().positive().default(10),
    windowSeconds: z.number().int().positive().default(60),
    lockoutSeconds: z.number().int().positive().default(30),
    maxLockoutSeconds: z.number().int().positive().default(900),
    failureDelayMs: duration.default(100),
    maxDelayMs: duration.default(1000),
  }).strict().default({}),
}).strict();

const tagPattern = z.string().min(1).max(128).regex(/^[A-Za-z0-9_.*?-]+$/, 'tag patterns use tag characters plus * and ?');

export const repositorySettingsSchema = z.object({
  /** Repository name or prefix pattern (`team-a/*`, `team-a/**`, exact name). */
  match: z.string().min(1).regex(/^[a-z0-9._\-/*]+$/, 'patterns may use lowercase letters, digits, . _ - / and *'),
  /** Tag globs (`v*`, `release-?`): an existing matching tag can be neither moved nor deleted. */
  immutableTags: z.array(tagPattern).default([]),
  /** Storage quota of this scope (every repository `match` covers), each unique blob counted once. */
  quotaBytes: z.number().int().nonnegative().optional(),
  anonymousPull: z.boolean().default(false),
  retention: z.object({
    /** Keep the N most recently pushed tags. */
    keepLastTags: z.number().int().positive().optional(),
    /** Keep tags matching these globs whatever their age. */
    keepTagPatterns: z.array(tagPattern).default([]),
    /** Delete manifests without a tag (and not referenced by kept ones) pushed longer ago than this. */
    untaggedOlderThanSeconds: duration.optional(),
    /** Only report what would be deleted. */
    dryRun: z.boolean().default(true),
  }).strict().optional(),
}).strict();

export const gcSchema = z.object({
  enabled: z.boolean().default(false),
  intervalSeconds: duration.default(24 * 3600),
  /** Content younger (or referenced more recently) than this is never swept; fractions allowed. */
  gracePeriodSeconds: z.number().nonnegative().default(3600),
  dryRun: z.boolean().default(false),
  /** Also collect untagged manifests nothing references (Distribution's opt-in --delete-untagged). */
  deleteUntagged: z.boolean().default(false),
  /** Lease on the GC lock; renewed every third of it while a run lasts. */
  leaseSeconds: z.number().int().positive().default(60),
}).strict();

export const webhookSchema = z.object({
  url: z.string().url(),
  headers: z.record(z.string()).default({}),
  events: z.array(z.enum(['push', 'pull', 'delete', 'quota-refused'])).default(['push', 'delete']),
  timeoutSeconds: z.number().positive().default(5),
  maxRetries: z.number().int().nonnegative().default(5),
  /** First retry delay; doubles per attempt up to maxBackoffSeconds. */
  backoffSeconds: z.number().positive().default(1),
  maxBackoffSeconds: z.number().positive().default(60),
  /** Events held for this receiver; when full the oldest is dropped. */
  queueSize: z.number().int().positive().default(1000),
}).strict();

export const configSchema = z.object({
  http: httpSchema.default({}),
  storage: storageSchema.default({}),
  log: logSchema.default({}),
  uploads: uploadsSchema.default({}),
  metrics: metricsSchema.default({}),
  auth: authSchema.default({}),
  repositories: z.array(repositorySettingsSchema).default([]),
  gc: gcSchema.default({}),
  events: z.object({
    webhooks: z.array(webhookSchema).default([]),
    /** CloudEvents `source` attribute; defaults to http.publicURL, else urn:berth:registry. */
    source: z.string().min(1).optional(),
    /** JSON lines for every write and every denied request, to `file` or stdout. */
    auditLog: z.object({ enabled: z.boolean().default(false), file: z.string().optional() }).strict().default({}),
  }).strict().default({}),
}).strict();

/** The configuration as written in a file (every field optional). */
export type RegistryConfigInput = z.input<typeof configSchema>;
/** The configuration after defaults are applied. */
export type RegistryConfig = z.output<typeof configSchema>;
export type S3StorageConfig = z.output<typeof s3StorageSchema>;
export type FilesystemStorageConfig = z.output<typeof filesystemStorageSchema>;
