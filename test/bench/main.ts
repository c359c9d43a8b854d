// `npm run bench [-- --quick] [-- --only=limits,big,blobs,requests,listing,image,gc,s3,s3-listing,metadata-s3,mirror] [-- --no-dist282] [-- --cpu-prof=DIR] [-- --json=FILE]`
// `--s3=versitygw` runs the S3 rows on versitygw instead of MinIO.
// `--tags=N --repos=N` override the metadata section's sizes (the profile's otherwise).
// Side-by-side benchmark of Berth against CNCF Distribution v3 (and Debian's
// Distribution 2.8.2 when apt can install it): same storage kind, same loopback,
// same workloads in the same run, alternating between servers. Prints absolute
// figures, Berth/Distribution ratios, the machine's own limits and the targets.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runBlobCases } from './blobs.js';
import { runGcCase } from './gc.js';
import { runImageCase, writeImageLayout } from './image.js';
import { runListing, SMALL_REPO } from './listing.js';
import { metadataTargets, runMetadataS3 } from './metadata-s3.js';
import { diskWriteThroughput, hashWriteLimit, machineDescription, sha256Throughput } from './machine.js';
import { FULL, QUICK } from './profiles.js';
import { loadAverage } from './cpu.js';
import { HttpClient } from './http-client.js';
import { OCI_MANIFEST, pushSmallImage, smallImage, type SmallImage } from './registry-ops.js';
import { runRequestCases } from './requests.js';
import { MiB, Results } from './results.js';
import { DEBIAN_REGISTRY, ensureDebianRegistry, startBerth, startDistribution282, startDistributionV3, type ServerUnderTest, type StartOptions } from './servers.js';
import { runStaleness } from './staleness.js';
import { evaluateTargets } from './targets.js';
import { POSTGRES_BIN } from '../harness/postgres.js';
import { evaluateMirrorTargets, runMirrorBench } from './mirror.js';
import { startS3Server, type S3Implementation } from '../harness/s3-server.js';
import { toolPath } from '../harness/tools.js';

const args = process.argv.slice(2);
const flag = (name: string) => args.find((a) => a === `--${name}` || a.startsWith(`--${name}=`));
const flagValue = (name: string) => flag(name)?.split('=')[1];
const profile = flag('quick') ? QUICK : FULL;
const only = flagValue('only')?.split(',');
const enabled = (section: string) => !only || only.includes(section);
const s3Implementation = (flagValue('s3') ?? 'minio') as S3Implementation;
if (!['minio', 'versitygw'].includes(s3Implementation)) throw new Error(`--s3=${s3Implementation}: expected minio or versitygw`);
const metadataSizes = { tags: Number(flagValue('tags') ?? profile.metadataTags), repos: Number(flagValue('repos') ?? profile.metadataRepos) };
const started = Date.now();
// Compiled to dist/test/bench/main.js: the repository is three levels up.
const REPO_ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const log = (line: string) => process.stdout.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s load ${loadAverage()}] ${line}\n`);

/** Pushes one small image as SMALL_REPO:latest to every server: the target of the request-rate and listing workloads. */
async function pushSmallImageTo(servers: readonly ServerUnderTest[]): Promise<SmallImage> {
  const image = smallImage();
  for (const s of servers) {
    const client = new HttpClient(s.url, 4);
    await pushSmallImage(client, SMALL_REPO, image, 'latest');
    client.close();
  }
  return image;
}

async function startAll(options: StartOptions, with282: boolean): Promise<ServerUnderTest[]> {
  const servers = [await startBerth(options), await startDistributionV3(options)];
  if (with282) servers.push(await startDistribution282(options));
  return servers;
}

/** What the S3 rows run: the transfer workloads that exercise the driver, on one shared local S3 server (MinIO unless --s3=versitygw). */
async function runS3Workloads(results: Results): Promise<void> {
  log(`S3: starting ${s3Implementation} (scripts/testbed/build.sh ${s3Implementation})`);
  execFileSync('bash', [join(REPO_ROOT, 'scripts/testbed/build.sh'), s3Implementation], { stdio: 'inherit' });
  const startedAt = Date.now();
  const s3server = await startS3Server({ implementation: s3Implementation });
  log(`S3: ${s3Implementation} ready on ${s3server.endpoint} after ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
  results.notes.push(`S3 rows on ${s3Implementation} (one server, both registries in one bucket under their own prefixes).`);
  const s3 = { endpoint: s3server.endpoint, accessKey: s3server.accessKey, secretKey: s3server.secretKey, bucket: s3server.bucket, region: 'us-east-1' };
  try {
    const servers = [
      await startBerth({ storage: 's3', s3, s3Prefix: 'berth', cpuProfileDir: flagValue('cpu-prof') }),
      await startDistributionV3({ storage: 's3', s3, s3Prefix: 'distribution' }),
    ];
    log(`S3 servers: ${servers.map((s) => `${s.name}=${s.url} pid ${s.pid}`).join(', ')}`);
    try {
      const image = await pushSmallImageTo(servers);
      if (enabled('s3-listing')) {
        log(`S3 listing: ${profile.tags} tags, ${profile.repos} repositories`);
        await runListing(servers, image, profile.tags, profile.repos, profile.listingSeconds, results, log);
      }
      if (enabled('metadata-s3')) {
        log(`S3 metadata: ${metadataSizes.tags} tags, ${metadataSizes.repos} repositories`);
        await runMetadataS3(servers, SMALL_REPO, image, metadataSizes, profile.listingSeconds, results, log);
        log(`S3 metadata: cross-replica staleness, ${profile.stalenessRounds} rounds (scripts/testbed/build.sh postgres when missing)`);
        if (!existsSync(join(POSTGRES_BIN, 'initdb'))) execFileSync('bash', [join(REPO_ROOT, 'scripts/testbed/build.sh'), 'postgres'], { stdio: 'inherit' });
        await runStaleness(s3, image, profile.stalenessRounds, results, log);
      }
      if (!enabled('s3')) return;
      await runBlobCases(servers, [{ size: profile.bigBlob, concurrency: 1, mode: 'monolithic', count: 1 }], profile.bigBlobRepetitions, results, log);
      const layout = await writeImageLayout(profile.imageBytes, profile.imageLayers);
      try {
        await runImageCase(servers, layout, profile.imageLayers, 1, results, log);
      } finally {
        await rm(layout.dir, { recursive: true, force: true });
      }
      await runBlobCases(servers, profile.blobCases.filter((c) => c.mode === 'monolithic' && c.size === 10 * MiB), 1, results, log);
      await runRequestCases(servers, [
        { name: 'manifest GET by tag', method: 'GET', path: `/v2/${SMALL_REPO}/manifests/latest`, headers: { Accept: OCI_MANIFEST }, connections: 50 },
        { name: 'manifest HEAD by tag', method: 'HEAD', path: `/v2/${SMALL_REPO}/manifests/latest`, headers: { Accept: OCI_MANIFEST }, connections: 50 },
        { name: 'blob HEAD', method: 'HEAD', path: `/v2/${SMALL_REPO}/blobs/${image.layerDigest}`, connections: 50 },
      ], profile.requestSeconds, 1, results, log);
    } finally {
      for (const s of servers) await s.stop();
    }
  } finally {
    await s3server.stop();
  }
}

/** GC on fresh servers: Distribution's collector runs offline, so its server is stopped for it. */
async function runGcWorkload(results: Results, with282: boolean): Promise<void> {
  log(`garbage collection: ${profile.gcRepos} repositories x ${profile.gcImages} images`);
  const servers = await startAll({ storage: 'filesystem', berthConfig: { gc: { enabled: false, gracePeriodSeconds: 0 } } }, with282);
  try {
    await runGcCase(servers, { 'dist-3.1.1': toolPath('registry'), 'dist-2.8.2': DEBIAN_REGISTRY }, profile.gcRepos, profile.gcImages, results, log);
  } finally {
    for (const s of servers) await s.stop();
  }
}

async function runWorkloads(servers: ServerUnderTest[], results: Results): Promise<void> {
  const image = await pushSmallImageTo(servers);
  if (enabled('big')) {
    log(`single ${profile.bigBlob / MiB} MiB monolithic upload and download`);
    await runBlobCases(servers, [{ size: profile.bigBlob, concurrency: 1, mode: 'monolithic', count: 1 }], profile.bigBlobRepetitions, results, log);
  }
  if (enabled('requests')) {
    log('request rates (loadgen.ts, 50 keep-alive connections)');
    await runRequestCases(servers, [
      { name: 'GET /v2/', method: 'GET', path: '/v2/', connections: 50 },
      { name: 'manifest GET by tag', method: 'GET', path: `/v2/${SMALL_REPO}/manifests/latest`, headers: { Accept: OCI_MANIFEST }, connections: 50 },
      { name: 'manifest HEAD by tag', method: 'HEAD', path: `/v2/${SMALL_REPO}/manifests/latest`, headers: { Accept: OCI_MANIFEST }, connections: 50 },
      { name: 'manifest GET by digest', method: 'GET', path: `/v2/${SMALL_REPO}/manifests/${image.manifestDigest}`, headers: { Accept: OCI_MANIFEST }, connections: 50 },
      { name: 'blob HEAD', method: 'HEAD', path: `/v2/${SMALL_REPO}/blobs/${image.layerDigest}`, connections: 50 },
    ], profile.requestSeconds, profile.requestRepetitions, results, log);
  }
  if (enabled('image')) {
    log(`writing a ${profile.imageBytes / MiB} MiB OCI layout with ${profile.imageLayers} layers`);
    const layout = await writeImageLayout(profile.imageBytes, profile.imageLayers);
    try {
      await runImageCase(servers, layout, profile.imageLayers, profile.imageRepetitions, results, log);
    } finally {
      await rm(layout.dir, { recursive: true, force: true });
    }
  }
  if (enabled('blobs')) {
    log('blob pushes and pulls');
    await runBlobCases(servers, profile.blobCases, profile.blobRepetitions, results, log);
  }
  if (enabled('listing')) {
    log(`listing: ${profile.tags} tags, ${profile.repos} repositories`);
    await runListing(servers, image, profile.tags, profile.repos, profile.listingSeconds, results, log);
  }
}

async function main(): Promise<void> {
  log(`profile ${profile.name}; building tools (scripts/testbed/build.sh registry crane)`);
  execFileSync('bash', [join(REPO_ROOT, 'scripts/testbed/build.sh'), 'registry', 'crane'], { stdio: 'inherit' });
  const skip282 = flag('no-dist282');
  const with282 = !skip282 && ensureDebianRegistry();
  const results = new Results();
  if (skip282) results.notes.push('Distribution 2.8.2 left out (--no-dist282).');
  else if (!with282) results.notes.push('Debian docker-registry (Distribution 2.8.2) is not installed and apt could not install it: its column is empty.');
  const work = await mkdtemp(join(tmpdir(), 'berth-bench-'));
  log(`machine: ${machineDescription()}; data under ${work} (${dfLine(work)})`);
  try {
    if (enabled('limits')) {
      results.limits.sha256MiBps = sha256Throughput(profile.limitBytes);
      log(`limit: Node sha256 ${results.limits.sha256MiBps.toFixed(0)} MiB/s`);
      results.limits.diskWriteMiBps = await diskWriteThroughput(work, profile.limitBytes);
      log(`limit: disk write + fsync ${results.limits.diskWriteMiBps.toFixed(0)} MiB/s`);
      results.limits.hashWriteServerMiBps = await hashWriteLimit(work, profile.bigBlob, 3);
      log(`limit: minimal Node hash+write upload server ${results.limits.hashWriteServerMiBps.toFixed(0)} MiB/s`);
    }
    const cpuProfileDir = flagValue('cpu-prof');
    const servers = await startAll({ storage: 'filesystem', cpuProfileDir }, with282);
    log(`servers: ${servers.map((s) => `${s.name}=${s.url} pid ${s.pid}`).join(', ')}`);
    try {
      await runWorkloads(servers, results);
    } finally {
      for (const s of servers) await s.stop();
    }
    if (enabled('gc')) {
      // A failure here must not lose the figures gathered so far.
      await runGcWorkload(results, with282).catch((err: Error) => results.notes.push(`garbage collection workload failed: ${err.message}`));
    }
    if ((enabled('s3') || enabled('s3-listing') || enabled('metadata-s3')) && !flag('no-s3')) await runS3Workloads(results);
    if (enabled('mirror')) {
      log('pull-through cache: Berth in front of Distribution v3 through a counting, fault-injecting proxy');
      await runMirrorBench(results, log).catch((err: Error) => results.notes.push(`mirror workload failed: ${err.message}`));
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  const names = ['berth', 'dist-3.1.1', ...(with282 ? ['dist-2.8.2'] : [])];
  process.stdout.write(`\n${results.render(names)}\n\n`);
  for (const line of evaluateTargets(results, names.filter((n) => n !== 'berth'), profile)) process.stdout.write(`${line}\n`);
  if (enabled('metadata-s3')) for (const line of metadataTargets(results, metadataSizes, 'dist-3.1.1')) process.stdout.write(`${line}\n`);
  if (enabled('mirror')) for (const line of evaluateMirrorTargets(results)) process.stdout.write(`${line}\n`);
  for (const n of results.notes) process.stdout.write(`note: ${n}\n`);
  const json = flagValue('json');
  if (json) await writeFile(json, JSON.stringify({ profile: profile.name, machine: machineDescription(), loadAverageAtEnd: loadAverage(), ...results.toJSON() }, null, 2));
  log('done');
}

function dfLine(dir: string): string {
  try {
    const out = execFileSync('df', ['-hT', dir], { encoding: 'utf8' }).trim().split('\n')[1] ?? '';
    const [fs, type] = out.split(/\s+/);
    return `${fs} ${type}`;
  } catch {
    return 'unknown filesystem';
  }
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
