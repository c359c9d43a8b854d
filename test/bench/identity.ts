// Workload identity benchmark (`npm run bench:identity [-- --json=FILE]`):
//   1. verification of a federated token whose key is already cached (the hot path
//      of every pull or push that presents one): RS256 as GitHub Actions signs,
//      ES256 as a Kubernetes API server with an EC key signs; and, for scale, the
//      registry's own access-token check;
//   2. berth-credential-provider per kubelet call (process start to exit).
// Issuers are real HTTPS servers on loopback (test/harness/oidc-issuer.ts); the
// keys are fetched once before timing starts. Fixed counts, sequential calls, each
// timed alone; p50/p99/max in ms. Target: p99 <= 1 ms for the cached-key check.
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { federationSchema } from '#contract/config/federation.js';
import { FederationVerifier } from '../../registry/src/auth/federation/verifier.js';
import { ephemeralSigningKey } from '../../registry/src/auth/signing-keys.js';
import { TokenService } from '../../registry/src/auth/tokens.js';
import { providerRequest } from '../harness/credential-provider.js';
import { OidcIssuer } from '../harness/oidc-issuer.js';
import { toolPath } from '../harness/tools.js';
import { loadAverage } from './cpu.js';

const VERIFICATIONS = Number(process.env.BENCH_VERIFICATIONS ?? 20_000);
const WARMUP = 2_000;
const PROVIDER_CALLS = Number(process.env.BENCH_PROVIDER_CALLS ?? 200);
const AUDIENCE = 'https://berth.bench';
const REPO_ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const jsonFile = process.argv.slice(2).find((a) => a.startsWith('--json='))?.split('=')[1];

interface Row {
  readonly name: string;
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly perSecond: number;
}

function summarize(name: string, samples: number[]): Row {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
  const total = samples.reduce((a, b) => a + b, 0);
  return { name, count: samples.length, p50: at(50), p99: at(99), max: sorted[sorted.length - 1], perSecond: samples.length / (total / 1000) };
}

/** Times `fn` over a pool of inputs, one call at a time, after a warm-up. */
async function timeEach<T>(name: string, inputs: readonly T[], count: number, fn: (input: T) => Promise<unknown>): Promise<Row> {
  for (let i = 0; i < WARMUP; i++) await fn(inputs[i % inputs.length]);
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const t = process.hrtime.bigint();
    await fn(inputs[i % inputs.length]);
    samples.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return summarize(name, samples);
}

async function verificationRows(): Promise<Row[]> {
  const github = await OidcIssuer.start({ alg: 'RS256' });
  const cluster = await OidcIssuer.start({ alg: 'ES256' });
  try {
    const verifier = await FederationVerifier.open(federationSchema.parse({
      issuers: [
        { name: 'github', issuer: github.issuer, audiences: [AUDIENCE], caFile: github.caFile, requiredClaims: ['repository', 'ref'] },
        { name: 'cluster', issuer: cluster.issuer, audiences: [AUDIENCE], caFile: cluster.caFile, type: 'kubernetes' },
      ],
    }));
    const githubTokens = await Promise.all(Array.from({ length: 100 }, (_, i) =>
      github.githubToken({ audience: AUDIENCE, repository: `acme/team-${i % 10}`, ref: 'refs/heads/main', ttlSeconds: 3600 })));
    const now = Math.floor(Date.now() / 1000);
    const podTokens = await Promise.all(Array.from({ length: 100 }, (_, i) => cluster.sign({
      aud: [AUDIENCE], iss: cluster.issuer, sub: `system:serviceaccount:team-${i % 10}:web`, iat: now, nbf: now, exp: now + 3600, jti: `j${i}`,
      'kubernetes.io': { namespace: `team-${i % 10}`, serviceaccount: { name: 'web', uid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}` }, pod: { name: `web-${i}`, uid: `p${i}` } },
    })));
    // Fetch discovery and keys once: what follows is the cached-key path.
    await verifier.authenticate(githubTokens[0]);
    await verifier.authenticate(podTokens[0]);
    const fetches = github.jwksFetches + cluster.jwksFetches;
    const rows = [
      await timeEach('federated token, RS256 (GitHub Actions), cached key', githubTokens, VERIFICATIONS, (t) => verifier.authenticate(t)),
      await timeEach('federated token, ES256 (Kubernetes ServiceAccount), cached key', podTokens, VERIFICATIONS, (t) => verifier.authenticate(t)),
    ];
    if (github.jwksFetches + cluster.jwksFetches !== fetches) throw new Error('the keys were fetched again during timing');
    const tokens = new TokenService([ephemeralSigningKey()], { issuer: 'berth', service: 'berth', accessTTLSeconds: 300, refreshTTLSeconds: 3600 });
    const registryTokens = await Promise.all(Array.from({ length: 100 }, (_, i) => tokens.issueAccessToken(`robot-${i}`, [{ type: 'repository', name: `team/${i}`, actions: ['pull'] }])));
    rows.push(await timeEach('registry access token, ES256 (for scale)', registryTokens.map((t) => t.token), VERIFICATIONS, (t) => tokens.verifyAccessToken(t)));
    return rows;
  } finally {
    await Promise.all([github.stop(), cluster.stop()]);
  }
}

function providerRow(): Row {
  execFileSync('bash', [join(REPO_ROOT, 'scripts/testbed/build.sh'), 'berth-credential-provider'], { stdio: 'inherit' });
  const binary = toolPath('berth-credential-provider');
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const token = `${b64({ alg: 'ES256' })}.${b64({ exp: Math.floor(Date.now() / 1000) + 3600 })}.c2ln`;
  const input = providerRequest('registry.team-a.svc:5000/team-a/app:v1', token);
  const samples: number[] = [];
  for (let i = 0; i < PROVIDER_CALLS + 10; i++) {
    const t = process.hrtime.bigint();
    const r = spawnSync(binary, [], { input });
    if (r.status !== 0) throw new Error(`berth-credential-provider exited ${r.status}: ${r.stderr.toString()}`);
    if (i >= 10) samples.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return summarize('berth-credential-provider, one kubelet call (exec to exit)', samples);
}

async function main(): Promise<void> {
  const started = new Date();
  const rows = [...await verificationRows(), providerRow()];
  const fmt = (n: number) => n.toFixed(3).padStart(9);
  process.stdout.write(`workload identity bench, ${started.toISOString()}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, load ${loadAverage()}\n\n`);
  process.stdout.write(`${'case'.padEnd(66)}${'count'.padStart(7)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'max ms'.padStart(9)}${'per s'.padStart(9)}\n`);
  for (const r of rows) process.stdout.write(`${r.name.padEnd(66)}${String(r.count).padStart(7)}${fmt(r.p50)}${fmt(r.p99)}${fmt(r.max)}${r.perSecond.toFixed(0).padStart(9)}\n`);
  const hot = rows.filter((r) => r.name.startsWith('federated token'));
  process.stdout.write(`\ntarget: cached-key verification p99 <= 1 ms: ${hot.every((r) => r.p99 <= 1) ? 'met' : 'MISSED'} (${hot.map((r) => r.p99.toFixed(3)).join(' / ')} ms)\n`);
  if (jsonFile) await writeFile(jsonFile, JSON.stringify({ started, loadAverageAtEnd: loadAverage(), rows }, null, 2));
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
