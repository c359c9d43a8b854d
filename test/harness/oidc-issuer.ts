// A small OIDC token issuer for tests, standing in for a CI system such as GitHub
// Actions: HTTPS on loopback (its own CA), a discovery document, a JWKS, and
// tokens with GitHub Actions' claim set signed RS256 as GitHub signs them (or ES256,
// as a Kubernetes API server with an EC key signs its ServiceAccount tokens). It
// counts discovery and JWKS fetches and can rotate its key or go away, so tests
// can watch what the registry fetches and when.
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, SignJWT, type JWTPayload } from 'jose';

interface IssuerKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

export interface GitHubTokenOptions {
  readonly audience: string | string[];
  readonly repository: string;
  /** `refs/heads/<branch>` or `refs/tags/<tag>`. */
  readonly ref: string;
  readonly workflow?: string;
  readonly environment?: string;
  readonly eventName?: string;
  /** Lifetime in seconds (GitHub's are a few minutes). */
  readonly ttlSeconds?: number;
  /** Shifts iat/nbf/exp (seconds), for expired and not-yet-valid tokens. */
  readonly shiftSeconds?: number;
}

export class OidcIssuer {
  discoveryFetches = 0;
  jwksFetches = 0;
  private keys: IssuerKey[] = [];
  private runNumber = 100;

  private constructor(private readonly server: https.Server, readonly issuer: string, readonly caFile: string, private readonly dir: string, readonly alg: 'RS256' | 'ES256') {}

  static async start(options: { alg?: 'RS256' | 'ES256' } = {}): Promise<OidcIssuer> {
    const dir = mkdtempSync(join(tmpdir(), 'berth-oidc-'));
    const tls = makeServingCert(dir);
    // Requests come only once the port is known, after `self` below exists.
    const server = https.createServer({ key: readFileSync(tls.key), cert: readFileSync(tls.cert) }, (req, res) => {
      self.handle(req.url ?? '', res).catch((err: Error) => res.destroy(err));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const issuer = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const self = new OidcIssuer(server, issuer, tls.ca, dir, options.alg ?? 'RS256');
    self.rotate();
    return self;
  }

  private async handle(url: string, res: import('node:http').ServerResponse): Promise<void> {
    const send = (body: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url === '/.well-known/openid-configuration') {
      this.discoveryFetches++;
      send({
        issuer: this.issuer,
        jwks_uri: `${this.issuer}/.well-known/jwks`,
        subject_types_supported: ['public', 'pairwise'],
        response_types_supported: ['id_token'],
        claims_supported: ['sub', 'aud', 'exp', 'iat', 'iss', 'jti', 'nbf', 'ref', 'repository', 'repository_id', 'repository_owner', 'repository_owner_id', 'run_id', 'run_number', 'run_attempt', 'actor', 'actor_id', 'workflow', 'workflow_ref', 'workflow_sha', 'head_ref', 'base_ref', 'event_name', 'ref_type', 'ref_protected', 'environment', 'job_workflow_ref', 'job_workflow_sha', 'repository_visibility', 'runner_environment'],
        id_token_signing_alg_values_supported: [this.alg],
        scopes_supported: ['openid'],
      });
    } else if (url === '/.well-known/jwks') {
      this.jwksFetches++;
      send({ keys: await Promise.all(this.keys.map(async (k) => ({ ...(await exportJWK(k.publicKey)), kid: k.kid, alg: this.alg, use: 'sig' }))) });
    } else {
      res.writeHead(404).end();
    }
  }

  /** A new signing key; the JWKS publishes it beside the previous one. */
  rotate(): string {
    const { privateKey, publicKey } = this.alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('rsa', { modulusLength: 2048 });
    const key = { kid: randomUUID().replace(/-/g, '').slice(0, 16), privateKey, publicKey };
    this.keys = [key, ...this.keys].slice(0, 2);
    return key.kid;
  }

  get publicKey(): KeyObject {
    return this.keys[0].publicKey;
  }

  get kid(): string {
    return this.keys[0].kid;
  }

  /** Signs any payload with the current key (tests build malformed tokens from this). */
  sign(payload: JWTPayload, header: { kid?: string } = {}): Promise<string> {
    const key = this.keys[0];
    return new SignJWT(payload).setProtectedHeader({ alg: this.alg, typ: 'JWT', kid: header.kid ?? key.kid }).sign(key.privateKey);
  }

  /** GitHub Actions' claim set for a workflow run of `repository` at `ref`. */
  githubClaims(o: GitHubTokenOptions): JWTPayload {
    const now = Math.floor(Date.now() / 1000) + (o.shiftSeconds ?? 0);
    const [owner] = o.repository.split('/');
    const branch = o.ref.replace(/^refs\/(heads|tags)\//, '');
    const workflow = o.workflow ?? 'build';
    const run = String(this.runNumber++);
    return {
      jti: randomUUID(),
      sub: o.environment ? `repo:${o.repository}:environment:${o.environment}` : `repo:${o.repository}:ref:${o.ref}`,
      aud: o.audience,
      ref: o.ref,
      sha: 'a94a8fe5ccb19ba61c4c0873d391e987982fbbd3',
      repository: o.repository,
      repository_owner: owner,
      repository_owner_id: '65',
      repository_id: '74',
      repository_visibility: 'private',
      run_id: `9${run}`,
      run_number: run,
      run_attempt: '1',
      runner_environment: 'github-hosted',
      actor: 'octocat',
      actor_id: '12',
      workflow,
      workflow_ref: `${o.repository}/.github/workflows/${workflow}.yaml@${o.ref}`,
      workflow_sha: 'a94a8fe5ccb19ba61c4c0873d391e987982fbbd3',
      job_workflow_ref: `${o.repository}/.github/workflows/${workflow}.yaml@${o.ref}`,
      job_workflow_sha: 'a94a8fe5ccb19ba61c4c0873d391e987982fbbd3',
      head_ref: '',
      base_ref: '',
      event_name: o.eventName ?? 'push',
      ref_type: o.ref.startsWith('refs/tags/') ? 'tag' : 'branch',
      ref_protected: branch === 'main' ? 'true' : 'false',
      ...(o.environment ? { environment: o.environment } : {}),
      iss: this.issuer,
      nbf: now - 5,
      iat: now,
      exp: now + (o.ttlSeconds ?? 300),
    };
  }

  githubToken(o: GitHubTokenOptions): Promise<string> {
    return this.sign(this.githubClaims(o));
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A throwaway CA and a serving certificate for 127.0.0.1, made with openssl. */
function makeServingCert(dir: string): { ca: string; cert: string; key: string } {
  const openssl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(['req', '-x509', ...ec, '-days', '2', '-subj', '/CN=berth-test-oidc-ca', '-keyout', 'ca.key', '-out', 'ca.crt']);
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  openssl(['req', ...ec, '-subj', '/CN=127.0.0.1', '-keyout', 'server.key', '-out', 'server.csr']);
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-out', 'server.crt', '-extfile', 'server.ext']);
  return { ca: join(dir, 'ca.crt'), cert: join(dir, 'server.crt'), key: join(dir, 'server.key') };
}
