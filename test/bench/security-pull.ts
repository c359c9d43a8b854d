// Manifest GET by tag under a pull policy whose verdict is cached, against the
// same GET with no policy: one signed, scanned image (no advisory at or above
// High) in GUARDED_REPOSITORY (requireSignature + preventVulnerable) and in a
// repository without a policy on the same scanning Berth, and on a Berth with no
// security config at all. Closed-loop keep-alive load (loadgen.ts), each
// measurement bounded in requests and time, repeated with the order alternating.
// Before measuring, an unsigned image in the guarded repository must be refused,
// so the gate is known to apply to this client; during the guarded loads no
// signature may be verified again (the verdict comes from the cache).
import { OciClient } from '../harness/oci-client.js';
import { alpineImage, pushCosignSignature } from '../registry/security/fixtures.js';
import { OCI_MANIFEST } from './registry-ops.js';
import { measure, type RequestCase, type RequestFigures } from './requests.js';
import { counterTotal, GUARDED_REPOSITORY, percentile, scanResultTime, type SecurityServers } from './security-registry.js';
import type { ServerUnderTest } from './servers.js';

const OPEN_REPOSITORY = 'open/app';

export interface PullOptions {
  readonly connections: number;
  readonly maxRequests: number;
  readonly seconds: number;
  readonly repetitions: number;
}

export interface PullFigures {
  readonly name: string;
  /** Median over the repetitions. */
  readonly p50: number;
  readonly p99: number;
  readonly rps: number;
  readonly requests: number;
  readonly runs: RequestFigures[];
}

const PACKAGES = { busybox: '1.36.1-r29', musl: '1.2.5-r1', 'ca-certificates': '20240705-r0' };

async function prepare(servers: SecurityServers): Promise<void> {
  const { scanning, plain, key } = servers;
  const image = await alpineImage(PACKAGES, 'pull-bench');
  const unsigned = await alpineImage(PACKAGES, 'pull-bench-unsigned');
  const on = new OciClient(scanning.url);
  await on.pushImage(GUARDED_REPOSITORY, 'v1', image);
  await on.pushImage(GUARDED_REPOSITORY, 'unsigned', unsigned);
  await on.pushImage(OPEN_REPOSITORY, 'v1', image);
  await new OciClient(plain.url).pushImage(OPEN_REPOSITORY, 'v1', image);
  await pushCosignSignature(on, GUARDED_REPOSITORY, key, image.digest);
  for (const digest of [image.digest, unsigned.digest]) await scanResultTime(scanning, GUARDED_REPOSITORY, digest);
  const refused = await on.getManifest(GUARDED_REPOSITORY, 'unsigned');
  if (refused.status !== 403) throw new Error(`an unsigned image in ${GUARDED_REPOSITORY} answered ${refused.status}, not 403: the policy does not apply`);
  const allowed = await on.getManifest(GUARDED_REPOSITORY, 'v1');
  if (allowed.status !== 200) throw new Error(`the signed, scanned image answered ${allowed.status}: ${allowed.text.slice(0, 300)}`);
}

const median = (values: number[]) => percentile(values, 50);

export async function runPullCases(servers: SecurityServers, options: PullOptions, log: (line: string) => void): Promise<PullFigures[]> {
  await prepare(servers);
  const get = (repo: string): Omit<RequestCase, 'name'> => ({
    method: 'GET', path: `/v2/${repo}/manifests/v1`, headers: { Accept: OCI_MANIFEST }, connections: options.connections, maxRequests: options.maxRequests,
  });
  const cases: { name: string; server: ServerUnderTest; c: RequestCase; guarded: boolean }[] = [
    { name: 'no security config', server: servers.plain, c: { name: 'no security config', ...get(OPEN_REPOSITORY) }, guarded: false },
    { name: 'scanning on, no policy', server: servers.scanning, c: { name: 'no policy', ...get(OPEN_REPOSITORY) }, guarded: false },
    { name: 'requireSignature + preventVulnerable, cached verdict', server: servers.scanning, c: { name: 'policy', ...get(GUARDED_REPOSITORY) }, guarded: true },
  ];
  const runs = new Map<string, RequestFigures[]>(cases.map((k) => [k.name, []]));
  for (let rep = 0; rep < options.repetitions; rep++) {
    for (const k of rep % 2 === 0 ? cases : [...cases].reverse()) {
      const verifiedBefore = await counterTotal(servers.scanning, 'berth_signature_verifications_total', '');
      const allowedBefore = await counterTotal(servers.scanning, 'berth_policy_decisions_total', 'policy="requireSignature",result="allow"');
      const f = await measure(k.server, k.c, options.seconds);
      if (f.failures) throw new Error(`${k.name}: ${f.failures} failed requests`);
      if (k.guarded) {
        const verified = (await counterTotal(servers.scanning, 'berth_signature_verifications_total', '')) - verifiedBefore;
        const allowed = (await counterTotal(servers.scanning, 'berth_policy_decisions_total', 'policy="requireSignature",result="allow"')) - allowedBefore;
        if (verified !== 0) throw new Error(`${k.name}: ${verified} signature verifications during the load; the verdict was not served from the cache`);
        if (allowed < f.requests) throw new Error(`${k.name}: ${f.requests} requests but ${allowed} requireSignature decisions; the gate did not run`);
      }
      runs.get(k.name)!.push(f);
      log(`manifest GET c=${options.connections} ${k.name}: ${f.requests} requests, ${f.rps.toFixed(0)} req/s, p50 ${f.p50.toFixed(2)} ms, p99 ${f.p99.toFixed(2)} ms, ${f.cpuMicros.toFixed(0)} us CPU/req`);
    }
  }
  return cases.map((k) => {
    const r = runs.get(k.name)!;
    return { name: k.name, p50: median(r.map((x) => x.p50)), p99: median(r.map((x) => x.p99)), rps: median(r.map((x) => x.rps)), requests: median(r.map((x) => x.requests)), runs: r };
  });
}
