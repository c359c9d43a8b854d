// The registry processes the supply-chain push and pull figures are taken on:
// one Berth with scanning on (a database loaded, a trusted key, a repository
// under requireSignature + preventVulnerable) and one with no security config at
// all. Both are started like every other benchmarked server (servers.ts).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildVulnDbArtifact } from '../../registry/src/security/osv/vulndb-artifact.js';
import { blob, OciClient } from '../harness/oci-client.js';
import { ecdsaKey, type KeyPair } from '../registry/security/fixtures.js';
import { startBerth, type ServerUnderTest } from './servers.js';

export const VULNDB_REPOSITORY = 'berth-system/vulndb';
/** Pulls of this repository's images need a signature by the bench key and no High or Critical advisory. */
export const GUARDED_REPOSITORY = 'guarded/app';
export const TRUST_KEY = 'bench';

export interface SecurityServers {
  /** Scanning on, the database loaded, GUARDED_REPOSITORY under its pull policies. */
  readonly scanning: ServerUnderTest;
  /** No security section: no scans, no policies. */
  readonly plain: ServerUnderTest;
  /** The private half of the trusted key, to sign with. */
  readonly key: KeyPair;
  stop(): Promise<void>;
}

/** The lowest rank value at which `p` percent of `values` lie (nearest rank). */
export function percentile(values: readonly number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

async function waitFor(what: string, check: () => Promise<boolean>, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface ScanningStatus {
  scanning: { vulnDB: { state: string; digest?: string }; queue: { depth: number; running: number }; resultsForCurrentDatabase: number; rematching: boolean };
}

export async function scanningStatus(server: ServerUnderTest): Promise<ScanningStatus['scanning']> {
  const res = await new OciClient(server.url).call('GET', '/v2/_berth/security/status');
  if (res.status !== 200) throw new Error(`security status answered ${res.status}: ${res.text}`);
  return (JSON.parse(res.text) as ScanningStatus).scanning;
}

/**
 * Waits for the image's scan result and returns when it was stored (the Harbor
 * report's generated_at). The report is asked for only once the queue is idle, so
 * the polling costs the scan nothing; a pending answer is retried.
 */
export async function scanResultTime(server: ServerUnderTest, repo: string, digest: string, ms = 120_000): Promise<number> {
  const client = new OciClient(server.url);
  const until = Date.now() + ms;
  for (;;) {
    const s = await scanningStatus(server);
    if (s.queue.depth === 0 && s.queue.running === 0) {
      const res = await client.call('GET', `/v2/${repo}/_berth/vulnerabilities/${digest}`);
      if (res.status === 200) return Date.parse((JSON.parse(res.text) as { generated_at: string }).generated_at);
      if (res.status !== 202) throw new Error(`report of ${digest} answered ${res.status}: ${res.text.slice(0, 300)}`);
    }
    if (Date.now() > until) throw new Error(`no scan result for ${digest} after ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Pushes the OSV directory as the database artifact over HTTP (as `oras push` would) and waits until it is in use. */
async function loadDatabase(server: ServerUnderTest, osvDir: string): Promise<string> {
  const built = await buildVulnDbArtifact(osvDir);
  const client = new OciClient(server.url);
  for (const [, content] of built.blobs) await client.pushBlob(VULNDB_REPOSITORY, blob(content));
  const put = await client.putManifest(VULNDB_REPOSITORY, 'bench', built.manifest);
  if (put.status !== 201) throw new Error(`database push answered ${put.status}: ${put.text}`);
  await waitFor('the database to load', async () => {
    const s = await scanningStatus(server);
    return s.vulnDB.state === 'ready' && s.vulnDB.digest === built.manifestDigest && !s.rematching;
  }, 180_000);
  return built.manifestDigest;
}

/** Berth's scan duration histogram (sum, count) as /metrics has it now. */
export async function scanDurationTotals(server: ServerUnderTest): Promise<{ seconds: number; count: number }> {
  const text = (await new OciClient(server.url).call('GET', '/metrics')).text;
  const sum = (name: string) => [...text.matchAll(new RegExp(`^${name}\\{[^}]*result="done"[^}]*\\} ([0-9.e+-]+)$`, 'gm'))].reduce((n, m) => n + Number(m[1]), 0);
  return { seconds: sum('berth_scan_duration_seconds_sum'), count: sum('berth_scan_duration_seconds_count') };
}

/** A counter's total over its label sets matching `labels` (e.g. `policy="requireSignature",result="allow"`). */
export async function counterTotal(server: ServerUnderTest, name: string, labels: string): Promise<number> {
  const text = (await new OciClient(server.url).call('GET', '/metrics')).text;
  return [...text.matchAll(new RegExp(`^${name}\\{([^}]*)\\} ([0-9.e+-]+)$`, 'gm'))]
    .filter((m) => labels.split(',').every((l) => m[1].includes(l))).reduce((n, m) => n + Number(m[2]), 0);
}

export async function startSecurityServers(dir: string, osvDir: string, log: (line: string) => void): Promise<SecurityServers> {
  const key = ecdsaKey();
  const keyFile = join(dir, `${TRUST_KEY}.pub`);
  await writeFile(keyFile, key.publicPem);
  const scanning = await startBerth({
    storage: 'filesystem',
    berthConfig: {
      security: {
        scanning: { enabled: true },
        vulnDB: { repository: VULNDB_REPOSITORY, refreshIntervalSeconds: 3600 },
        trust: { keys: [{ name: TRUST_KEY, keyFile }] },
      },
      repositories: [{ match: GUARDED_REPOSITORY, security: { requireSignature: { keys: [TRUST_KEY] }, preventVulnerable: { severity: 'High' } } }],
    },
  });
  const plain = await startBerth({ storage: 'filesystem' }).catch(async (err: unknown) => {
    await scanning.stop();
    throw err;
  });
  const stop = async () => {
    await scanning.stop();
    await plain.stop();
  };
  try {
    const t0 = performance.now();
    const digest = await loadDatabase(scanning, osvDir);
    log(`servers: scanning=${scanning.url} pid ${scanning.pid}, plain=${plain.url} pid ${plain.pid}; database ${digest.slice(0, 19)} loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  } catch (err) {
    await stop();
    throw err;
  }
  return { scanning, plain, key, stop };
}
