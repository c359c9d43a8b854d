// The route table: each Distribution API route, its path grammar, and per method
// the handler and the access it requires. The dispatcher in app.ts is generic.
import { catalog, repository, type Access } from '../auth/access.js';
import { deleteBlob, getBlob, headBlob } from './handlers/blobs.js';
import { isValidRepositoryName } from '../reference.js';
import type { Ctx } from './handlers/context.js';
import { listCatalog, listReferrers, listTags } from './handlers/listing.js';
import { deleteManifest, getManifest, headManifest, putManifest } from './handlers/manifests.js';
import { getSecurityStatus, getSignatures, getVulnerabilities, postScan } from './handlers/security.js';
import { cancelUpload, completeUpload, patchUpload, startUpload, uploadStatus } from './handlers/uploads.js';

export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface Operation {
  readonly handler: (ctx: Ctx) => Promise<void>;
  readonly access: (ctx: Ctx) => Access[];
  /** Access used when granted but not required (named in the auth challenge). */
  readonly optionalAccess?: (ctx: Ctx) => Access[];
}

export interface Route {
  readonly name: string;
  /** Matches the path after "/v2/"; group 1 is the repository name when `named`. */
  readonly pattern: RegExp;
  /**
   * A substring every path the pattern matches contains. Routes whose literal is
   * absent are not tried: a repository name's greedy `(.+)` makes each miss a
   * backtracking scan, and on the hot routes these misses cost more than the match.
   */
  readonly literal?: string;
  readonly params: readonly string[];
  readonly named: boolean;
  readonly methods: Partial<Record<Method, Operation>>;
}

const pull = (ctx: Ctx) => [repository(ctx.repo, 'pull')];
const push = (ctx: Ctx) => [repository(ctx.repo, 'pull', 'push')];
const remove = (ctx: Ctx) => [repository(ctx.repo, 'delete')];
/** A cross-repository mount uses pull on the source when granted, else degrades to an upload. */
const mountSource = (ctx: Ctx) => {
  const from = ctx.query.get('from');
  return ctx.query.has('mount') && from && from !== ctx.repo && isValidRepositoryName(from) ? [repository(from, 'pull')] : [];
};

export const routes: readonly Route[] = [
  {
    name: 'base', pattern: /^$/, params: [], named: false,
    methods: { GET: { handler: async (ctx) => { ctx.res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': 2 }).end('{}'); }, access: () => [] } },
  },
  {
    name: 'catalog', pattern: /^_catalog$/, params: [], named: false,
    methods: { GET: { handler: listCatalog, access: () => [catalog()] } },
  },
  {
    name: 'security-status', pattern: /^_berth\/security\/status$/, params: [], named: false,
    methods: { GET: { handler: getSecurityStatus, access: () => [catalog()] } },
  },
  {
    name: 'vulnerabilities', literal: '/_berth/vulnerabilities/', pattern: /^(.+)\/_berth\/vulnerabilities\/([^/]+)$/, params: ['digest'], named: true,
    methods: { GET: { handler: getVulnerabilities, access: pull } },
  },
  {
    name: 'signatures', literal: '/_berth/signatures/', pattern: /^(.+)\/_berth\/signatures\/([^/]+)$/, params: ['digest'], named: true,
    methods: { GET: { handler: getSignatures, access: pull } },
  },
  {
    name: 'scan', literal: '/_berth/scan/', pattern: /^(.+)\/_berth\/scan\/([^/]+)$/, params: ['digest'], named: true,
    methods: { POST: { handler: postScan, access: push } },
  },
  {
    name: 'tags', literal: '/tags/list', pattern: /^(.+)\/tags\/list$/, params: [], named: true,
    methods: { GET: { handler: listTags, access: pull } },
  },
  {
    name: 'manifest', literal: '/manifests/', pattern: /^(.+)\/manifests\/([^/]+)$/, params: ['reference'], named: true,
    methods: {
      GET: { handler: getManifest, access: pull },
      HEAD: { handler: headManifest, access: pull },
      PUT: { handler: putManifest, access: push },
      DELETE: { handler: deleteManifest, access: remove },
    },
  },
  {
    name: 'upload-start', literal: '/blobs/uploads', pattern: /^(.+)\/blobs\/uploads\/?$/, params: [], named: true,
    methods: { POST: { handler: startUpload, access: push, optionalAccess: mountSource } },
  },
  {
    name: 'upload', literal: '/blobs/uploads/', pattern: /^(.+)\/blobs\/uploads\/([^/]+)$/, params: ['uuid'], named: true,
    methods: {
      GET: { handler: uploadStatus, access: push },
      PATCH: { handler: patchUpload, access: push },
      PUT: { handler: completeUpload, access: push },
      DELETE: { handler: cancelUpload, access: push },
    },
  },
  {
    name: 'blob', literal: '/blobs/', pattern: /^(.+)\/blobs\/([^/]+)$/, params: ['digest'], named: true,
    methods: {
      GET: { handler: getBlob, access: pull },
      HEAD: { handler: headBlob, access: pull },
      DELETE: { handler: deleteBlob, access: remove },
    },
  },
  {
    name: 'referrers', literal: '/referrers/', pattern: /^(.+)\/referrers\/([^/]+)$/, params: ['digest'], named: true,
    methods: { GET: { handler: listReferrers, access: pull } },
  },
];

export interface RouteMatch {
  readonly route: Route;
  readonly repo: string;
  readonly params: Record<string, string>;
}

/** Finds the route for a path below /v2/ (raw, undecoded). */
export function matchRoute(rest: string): RouteMatch | undefined {
  for (const route of routes) {
    if (route.literal !== undefined && !rest.includes(route.literal)) continue;
    const m = route.pattern.exec(rest);
    if (!m) continue;
    const offset = route.named ? 2 : 1;
    const params: Record<string, string> = {};
    route.params.forEach((p, i) => {
      params[p] = safeDecode(m[offset + i]);
    });
    return { route, repo: route.named ? m[1] : '', params };
  }
  return undefined;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
