// The registry's configuration: one typed schema with defaults. The CLI reads it
// from YAML and the operator renders exactly this shape into a ConfigMap, so this
// file is the single source of truth for both.
import { z } from 'zod';
import { federationSchema } from './federation.js';
import { mirrorSchema, replicationSchema } from './mirror.js';
import { repositorySecuritySchema, securitySchema } from './security.js';

const hostPort = z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[^:\s]*):\d{1,5}$/, 'expected HOST:PORT');
const duration = z.number().int().nonnegative();

export const filesystemStorageSchema = z.object({
  root: z.string().min(1).default('./data').describe('Folder holding all registry data.'),
}).strict();

export const s3StorageSchema = z.object({
  endpoint: z.string().min(1).describe('S3 endpoint URL, e.g. http://minio.berth.svc:9000'),
  region: z.string().default('us-east-1'),
  bucket: z.string().min(3).describe('Bucket holding all registry data.'),
  // Credentials: the value, else the file, else BERTH_S3_ACCESS_KEY / BERTH_S3_SECRET_KEY.
  accessKey: z.string().optional().describe('Access key; else accessKeyFile; else env BERTH_S3_ACCESS_KEY.'),
  accessKeyFile: z.string().optional().describe('File holding the access key (a mounted Secret).'),
  secretKey: z.string().optional().describe('Secret key; else secretKeyFile; else env BERTH_S3_SECRET_KEY.'),
  secretKeyFile: z.string().optional().describe('File holding the secret key (a mounted Secret).'),
  pathStyle: z.boolean().default(true).describe('Path-style addressing (MinIO and most on-premises stores need it).'),
  prefix: z.string().default('').describe('Key prefix inside the bucket (several registries in one bucket).'),
  tls: z.object({
    insecureSkipVerify: z.boolean().default(false),
    caFile: z.string().optional(),
  }).strict().default({}),
  /** Serve blob GETs as 307 redirects to presigned URLs instead of streaming them. */
  redirect: z.object({
    enabled: z.boolean().default(false),
    /** Endpoint clients use to reach the store when it differs from `endpoint` (split DNS). */
    externalEndpoint: z.string().optional().describe('Endpoint clients use to reach the store when it differs from `endpoint` (split DNS).'),
    expirySeconds: duration.default(1200),
  }).strict().default({}),
  /** Per-operation timeout; an S3 call slower than this answers 503 with Retry-After. */
  requestTimeoutSeconds: duration.default(30).describe('Per-operation timeout; an S3 call slower than this answers 503 with Retry-After.'),
  partSizeBytes: z.number().int().min(5 * 1024 * 1024).default(16 * 1024 * 1024),
  /** Connections kept alive to the store, per kind (object GETs; every other call). */
  maxConnections: z.number().int().min(1).max(1024).default(128)
    .describe('Most connections to the store at once, each kept alive for reuse: for object GETs, and again for every other call.'),
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
  listen: hostPort.default('0.0.0.0:5000').describe('HOST:PORT to listen on.'),
  /** Externally visible base URL, used in Location headers and the token realm when set. */
  publicURL: z.string().url().optional().describe('Externally visible base URL, used in Location headers and the token realm when set.'),
  tls: tlsSchema.optional(),
  /** Seconds SIGTERM waits for in-flight requests before closing connections. */
  drainTimeoutSeconds: duration.default(30).describe('Seconds SIGTERM waits for in-flight requests before closing connections.'),
  /** Largest manifest accepted, in bytes (the spec's suggested 4 MiB). */
  maxManifestBytes: z.number().int().positive().default(4 * 1024 * 1024).describe('Largest manifest accepted, in bytes (the spec\'s suggested 4 MiB).'),
  /** Time a client has to send a request's headers (slowloris); 408 after it. */
  headersTimeoutSeconds: z.number().int().positive().default(20).describe('Time a client has to send a request\'s headers (slowloris); 408 after it.'),
  /** A request body or response that moves no byte for this long is cut (stalled uploads and readers); a slow but moving push is never cut, nor a request the registry is still working on. */
  idleTimeoutSeconds: z.number().int().positive().default(60).describe('A request body or response that moves no byte for this long is cut (stalled uploads and readers); a slow but moving push is never cut, nor a request the registry is still working on.'),
  /** Largest request head (request line and headers), in bytes; 431 above it. */
  maxHeaderBytes: z.number().int().min(1024).default(16 * 1024).describe('Largest request head (request line and headers), in bytes; 431 above it.'),
  /** Most header fields in one request; 431 above it. */
  maxHeaders: z.number().int().positive().default(100).describe('Most header fields in one request; 431 above it.'),
}).strict();

export const logSchema = z.object({
  level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  accessLog: z.boolean().default(true),
}).strict();

export const uploadsSchema = z.object({
  /** Uploads untouched for longer than this are purged. */
  purgeAfterSeconds: duration.default(24 * 3600).describe('Uploads untouched for longer than this are purged.'),
  /** How often the purger runs; 0 disables it. */
  purgeIntervalSeconds: duration.default(3600).describe('How often the purger runs; 0 disables it.'),
}).strict();

export const metricsSchema = z.object({
  enabled: z.boolean().default(true),
  /** Serve /metrics on a separate HOST:PORT instead of the main listener. */
  listen: hostPort.optional().describe('Serve /metrics on a separate HOST:PORT instead of the main listener.'),
}).strict();

export const robotSecretSchema = z.object({
  /** scrypt hash of the secret: "scrypt$N$r$p$<salt-b64url>$<hash-b64url>" (auth/secret-hash.ts). */
  hash: z.string().min(1).describe('scrypt hash of the secret: "scrypt$N$r$p$<salt-b64url>$<hash-b64url>" (auth/secret-hash.ts).'),
  /** RFC 3339 time after which this secret is rejected. */
  expiresAt: z.string().datetime({ offset: true }).optional().describe('RFC 3339 time after which this secret is rejected.'),
}).strict();

export const authSchema = z.object({
  enabled: z.boolean().default(false),
  /** Token service name (the JWT audience and the `service` challenge parameter). */
  service: z.string().default('berth-registry').describe('Token service name (the JWT audience and the `service` challenge parameter).'),
  issuer: z.string().default('berth-registry'),
  /** Token endpoint URL announced in the challenge; defaults to <request host>/auth/token. */
  realm: z.string().optional().describe('Token endpoint URL announced in the challenge; defaults to <request host>/auth/token.'),
  tokenTTLSeconds: duration.default(300),
  /** Signing keys (PEM files, newest first); the first signs, all verify. */
  signingKeys: z.array(z.object({ kid: z.string().min(1), privateKeyFile: z.string() }).strict()).default([]).describe('Signing keys (PEM files, newest first); the first signs, all verify.'),
  admin: z.object({ username: z.string().default('admin'), passwordFile: z.string().optional(), passwordHash: z.string().optional() }).strict().optional(),
  /** Policy file (robots + rules, YAML or JSON; see docs/auth.md), reloaded on change. */
  policyFile: z.string().optional().describe('Policy file (robots + rules, YAML or JSON; see docs/auth.md), reloaded on change.'),
  /** Robot files (robots only, no rules; see docs/auth.md), reloaded with the policy file. A missing file has no robots; one that does not parse has its robots refused. */
  robotFiles: z.array(z.string()).default([]).describe('Robot files (robots only, no rules; see docs/auth.md), reloaded with the policy file. A missing file has no robots; one that does not parse has its robots refused.'),
  /** Lifetime of refresh tokens (OAuth2 offline access, `docker login` identity tokens). */
  refreshTokenTTLSeconds: duration.default(24 * 3600).describe('Lifetime of refresh tokens (OAuth2 offline access, `docker login` identity tokens).'),
  /** Brute-force resistance: failed logins per identity and per client address. */
  loginLimits: z.object({
    maxFailures: z.number().int().positive().default(10),
    windowSeconds: z.number().int().positive().default(60),
    lockoutSeconds: z.number().int().positive().default(30),
    maxLockoutSeconds: z.number().int().positive().default(900),
    failureDelayMs: duration.default(100),
    maxDelayMs: duration.default(1000),
  }).strict().default({}),
  /** Outside token issuers (Kubernetes ServiceAccounts, CI OIDC) whose JWTs are accepted as credentials. */
  federation: federationSchema.default({}).describe('Outside token issuers (Kubernetes ServiceAccounts, CI OIDC) whose JWTs are accepted as credentials; see docs/identity.md.'),
}).strict();

const tagPattern = z.string().min(1).max(128).regex(/^[A-Za-z0-9_.*?-]+$/, 'tag patterns use tag characters plus * and ?');

export const repositorySettingsSchema = z.object({
  /** Repository name or prefix pattern (`team-a/*`, `team-a/**`, exact name). */
  match: z.string().min(1).regex(/^[a-z0-9._\-/*]+$/, 'patterns may use lowercase letters, digits, . _ - / and *').describe('Repository name or prefix pattern (`team-a/*`, `team-a/**`, exact name).'),
  /** Tag globs (`v*`, `release-?`): an existing matching tag can be neither moved nor deleted. */
  immutableTags: z.array(tagPattern).default([]).describe('Tag globs (`v*`, `release-?`): an existing matching tag can be neither moved nor deleted.'),
  /** Storage quota of this scope (every repository `match` covers), each unique blob counted once. */
  quotaBytes: z.number().int().nonnegative().optional().describe('Storage quota of this scope (every repository `match` covers), each unique blob counted once.'),
  anonymousPull: z.boolean().default(false),
  retention: z.object({
    /** Keep the N most recently pushed tags. */
    keepLastTags: z.number().int().positive().optional().describe('Keep the N most recently pushed tags.'),
    /** Keep tags matching these globs whatever their age. */
    keepTagPatterns: z.array(tagPattern).default([]).describe('Keep tags matching these globs whatever their age.'),
    /** Delete manifests without a tag (and not referenced by kept ones) pushed longer ago than this. */
    untaggedOlderThanSeconds: duration.optional().describe('Delete manifests without a tag (and not referenced by kept ones) pushed longer ago than this.'),
    /** Only report what would be deleted. */
    dryRun: z.boolean().default(true).describe('Only report what would be deleted.'),
  }).strict().optional(),
  /** Pull policies (vulnerabilities, signatures) and the CVE allowlist; see docs/supply-chain.md. */
  security: repositorySecuritySchema.optional().describe('Pull policies (preventVulnerable, requireSignature) and the CVE allowlist; see docs/supply-chain.md.'),
}).strict();

export const gcSchema = z.object({
  enabled: z.boolean().default(false),
  intervalSeconds: duration.default(24 * 3600),
  /** Content younger (or referenced more recently) than this is never swept; fractions allowed. */
  gracePeriodSeconds: z.number().nonnegative().default(3600).describe('Content younger (or referenced more recently) than this is never swept; fractions allowed.'),
  dryRun: z.boolean().default(false),
  /** Also collect untagged manifests nothing references (Distribution's opt-in --delete-untagged). */
  deleteUntagged: z.boolean().default(false).describe('Also collect untagged manifests nothing references (Distribution\'s opt-in --delete-untagged).'),
  /** Lease on the GC lock; renewed every third of it while a run lasts. */
  leaseSeconds: z.number().int().positive().default(60).describe('Lease on the GC lock; renewed every third of it while a run lasts.'),
}).strict();

export const webhookSchema = z.object({
  url: z.string().url(),
  headers: z.record(z.string()).default({}),
  events: z.array(z.enum(['push', 'pull', 'delete', 'quota-refused', 'cache', 'replication', 'vulnerability'])).default(['push', 'delete']),
  timeoutSeconds: z.number().positive().default(5),
  maxRetries: z.number().int().nonnegative().default(5),
  /** First retry delay; doubles per attempt up to maxBackoffSeconds. */
  backoffSeconds: z.number().positive().default(1).describe('First retry delay; doubles per attempt up to maxBackoffSeconds.'),
  maxBackoffSeconds: z.number().positive().default(60),
  /** Events held for this receiver; when full the oldest is dropped. */
  queueSize: z.number().int().positive().default(1000).describe('Events held for this receiver; when full the oldest is dropped.'),
}).strict();

export const metadataSchema = z.object({
  engine: z.enum(['sqlite', 'postgres']).default('sqlite')
    .describe('Where the metadata index lives: SQLite in-process (one replica) or a shared PostgreSQL (any number of replicas).'),
  sqlite: z.object({
    path: z.string().min(1).optional()
      .describe('Index file on local disk; default <storage.filesystem.root>/_metadata/index.db. Required with S3 storage (a local disk of the replica\'s own), unless the engine is postgres.'),
  }).strict().default({}),
  postgres: z.object({
    url: z.string().min(1).optional().describe('postgres://user:password@host:5432/db?sslmode=verify-full'),
    urlFile: z.string().min(1).optional().describe('File holding the URL (a mounted Secret key, e.g. CloudNativePG\'s <cluster>-app, key uri).'),
    tls: z.object({
      caFile: z.string().optional().describe('CA bundle that signed the server certificate.'),
      insecureSkipVerify: z.boolean().default(false),
    }).strict().default({}),
    poolSize: z.number().int().positive().default(10),
    statementTimeoutSeconds: z.number().positive().default(10),
    connectTimeoutSeconds: z.number().positive().default(3),
  }).strict().optional(),
  audit: z.object({
    maxAgeSeconds: duration.default(90 * 86_400)
      .describe('Audit records older than this are pruned from the index (0: no age limit). The audit log file (events.auditLog) is the durable record; the index keeps what the activity API shows.'),
    maxRecords: z.number().int().nonnegative().default(1_000_000)
      .describe('At most this many of the newest audit records stay in the index (0: no limit).'),
    pruneIntervalSeconds: z.number().int().positive().default(300)
      .describe('How often records due to go are pruned, in slices of 1,000 with the event loop free between them.'),
  }).strict().default({}),
  scrub: z.object({
    intervalSeconds: duration.default(86_400).describe('How often the index is verified against storage and repaired (0: never).'),
    repairAfterSeconds: z.number().int().positive().default(60)
      .describe('A write whose journal entry is this old died between storage and index: its repository is scrubbed.'),
  }).strict().default({}),
}).strict().superRefine((m, ctx) => {
  if (m.engine === 'postgres' && !m.postgres?.url && !m.postgres?.urlFile) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['postgres'], message: 'engine postgres needs postgres.url or postgres.urlFile' });
  }
});

/** Bounds on a JSON body (manifests), checked before it is parsed (registry/src/manifest/json-limits.ts). */
export const jsonLimitsSchema = z.object({
  /** Deepest nesting of arrays and objects. */
  maxDepth: z.number().int().min(2).default(32).describe('Deepest nesting of arrays and objects.'),
  /** Most elements in one array, or members in one object (layers, index entries, annotations). */
  maxMembers: z.number().int().positive().default(10_000).describe('Most elements in one array, or members in one object (layers, index entries, annotations).'),
  /** Most values in one document (objects, arrays, strings, numbers, literals). */
  maxValues: z.number().int().positive().default(100_000).describe('Most values in one document (objects, arrays, strings, numbers, literals).'),
  /** Longest string, key or number, in bytes. */
  maxStringBytes: z.number().int().positive().default(128 * 1024).describe('Longest string, key or number, in bytes.'),
}).strict();

/** Concurrency limits on expensive work: over a limit a request waits in line, then gets 429 with Retry-After. */
export const limitsSchema = z.object({
  json: jsonLimitsSchema.default({}),
  /** Manifest PUTs read, parsed and stored at once, of bodies declared no bigger than largeManifestBytes. */
  manifestPuts: z.number().int().positive().default(8).describe('Manifest PUTs read, parsed and stored at once, of bodies declared no bigger than largeManifestBytes.'),
  /** The same for bigger bodies, or bodies of undeclared length: each holds up to http.maxManifestBytes. */
  largeManifestPuts: z.number().int().positive().default(2).describe('The same for bigger bodies, or bodies of undeclared length: each holds up to http.maxManifestBytes.'),
  /** Where a manifest body counts as large. Real manifests are a few KiB; an index of 100 platforms about 40 KiB. */
  largeManifestBytes: z.number().int().positive().default(256 * 1024).describe('Where a manifest body counts as large. Real manifests are a few KiB; an index of 100 platforms about 40 KiB.'),
  /** Upload requests streaming a body at once (monolithic POST, PATCH, PUT), over all clients. */
  uploads: z.number().int().positive().default(16).describe('Upload requests streaming a body at once (monolithic POST, PATCH, PUT), over all clients.'),
  /** The same per client: per identity, or per address for anonymous requests. */
  uploadsPerClient: z.number().int().positive().default(8).describe('The same per client: per identity, or per address for anonymous requests.'),
  /** Longest wait for a free slot before 429. */
  queueSeconds: z.number().nonnegative().default(5).describe('Longest wait for a free slot before 429.'),
  /** Most requests waiting for slots of one limit; beyond it 429 at once. */
  queueLength: z.number().int().nonnegative().default(64).describe('Most requests waiting for slots of one limit; beyond it 429 at once.'),
  /** Threads hashing uploads; 0 picks one per core but one, at most 4. */
  hashWorkers: z.number().int().nonnegative().max(16).default(0).describe('Threads hashing uploads; 0 picks one per core but one, at most 4.'),
}).strict();

export const uiSchema = z.object({
  enabled: z.boolean().default(true).describe('Serve the web UI at /ui and its JSON API at /api/v1 (docs/ui.md, docs/api.md).'),
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
  metadata: metadataSchema.default({}),
  limits: limitsSchema.default({}),
  security: securitySchema.default({}).describe('Scanning, the vulnerability database and trusted signing keys; see docs/supply-chain.md.'),
  ui: uiSchema.default({}),
  events: z.object({
    webhooks: z.array(webhookSchema).default([]),
    /** CloudEvents `source` attribute; defaults to http.publicURL, else urn:berth:registry. */
    source: z.string().min(1).optional().describe('CloudEvents `source` attribute; defaults to http.publicURL, else urn:berth:registry.'),
    /** JSON lines for every write and every denied request, to `file` or stdout. */
    auditLog: z.object({ enabled: z.boolean().default(false), file: z.string().optional() }).strict().default({}).describe('JSON lines for every write and every denied request, to `file` or stdout.'),
  }).strict().default({}),
  /** Pull-through cache of other registries, and scheduled copies from them (docs/mirroring.md). */
  mirror: mirrorSchema.default({}).describe('Pull-through cache of other registries, and scheduled copies from them (docs/mirroring.md).'),
  /** Pushes of local repositories to other registries, on push or on a schedule (docs/mirroring.md). */
  replication: replicationSchema.describe('Pushes of local repositories to other registries, on push or on a schedule (docs/mirroring.md).'),
}).strict().superRefine((c, ctx) => {
  // No silent default in the working directory: two processes started there would share one file.
  if (c.storage.s3 && c.metadata.engine === 'sqlite' && !c.metadata.sqlite.path) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['metadata', 'sqlite', 'path'], message: 'required with S3 storage (or metadata.engine: postgres)' });
  }
  // A policy naming a key the registry does not have could never pass: refuse it at start.
  const keys = new Set(c.security.trust.keys.map((k) => k.name));
  c.repositories.forEach((r, i) => r.security?.requireSignature?.keys.forEach((k, j) => {
    if (!keys.has(k)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['repositories', i, 'security', 'requireSignature', 'keys', j], message: `no trust key named ${k} in security.trust.keys` });
  }));
});

/** The configuration as written in a file (every field optional). */
export type RegistryConfigInput = z.input<typeof configSchema>;
/** The configuration after defaults are applied. */
export type RegistryConfig = z.output<typeof configSchema>;
export type S3StorageConfig = z.output<typeof s3StorageSchema>;
export type JsonLimitsConfig = z.output<typeof jsonLimitsSchema>;
export type LimitsConfig = z.output<typeof limitsSchema>;
export type FilesystemStorageConfig = z.output<typeof filesystemStorageSchema>;
