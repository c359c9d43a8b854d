// Reaching a Registry from the test machine the way a client outside the pods
// would: through its Service's ClusterIP (kube-proxy routes it on the node),
// with the credentials the operator synced into a namespace, over the TLS the
// Registry serves (trusting its CA from the Secret).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeClient } from '../../../operator/src/kube/client.js';
import type { KubeObject } from '../../../operator/src/kube/types.js';
import { run, runOk } from '../../harness/tools.js';

export interface Credential {
  username: string;
  password: string;
}

type SecretObject = KubeObject & { data?: Record<string, string> };

/** The credential a synced dockerconfigjson Secret holds for `host`. */
export async function credentialFrom(client: KubeClient, namespace: string, secret: string, host: string): Promise<Credential> {
  const s = await client.get<SecretObject>('v1', 'Secret', secret, namespace);
  const doc = JSON.parse(Buffer.from(s.data!['.dockerconfigjson'], 'base64').toString('utf8')) as { auths: Record<string, Credential> };
  const entry = doc.auths[host];
  if (!entry) throw new Error(`${namespace}/${secret} has no entry for ${host} (has ${Object.keys(doc.auths).join(', ')})`);
  return { username: entry.username, password: entry.password };
}

export interface RegistryEndpoint {
  /** ClusterIP:port */
  host: string;
  url: string;
  tls: boolean;
  /** PEM of the CA clients must trust, with TLS. */
  caPem?: string;
  /** The name the certificate must carry, when `host` is not one of its names (a pod IP). */
  serverName?: string;
}

export async function endpointOf(client: KubeClient, namespace: string, name: string): Promise<RegistryEndpoint> {
  const svc = await client.get<KubeObject & { spec: { clusterIP: string; ports: Array<{ port: number }> } }>('v1', 'Service', name, namespace);
  const reg = await client.get<KubeObject & { spec: { tls?: { selfSigned?: boolean; secretRef?: { name: string } } } }>('berth.dev/v1alpha1', 'Registry', name, namespace);
  const host = `${svc.spec.clusterIP}:${svc.spec.ports[0].port}`;
  if (!reg.spec.tls) return { host, url: `http://${host}`, tls: false };
  const secret = await client.get<SecretObject>('v1', 'Secret', reg.spec.tls.secretRef?.name ?? `${name}-tls`, namespace);
  const caPem = Buffer.from(secret.data!['ca.crt'] ?? secret.data!['tls.crt'], 'base64').toString('utf8');
  return { host, url: `https://${host}`, tls: true, caPem };
}

export interface Reply {
  status: number;
  /** The reason phrase of the status line. */
  statusMessage: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** One HTTP request to the registry, trusting its CA (and only it) for TLS. */
export function send(ep: RegistryEndpoint, method: string, path: string, opts: { headers?: Record<string, string | number>; body?: Buffer } = {}): Promise<Reply> {
  const mod = ep.tls ? https : http;
  return new Promise((resolve, reject) => {
    const identity = ep.serverName ? { servername: ep.serverName, checkServerIdentity: (_host: string, cert: tls.PeerCertificate) => tls.checkServerIdentity(ep.serverName!, cert) } : {};
    const req = mod.request(`${ep.url}${path}`, { method, headers: opts.headers, ...(ep.caPem ? { ca: ep.caPem } : {}), ...identity, timeout: 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, statusMessage: res.statusMessage ?? '', headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timeout`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** A bearer token for `scope` from the registry's token endpoint (the realm its challenge names). */
export async function token(ep: RegistryEndpoint, cred: Credential, scope: string): Promise<string> {
  const challenge = String((await send(ep, 'GET', '/v2/')).headers['www-authenticate'] ?? '');
  const realm = /realm="([^"]+)"/.exec(challenge)?.[1];
  const service = /service="([^"]+)"/.exec(challenge)?.[1];
  if (!realm || !service) throw new Error(`no Bearer challenge from ${ep.url}/v2/: "${challenge}"`);
  const url = new URL(realm);
  url.searchParams.set('service', service);
  url.searchParams.set('scope', scope);
  const res = await send(ep, 'GET', url.pathname + url.search, { headers: { authorization: `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString('base64')}` } });
  if (res.status !== 200) throw new Error(`token endpoint answered ${res.status}: ${res.body.toString()}`);
  return (JSON.parse(res.body.toString()) as { token: string }).token;
}

/** The digest of the `host/repo@sha256:…` reference crane prints after a push or a mutate. */
function digestOf(printed: string): string {
  const digest = /@(sha256:[0-9a-f]{64})\s*$/.exec(printed)?.[1];
  if (!digest) throw new Error(`crane printed no digest reference: ${printed}`);
  return digest;
}

/** crane with its own Docker config (logged in with `cred`) and, with TLS, trusting only the registry's CA. */
export class Crane {
  private readonly dir = mkdtempSync(join(tmpdir(), 'berth-crane-'));

  private constructor(private readonly ep: RegistryEndpoint) {}

  static async login(ep: RegistryEndpoint, cred: Credential): Promise<Crane> {
    const c = new Crane(ep);
    if (ep.caPem) writeFileSync(join(c.dir, 'ca.pem'), ep.caPem);
    await runOk('crane', ['auth', 'login', ep.host, '-u', cred.username, '-p', cred.password], { env: c.env() });
    return c;
  }

  env(): NodeJS.ProcessEnv {
    return { DOCKER_CONFIG: this.dir, ...(this.ep.caPem ? { SSL_CERT_FILE: join(this.dir, 'ca.pem') } : {}) };
  }

  private flags(): string[] {
    return this.ep.tls ? [] : ['--insecure'];
  }

  /** Pushes a docker-archive or OCI layout to repo:tag; returns the digest. */
  async push(source: string, repoTag: string): Promise<string> {
    return digestOf(await runOk('crane', ['push', ...this.flags(), source, `${this.ep.host}/${repoTag}`], { env: this.env(), timeoutMs: 180_000 }));
  }

  /** Copies repo:tag to newRepoTag with one more config label (crane mutate): another digest, which it returns. */
  async labelled(repoTag: string, label: string, newRepoTag: string): Promise<string> {
    const out = await runOk('crane', ['mutate', ...this.flags(), `${this.ep.host}/${repoTag}`, '--label', label, '-t', `${this.ep.host}/${newRepoTag}`], { env: this.env(), timeoutMs: 60_000 });
    return digestOf(out);
  }

  /** Pulls every blob of repo:tag (crane pull to a throwaway tarball); resolves with crane's exit code and output. */
  async pull(repoTag: string): Promise<{ code: number; stderr: string }> {
    const out = join(this.dir, `pull-${Date.now()}-${Math.random().toString(36).slice(2)}.tar`);
    const r = await run('crane', ['pull', ...this.flags(), `${this.ep.host}/${repoTag}`, out], { env: this.env(), timeoutMs: 60_000 });
    rmSync(out, { force: true });
    return { code: r.code, stderr: r.stderr };
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Pulls repo:tag in a loop until stop() and counts failures: the load a
 * registry must carry through pod deletions and rollouts. Bounded by `maxPulls`.
 */
export function pullLoop(crane: Crane, repoTag: string, maxPulls = 400): { stop(): Promise<{ pulls: number; failures: string[] }> } {
  let stopping = false;
  const failures: string[] = [];
  let pulls = 0;
  const loop = (async () => {
    while (!stopping && pulls < maxPulls) {
      const r = await crane.pull(repoTag);
      pulls++;
      if (r.code !== 0) failures.push(r.stderr.trim().split('\n').pop() ?? `exit ${r.code}`);
    }
  })();
  return {
    async stop() {
      stopping = true;
      await loop;
      return { pulls, failures };
    },
  };
}

/** Failed logins per client address the registry tolerates in a minute before a lockout (auth.loginLimits.maxFailures is 10). */
const LOGIN_POLL_MS = 7_000;

/**
 * A token for `scope` once the registry grants what `granted` asks, polling no faster than
 * the login limiter allows: until the policy Secret reaches the registry the robot is unknown,
 * and every try is a failed login counted against this client's address. A 429 is waited out.
 */
export async function awaitGrant(ep: RegistryEndpoint, cred: Credential, scope: string, granted: (actions: string[]) => boolean, timeoutMs = 150_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const t = await token(ep, cred, scope);
      const claims = JSON.parse(Buffer.from(t.split('.')[1], 'base64url').toString('utf8')) as { access?: Array<{ actions: string[] }> };
      if (granted(claims.access?.[0]?.actions ?? [])) return t;
      last = `granted ${JSON.stringify(claims.access ?? [])}`;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() + LOGIN_POLL_MS > deadline) throw new Error(`no grant for ${scope} within ${timeoutMs / 1000} s; last: ${last}`);
    const retryAfter = Number(/"retryAfterSeconds":(\d+)/.exec(last)?.[1] ?? 0) * 1000;
    await new Promise((r) => setTimeout(r, Math.max(LOGIN_POLL_MS, retryAfter)));
  }
}
