// The mirroring part of the configuration: the upstreams a pull-through cache serves,
// the sync rules that copy from them on a schedule, and the replication rules that
// push local repositories to other registries.
import semver from 'semver';
import { z } from 'zod';
import { validateRepositoryPattern } from '../auth/repository-pattern.js';

const duration = z.number().int().nonnegative();
/** A namespace as clients name an upstream: DNS-like, lowercase, usable as a repository path component. */
const hostName = z.string().regex(/^[a-z0-9]+(?:[.-][a-z0-9]+)*$/, 'lowercase letters, digits, "." and "-" (a DNS name without port)');
/** What containerd may send as `ns`: a host name, optionally with a port. */
const alias = z.string().regex(/^[a-z0-9]+(?:[.-][a-z0-9]+)*(?::\d{1,5})?$/, 'a host name, optionally with :PORT');
const repositoryPattern = z.string().superRefine((p, ctx) => {
  const problem = validateRepositoryPattern(p);
  if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
});
const tagGlob = z.string().min(1).max(128).regex(/^[A-Za-z0-9_.*?-]+$/, 'tag patterns use tag characters plus * and ?');
const semverRange = z.string().refine((r) => semver.validRange(r) !== null, 'not a semver range (e.g. ">=3.19 <4", "^1.2")');
const platform = z.string().regex(/^[a-z0-9]+\/[a-z0-9_]+(?:\/[a-z0-9]+)?$/, 'os/architecture[/variant], e.g. linux/arm64/v8');

export const remoteTlsSchema = z.object({
  caFile: z.string().optional().describe('PEM bundle trusted for the remote (in addition to the system roots).'),
  insecureSkipVerify: z.boolean().default(false),
}).strict();

export const upstreamSchema = z.object({
  host: hostName.describe('Namespace of the upstream: `docker.io` caches `docker.io/library/alpine` (and `?ns=docker.io`).'),
  aliases: z.array(alias).default([]).describe('Other names clients use for it (`registry-1.docker.io`, `index.docker.io`).'),
  url: z.string().url().describe('Where the upstream is reached, e.g. https://registry-1.docker.io.'),
  credentialsFile: z.string().optional()
    .describe('YAML/JSON `{username, password}` or a Docker config.json (a mounted Secret); reloaded when it changes.'),
  tls: remoteTlsSchema.default({}),
  tagTTLSeconds: duration.default(300).describe('A cached tag younger than this is served without asking the upstream.'),
  staleIfErrorSeconds: duration.default(7 * 24 * 3600)
    .describe('How long after its last validation a cached tag is still served when the upstream fails.'),
  include: z.array(repositoryPattern).default(['**']).describe('Upstream repositories the cache serves (patterns).'),
  exclude: z.array(repositoryPattern).default([]).describe('Upstream repositories it never serves, even when included.'),
  maxSizeBytes: z.number().int().positive().optional()
    .describe('Bytes this upstream\'s cache may hold; over it the least recently pulled tags are evicted.'),
  maxConcurrentFetches: z.number().int().positive().default(8).describe('Blob downloads from the upstream at once; more wait.'),
  maxBandwidthBytesPerSecond: z.number().int().positive().optional().describe('Cap on the bytes per second read from the upstream.'),
  anonymousPull: z.boolean().default(false).describe('Anyone may pull this upstream\'s cached repositories (public content only).'),
  timeoutSeconds: z.number().positive().default(2)
    .describe('Connect and response-header timeout of upstream requests; a blob body idle this long ×15 fails.'),
  circuitOpenSeconds: duration.default(30)
    .describe('After an upstream failure, how long it is not asked again (a Retry-After from it wins).'),
  evictionGraceSeconds: duration.default(60).describe('A tag pulled this recently is never evicted (its image may be mid-pull).'),
}).strict();

export const syncRuleSchema = z.object({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and "-"'),
  upstream: hostName.describe('The `host` of the upstream to copy from; the copy lands in its cache namespace.'),
  repositories: z.array(z.string().min(1)).min(1).describe('Upstream repositories to copy (`library/alpine`).'),
  tags: z.array(tagGlob).default(['*']).describe('Tags to copy (globs).'),
  excludeTags: z.array(tagGlob).default([]),
  semver: semverRange.optional().describe('Only tags that are semantic versions within this range (`>=3.19 <4`); a leading "v" is allowed.'),
  newest: z.number().int().positive().optional().describe('Only the newest N of the selected tags (by version, else by name).'),
  platforms: z.array(platform).default([]).describe('Only these platforms of a multi-platform image (all when empty).'),
  intervalSeconds: duration.default(3600).describe('How often the rule runs; 0 runs it only on demand (admin API).'),
  concurrency: z.number().int().positive().default(4).describe('Blobs copied at once.'),
  referrers: z.boolean().default(true).describe('Copy signatures, attestations and SBOMs of each copied image.'),
}).strict();

export const mirrorSchema = z.object({
  upstreams: z.array(upstreamSchema).default([]),
  /** Folder of the spool files that readers of a blob being filled share; defaults to the OS temp folder. */
  spoolDir: z.string().optional().describe('Folder of the spool files that readers of a blob being filled share; defaults to the OS temp folder.'),
  sync: z.array(syncRuleSchema).default([]).describe('Copies from upstreams into their cache namespaces on a schedule.'),
}).strict().superRefine((m, ctx) => {
  const names = new Map<string, number>();
  m.upstreams.forEach((u, i) => {
    for (const name of [u.host, ...u.aliases]) {
      if (names.has(name)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['upstreams', i], message: `"${name}" names two upstreams` });
      names.set(name, i);
    }
  });
  const rules = new Set<string>();
  m.sync.forEach((r, i) => {
    if (!m.upstreams.some((u) => u.host === r.upstream)) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['sync', i, 'upstream'], message: `no upstream with host "${r.upstream}"` });
    }
    if (rules.has(r.name)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['sync', i, 'name'], message: `duplicate rule name "${r.name}"` });
    rules.add(r.name);
  });
});

export const replicationRuleSchema = z.object({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and "-"'),
  repositories: z.array(repositoryPattern).min(1).describe('Local repositories to push (patterns).'),
  tags: z.array(tagGlob).default(['*']),
  excludeTags: z.array(tagGlob).default([]),
  semver: semverRange.optional(),
  newest: z.number().int().positive().optional(),
  url: z.string().url().describe('The destination registry, e.g. https://registry.prod.example.com.'),
  prefix: z.string().regex(/^(?:[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*)?$/, 'a repository path or empty')
    .default('').describe('Prepended to each repository name at the destination (`prod` puts `team-a/app` at `prod/team-a/app`).'),
  credentialsFile: z.string().optional().describe('YAML/JSON `{username, password}` or a Docker config.json for the destination.'),
  tls: remoteTlsSchema.default({}),
  onPush: z.boolean().default(true).describe('Push each matching tag (and its signatures) as soon as it is pushed here.'),
  intervalSeconds: duration.default(0).describe('Also run the whole rule this often; 0 only on push and on demand.'),
  concurrency: z.number().int().positive().default(4),
  referrers: z.boolean().default(true),
  timeoutSeconds: z.number().positive().default(30),
}).strict();

export const replicationSchema = z.array(replicationRuleSchema).default([]).superRefine((rules, ctx) => {
  const names = new Set<string>();
  rules.forEach((r, i) => {
    if (names.has(r.name)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [i, 'name'], message: `duplicate rule name "${r.name}"` });
    names.add(r.name);
  });
});

export type UpstreamConfig = z.output<typeof upstreamSchema>;
export type SyncRuleConfig = z.output<typeof syncRuleSchema>;
export type ReplicationRuleConfig = z.output<typeof replicationRuleSchema>;
export type MirrorConfig = z.output<typeof mirrorSchema>;
export type RemoteTlsConfig = z.output<typeof remoteTlsSchema>;
