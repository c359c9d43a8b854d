// Scan on push and pull policies on an in-process registry over HTTP: the
// database imported through the write path, images scanned when pushed (SBOM
// referrer, Harbor report), a new database re-matched without reading a layer,
// and each way a pull is refused (403 DENIED with the reason) or let through.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importVulnDb } from '../../../registry/src/scanning/vulndb-import.js';
import { startInProcessRegistry, type InProcessRegistry } from '../../harness/in-process-registry.js';
import type { Answer, Image } from '../../harness/oci-client.js';
import { alpineImage, ecdsaKey, osvDirectory, pushCosignSignature, type KeyPair, type OsvAdvisory } from './fixtures.js';

const VULNDB = 'berth-system/vulndb';
const CRITICAL: OsvAdvisory = { id: 'BERTH-2099-0001', aliases: ['CVE-2099-0001'], pkg: 'busybox', fixed: '1.36.1-r29', severity: 'CRITICAL' };
// r5 < r28 by apk's order; a lexical comparison would call r28 vulnerable.
const LEXICAL_TRAP: OsvAdvisory = { id: 'BERTH-2099-0002', pkg: 'busybox', fixed: '1.36.1-r5', severity: 'HIGH' };
const LATER: OsvAdvisory = { id: 'BERTH-2099-0003', pkg: 'musl', fixed: '1.2.5-r1', severity: 'MEDIUM' };
const PACKAGES = { busybox: '1.36.1-r28', musl: '1.2.5-r0' };

let dir: string;
let registry: InProcessRegistry;
let release: KeyPair;
let other: KeyPair;
let receiver: Server;
/** CloudEvents the webhook received. */
const delivered: { type: string; data: { digest: string; vulnerability: string } }[] = [];

interface ErrorBody { errors: { code: string; message: string; detail?: { reason?: string; policy?: string } }[] }
const errorOf = (a: Answer) => (JSON.parse(a.text) as ErrorBody).errors[0];

async function waitUntil(what: string, check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Imports a database and waits until it is in use and everything stored is re-matched against it. */
async function useDatabase(tag: string, advisories: OsvAdvisory[]): Promise<string> {
  const { services } = registry.running;
  const digest = await importVulnDb(services.writes, VULNDB, await osvDirectory(join(dir, tag), advisories), tag);
  await waitUntil(`database ${tag}`, async () => {
    const s = await (await services.security.load()).scans.status();
    return s.vulnDB.digest === digest && !s.rematching && s.lastRematch?.database === digest;
  });
  return digest;
}

async function pushScanned(repo: string, tag: string, image: Image): Promise<Image> {
  await registry.client.pushImage(repo, tag, image);
  await (await registry.running.services.security.load()).scans.idle();
  return image;
}

const pull = (repo: string, ref: string) => registry.client.getManifest(repo, ref);
const head = (repo: string, ref: string) => registry.client.call('HEAD', `/v2/${repo}/manifests/${ref}`);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-scan-policy-'));
  release = ecdsaKey();
  other = ecdsaKey();
  await writeFile(join(dir, 'release.pub'), release.publicPem);
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      delivered.push(JSON.parse(Buffer.concat(chunks).toString()) as (typeof delivered)[number]);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  registry = await startInProcessRegistry({
    events: { webhooks: [{ url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`, events: ['vulnerability'] }] },
    security: {
      scanning: { enabled: true },
      vulnDB: { repository: VULNDB, refreshIntervalSeconds: 3600 },
      // `retired` names a Secret that is not mounted: its key is unusable.
      trust: { keys: [{ name: 'release', keyFile: join(dir, 'release.pub') }, { name: 'retired', keyFile: join(dir, 'retired.pub') }] },
    },
    repositories: [
      { match: 'signed/**', security: { requireSignature: { keys: ['release'] } } },
      { match: 'audit/**', security: { requireSignature: { keys: ['release'], mode: 'Audit' } } },
      { match: 'nokey/**', security: { requireSignature: { keys: ['retired'] } } },
      { match: 'vuln/**', security: { preventVulnerable: { severity: 'High', maxPendingScanSeconds: 10 } } },
      { match: 'vuln/allowed', security: { cveAllowlist: [{ id: 'CVE-2099-0001', expires: '2099-12-31', reason: 'not reachable' }] } },
      { match: 'vuln/expired', security: { cveAllowlist: [{ id: 'CVE-2099-0001', expires: '2020-01-31' }] } },
      { match: 'strict/**', security: { preventVulnerable: { severity: 'High', pendingScan: 'Deny', maxPendingScanSeconds: 1 } } },
    ],
  });
});

afterAll(async () => {
  await registry?.stop();
  receiver?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('before any database is loaded', () => {
  it('a pull under pendingScan: Deny is refused once maxPendingScanSeconds has passed, with the reason', async () => {
    const image = await pushScanned('strict/app', 'v1', await alpineImage(PACKAGES, 'strict'));
    const res = await pull('strict/app', 'v1');
    expect(res.status).toBe(403);
    expect(errorOf(res)).toMatchObject({ code: 'DENIED', detail: { policy: 'preventVulnerable' } });
    expect(errorOf(res).detail?.reason).toContain('pendingScan: Deny');
    // The report is pending, with why.
    const report = await registry.client.call('GET', `/v2/strict/app/_berth/vulnerabilities/${image.digest}`);
    expect(report.status).toBe(202);
    expect(report.headers.get('retry-after')).toBe('5');
    expect(JSON.parse(report.text)).toMatchObject({ status: 'pending', vulnDB: 'none' });
  });

  it('a cosign signature is not an image: its report says not applicable at once, with why, instead of pending', async () => {
    const signature = await pushCosignSignature(registry.client, 'strict/app', release, `sha256:${'a'.repeat(64)}`);
    await (await registry.running.services.security.load()).scans.idle();
    let report = await registry.client.call('GET', `/v2/strict/app/_berth/vulnerabilities/${signature}`);
    await waitUntil('the not-applicable record', async () => {
      report = await registry.client.call('GET', `/v2/strict/app/_berth/vulnerabilities/${signature}`);
      return report.status === 200;
    });
    expect(report.headers.get('x-berth-scan-status')).toBe('not-applicable');
    const body = JSON.parse(report.text) as { notApplicable: string; vulnerabilities: unknown[] };
    expect(body.notApplicable).toMatch(/^not a container image: a signature \(layers application\/vnd\.dev\.cosign\.simplesigning\.v1\+json\)/);
    expect(body.vulnerabilities).toEqual([]);
  });
});

describe('scan on push', () => {
  let vulnerable: Image;

  beforeAll(async () => {
    await useDatabase('v1', [CRITICAL, LEXICAL_TRAP]);
    vulnerable = await pushScanned('vuln/app', 'v1', await alpineImage(PACKAGES, 'vuln'));
  });

  it('stores a Harbor v1.1 report with exactly the advisories whose ranges hold the installed version', async () => {
    const res = await registry.client.call('GET', `/v2/vuln/app/_berth/vulnerabilities/${vulnerable.digest}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/vnd.security.vulnerability.report; version=1.1');
    const report = JSON.parse(res.text) as { severity: string; vulnerabilities: { id: string; package: string; version: string; fix_version: string; severity: string }[] };
    expect(report.severity).toBe('Critical');
    expect(report.vulnerabilities).toEqual([expect.objectContaining({ id: 'BERTH-2099-0001', package: 'busybox', version: '1.36.1-r28', fix_version: '1.36.1-r29', severity: 'Critical' })]);
  });

  it('filters the report by minSeverity and refuses an unknown severity with the spec error body', async () => {
    const none = await registry.client.call('GET', `/v2/vuln/app/_berth/vulnerabilities/${vulnerable.digest}?minSeverity=critical`);
    expect((JSON.parse(none.text) as { vulnerabilities: unknown[] }).vulnerabilities).toHaveLength(1);
    const bad = await registry.client.call('GET', `/v2/vuln/app/_berth/vulnerabilities/${vulnerable.digest}?minSeverity=urgent`);
    expect([bad.status, errorOf(bad).code]).toEqual([400, 'UNSUPPORTED']);
    const unknown = await registry.client.call('GET', `/v2/vuln/app/_berth/vulnerabilities/sha256:${'0'.repeat(64)}`);
    expect([unknown.status, errorOf(unknown).code]).toEqual([404, 'MANIFEST_UNKNOWN']);
  });

  it('attaches a CycloneDX SBOM referrer that oras discover and trivy find', async () => {
    const res = await registry.client.call('GET', `/v2/vuln/app/referrers/${vulnerable.digest}?artifactType=application/vnd.cyclonedx%2Bjson`);
    const index = JSON.parse(res.text) as { manifests: { artifactType: string; annotations?: Record<string, string> }[] };
    expect(index.manifests).toHaveLength(1);
    expect(index.manifests[0]).toMatchObject({ artifactType: 'application/vnd.cyclonedx+json' });
    expect(index.manifests[0].annotations?.['dev.berth.sbom.indexer']).toBeDefined();
  });

  it('preventVulnerable refuses GET and HEAD with 403 DENIED naming the advisory', async () => {
    for (const res of [await pull('vuln/app', 'v1'), await pull('vuln/app', vulnerable.digest)]) {
      expect(res.status).toBe(403);
      expect(errorOf(res)).toMatchObject({ code: 'DENIED', detail: { policy: 'preventVulnerable' } });
      expect(errorOf(res).detail?.reason).toContain('BERTH-2099-0001 (Critical, busybox 1.36.1-r28, fixed in 1.36.1-r29)');
    }
    const h = await head('vuln/app', 'v1');
    expect(h.status).toBe(403);
  });

  it('an allowlist entry lets the image through until it expires', async () => {
    await pushScanned('vuln/allowed', 'v1', vulnerable);
    await pushScanned('vuln/expired', 'v1', vulnerable);
    expect((await pull('vuln/allowed', 'v1')).status).toBe(200);
    const expired = await pull('vuln/expired', 'v1');
    expect([expired.status, errorOf(expired).code]).toEqual([403, 'DENIED']);
  });

  it('a cosign signature is not scanned: no layer read, no SBOM attached to it, its result against the database says not applicable', async () => {
    const { scans } = await registry.running.services.security.load();
    const before = (await scans.status()).layerReads;
    // In a repository of its own: vuln/app's summary counts its unsigned tags.
    const signature = await pushCosignSignature(registry.client, 'vuln/signatures', release, vulnerable.digest);
    const database = (await scans.status()).vulnDB.digest;
    await waitUntil('the stored result', async () => (await scans.result(signature))?.status === 'not-applicable');
    expect(await scans.result(signature)).toMatchObject({ key: database, reason: expect.stringContaining('a signature') });
    await scans.idle();
    expect((await scans.status()).layerReads).toBe(before);
    const referrers = JSON.parse((await registry.client.call('GET', `/v2/vuln/signatures/referrers/${signature}`)).text) as { manifests: unknown[] };
    expect(referrers.manifests).toEqual([]);
    // Nothing to match, so nothing to refuse: fetched by digest under preventVulnerable, and by cosign's tag.
    expect((await pull('vuln/signatures', signature)).status).toBe(200);
    expect((await pull('vuln/signatures', `sha256-${vulnerable.digest.slice(7)}.sig`)).status).toBe(200);
  });

  it('a fixed image is pulled', async () => {
    await pushScanned('vuln/app', 'fixed', await alpineImage({ ...PACKAGES, busybox: '1.36.1-r29' }, 'vuln'));
    expect((await pull('vuln/app', 'fixed')).status).toBe(200);
  });

  it('the image scanned before the database existed was matched when it came (its pull is now refused for the advisory)', async () => {
    const res = await pull('strict/app', 'v1');
    expect(res.status).toBe(403);
    expect(errorOf(res).detail?.reason).toContain('BERTH-2099-0001');
  });

  it('a new database re-matches the stored inventories without reading a layer, announcing each new advisory once', async () => {
    const { scans } = await registry.running.services.security.load();
    const before = (await scans.status()).layerReads;
    const v2 = await useDatabase('v2', [CRITICAL, LEXICAL_TRAP, LATER]);
    const status = await scans.status();
    expect(status.layerReads).toBe(before);
    expect(status.lastRematch).toMatchObject({ database: v2, layerReads: 0 });
    // vuln/app:v1 (in three repositories) and strict/app:v1 have musl 1.2.5-r0; vuln/app:fixed too.
    expect(status.lastRematch?.announced).toBe(3);
    const res = await registry.client.call('GET', `/v2/vuln/app/_berth/vulnerabilities/${vulnerable.digest}`);
    expect((JSON.parse(res.text) as { vulnerabilities: { id: string }[] }).vulnerabilities.map((v) => v.id).sort()).toEqual(['BERTH-2099-0001', 'BERTH-2099-0003']);
    // Re-matching against the same database announces nothing again.
    const again = await scans.rematcher.rematch();
    expect(again?.announced).toBe(0);
    await registry.running.events.flushed();
    // One CloudEvent per new (digest, advisory): BERTH-2099-0001 for strict/app, found when v1 came (its push-time scan
    // had no database); BERTH-2099-0003 for the three tagged digests. Findings of push-time scans are not news.
    const events = delivered.map((e) => `${e.type} ${e.data.vulnerability}`).sort();
    expect(events).toEqual(['dev.berth.registry.vulnerability BERTH-2099-0001', ...Array<string>(3).fill('dev.berth.registry.vulnerability BERTH-2099-0003')]);
    expect(new Set(delivered.filter((e) => e.data.vulnerability === 'BERTH-2099-0003').map((e) => e.data.digest)).size).toBe(3);
  });
});

describe('requireSignature', () => {
  it('an unsigned image is refused with 403 DENIED and the reason, on GET and HEAD', async () => {
    const image = await pushScanned('signed/app', 'unsigned', await alpineImage(PACKAGES, 'unsigned'));
    const res = await pull('signed/app', 'unsigned');
    expect(res.status).toBe(403);
    expect(errorOf(res)).toMatchObject({ code: 'DENIED', detail: { policy: 'requireSignature' } });
    expect(errorOf(res).detail?.reason).toContain(`${image.digest} is not signed`);
    // A HEAD has no body: the status line carries the reason (containerd shows only that).
    const refused = await head('signed/app', 'unsigned');
    expect(refused.status).toBe(403);
    expect(refused.statusText).toBe(`Forbidden: ${errorOf(res).message}`);
    expect(refused.statusText).toContain(`${image.digest} is not signed`);
  });

  it('a signature by an untrusted key is refused', async () => {
    const image = await pushScanned('signed/app', 'other-key', await alpineImage(PACKAGES, 'other-key'));
    await pushCosignSignature(registry.client, 'signed/app', other, image.digest);
    const res = await pull('signed/app', 'other-key');
    expect(res.status).toBe(403);
    expect(errorOf(res).detail?.reason).toContain('no trusted key verifies the signature');
  });

  it('a trusted signature replayed onto another digest is refused', async () => {
    const a = await pushScanned('signed/app', 'a', await alpineImage(PACKAGES, 'replay-a'));
    const b = await pushScanned('signed/app', 'b', await alpineImage(PACKAGES, 'replay-b'));
    await pushCosignSignature(registry.client, 'signed/app', release, a.digest, b.digest);
    const res = await pull('signed/app', 'b');
    expect(res.status).toBe(403);
    expect(errorOf(res).detail?.reason).toContain(`signed payload names ${a.digest}`);
  });

  it('a signature by the trusted key lets the image through, and the signature itself is never gated', async () => {
    const image = await pushScanned('signed/app', 'good', await alpineImage(PACKAGES, 'good'));
    expect((await pull('signed/app', 'good')).status).toBe(403); // refused first: the verdict cache must not keep it
    await pushCosignSignature(registry.client, 'signed/app', release, image.digest);
    expect((await pull('signed/app', 'good')).status).toBe(200);
    expect((await head('signed/app', image.digest)).status).toBe(200);
    expect((await pull('signed/app', `sha256-${image.digest.slice(7)}.sig`)).status).toBe(200);
    const api = await registry.client.call('GET', `/v2/signed/app/_berth/signatures/${image.digest}`);
    expect(JSON.parse(api.text)).toMatchObject({ signed: true, signers: ['release'], signatures: [{ format: 'cosign-tag', verified: true, key: 'release' }] });
  });

  it('a policy whose key cannot be read cannot be met: refused (fail closed)', async () => {
    const image = await pushScanned('nokey/app', 'v1', await alpineImage(PACKAGES, 'nokey'));
    await pushCosignSignature(registry.client, 'nokey/app', release, image.digest);
    const res = await pull('nokey/app', 'v1');
    expect(res.status).toBe(403);
    expect(errorOf(res).detail?.reason).toContain('no such trusted key is configured or readable');
  });

  it('Audit lets the pull through and counts it', async () => {
    await pushScanned('audit/app', 'v1', await alpineImage(PACKAGES, 'audit'));
    expect((await pull('audit/app', 'v1')).status).toBe(200);
    const metrics = await registry.client.call('GET', '/metrics');
    expect(metrics.text).toMatch(/berth_policy_decisions_total\{policy="requireSignature",result="audit"\} [1-9]/);
    expect(metrics.text).toMatch(/berth_policy_decisions_total\{policy="requireSignature",result="deny"\} [1-9]/);
    expect(metrics.text).toMatch(/berth_policy_decisions_total\{policy="preventVulnerable",result="deny"\} [1-9]/);
    expect(metrics.text).toMatch(/berth_signature_verifications_total\{format="cosign-tag",result="verified"\} [1-9]/);
    expect(metrics.text).toMatch(/berth_scan_duration_seconds_count\{backend="builtin",result="done"\} [1-9]/);
  });
});

describe('the repository summary (what Repository.status.security shows)', () => {
  it('counts each advisory once at its highest severity across the tagged images, with the tags it is in', async () => {
    const res = await registry.client.call('GET', '/admin/security/repositories/vuln/app');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toMatchObject({
      counts: { Critical: 1, Medium: 1, High: 0 }, tags: 2, scannedTags: 2,
      top: [{ id: 'BERTH-2099-0001', severity: 'Critical', tags: ['v1'] }, { id: 'BERTH-2099-0003', severity: 'Medium', tags: ['fixed', 'v1'] }],
    });
  });

  it('lists each tagged image\'s advisories, the tags without a trusted signature and the database in use', async () => {
    const summary = JSON.parse((await registry.client.call('GET', '/admin/security/repositories/vuln/app')).text) as {
      images: { digest: string; tags: string[]; scanned: boolean; vulnerabilities: { id: string; severity: string }[] }[];
      signatures: { keys: string[]; unsignedTags?: number }; vulnDB: { state: string; digest?: string; stale: boolean };
    };
    expect(summary.images.map((i) => [i.tags, i.scanned, i.vulnerabilities])).toEqual(expect.arrayContaining([
      [['v1'], true, [{ id: 'BERTH-2099-0001', severity: 'Critical' }, { id: 'BERTH-2099-0003', severity: 'Medium' }]],
      [['fixed'], true, [{ id: 'BERTH-2099-0003', severity: 'Medium' }]],
    ]));
    expect(summary.images).toHaveLength(2);
    expect(summary.images.every((i) => /^sha256:[0-9a-f]{64}$/.test(i.digest))).toBe(true);
    // No policy of vuln/app names keys: every usable trusted key counts; the unreadable one does not.
    expect(summary.signatures).toEqual({ keys: ['release'], unsignedTags: 2 });
    expect(summary.vulnDB).toMatchObject({ state: 'ready', stale: false, digest: expect.stringMatching(/^sha256:/) });
  });
});

describe('verified signers per image (what requireSignature.minSignatures is checked against)', () => {
  it('lists the keys whose signature verified for each tagged image, and none for an unsigned or wrongly signed one', async () => {
    const summary = JSON.parse((await registry.client.call('GET', '/admin/security/repositories/signed/app')).text) as {
      images: { tags: string[]; signers?: string[] }[]; signatures: { keys: string[] };
    };
    expect(summary.signatures.keys).toEqual(['release']);
    const signers = Object.fromEntries(summary.images.flatMap((i) => i.tags.map((t) => [t, i.signers])));
    expect(signers).toMatchObject({ good: ['release'], unsigned: [], 'other-key': [], b: [] });
  });
});

describe('the security status', () => {
  it('reports the database in use, the queue and the keys', async () => {
    const res = await registry.client.call('GET', '/v2/_berth/security/status');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toMatchObject({
      scanning: { enabled: true, backend: 'builtin', vulnDB: { state: 'ready', tag: 'v2', signature: 'not-required' }, queue: { depth: 0 } },
      trust: { keys: [{ name: 'release', usable: true }, { name: 'retired', usable: false }] },
    });
  });
});
