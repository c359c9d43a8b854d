// A registry process killed (SIGKILL, from a failpoint) at each step of the write
// path between storage and the metadata index. After the restart no reader gets a
// 404 for committed content, the journal entry the dead write left gets its
// repository repaired from storage, and a dry-run scrub then finds no drift.
// Also the upgrade path: a registry with data and no index builds it at start and
// answers as before.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRegistryProcess, type RegistryProcess } from '../harness/registry-process.js';
import { OciClient, ociImage, randomBlob, type Blob } from '../harness/oci-client.js';
import { sleep } from '../registry/lifecycle/admin.js';

const REPO = 'crash/app';
const CONFIG = { metadata: { scrub: { repairAfterSeconds: 1 } } };

async function start(dir: string, port: number | undefined, failpoints?: string): Promise<RegistryProcess> {
  return startRegistryProcess({ dir, port, config: CONFIG, env: failpoints ? { BERTH_FAILPOINTS: failpoints } : {} });
}

async function tags(url: string): Promise<string[]> {
  const res = await fetch(`${url}/v2/${REPO}/tags/list`);
  return res.status === 200 ? ((await res.json()) as { tags: string[] }).tags : [];
}

async function manifestStatus(url: string, ref: string): Promise<number> {
  const res = await fetch(`${url}/v2/${REPO}/manifests/${ref}`, { headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' } });
  await res.arrayBuffer();
  return res.status;
}

async function dryRunDrift(url: string): Promise<unknown> {
  const res = await fetch(`${url}/admin/scrub?dryRun=true`, { method: 'POST' });
  const body = (await res.json()) as { report: { drift: unknown[]; repositoriesRemoved: number; busy: string[] } };
  return { status: res.status, drift: body.report.drift, removed: body.report.repositoriesRemoved, busy: body.report.busy };
}

/** Waits until `check` holds, at most `ms`. */
async function eventually(check: () => Promise<boolean>, ms = 10_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(100);
  }
  return check();
}

interface Seeded {
  readonly v1: { digest: string; blobs: Blob[] };
}

async function seed(reg: RegistryProcess): Promise<Seeded> {
  const v1 = await new OciClient(reg.url).pushImage(REPO, 'v1', ociImage(randomBlob(64), [randomBlob(2048)]));
  return { v1: { digest: v1.digest, blobs: [v1.config, ...v1.layers] } };
}

const blobStatus = (url: string, repo: string, digest: string) => new OciClient(url).blobStatus(repo, digest);

describe.each([
  ['manifest-put:intent-opened', 'push'],
  ['manifest-put:storage-committed', 'push'],
  ['blob-link:storage-committed', 'blob'],
  ['tag-delete:index-deleted', 'tag-delete'],
  ['manifest-delete:index-deleted', 'manifest-delete'],
  ['blob-unlink:index-deleted', 'blob-unlink'],
])('killed at %s', (failpoint, operation) => {
  let dir: string;

  afterAll(async () => { if (dir) await rm(dir, { recursive: true, force: true }); });

  test('nothing committed reads as missing, and the index is repaired from storage', async () => {
    const first = await start(await mkdtemp(join(tmpdir(), 'berth-crash-')), undefined);
    dir = first.dir;
    const seeded = await seed(first);
    await first.stop();

    const armed = await start(dir, first.port, failpoint);
    const newLayer = randomBlob(1024);
    const op = (async () => {
      switch (operation) {
        case 'push': return new OciClient(armed.url).pushImage(REPO, 'v2', ociImage(randomBlob(64), [newLayer]));
        case 'blob': return fetch(`${armed.url}/v2/${REPO}/blobs/uploads/?digest=${newLayer.digest}`, { method: 'POST', body: newLayer.content });
        case 'tag-delete': return fetch(`${armed.url}/v2/${REPO}/manifests/v1`, { method: 'DELETE' });
        case 'manifest-delete': return fetch(`${armed.url}/v2/${REPO}/manifests/${seeded.v1.digest}`, { method: 'DELETE' });
        default: return fetch(`${armed.url}/v2/${REPO}/blobs/${seeded.v1.blobs[1].digest}`, { method: 'DELETE' });
      }
    })().catch((err: Error) => err);
    expect(await armed.exited()).toBeNull(); // killed by the signal, not exited
    await op;

    const after = await start(dir, first.port);
    try {
      // Whatever the dead write did to storage, readers see storage's truth: the
      // seeded image's content was never deleted from storage (the deletes died
      // before their storage half), and a pushed blob is served if it was committed.
      for (const b of seeded.v1.blobs) expect(await blobStatus(after.url, REPO, b.digest)).toBe(200);
      expect(await manifestStatus(after.url, seeded.v1.digest)).toBe(200);
      if (operation === 'blob') expect(await blobStatus(after.url, REPO, newLayer.digest)).toBe(200);

      // The journal entry left behind gets the repository scrubbed from storage.
      const expectedTags = failpoint === 'manifest-put:storage-committed' ? ['v1', 'v2'] : ['v1'];
      expect(await eventually(async () => JSON.stringify(await tags(after.url)) === JSON.stringify(expectedTags))).toBe(true);
      expect(await eventually(async () => {
        const report = await dryRunDrift(after.url) as { drift: unknown[]; busy: string[] };
        return report.drift.length === 0 && report.busy.length === 0;
      })).toBe(true);
      expect(await dryRunDrift(after.url)).toEqual({ status: 200, drift: [], removed: 0, busy: [] });
    } finally {
      await after.stop();
    }
  });
});

test('a registry with data and no index builds it at start and answers as before', async () => {
  const reg = await startRegistryProcess({ config: CONFIG });
  const before: Record<string, unknown> = {};
  try {
    for (const repo of ['up/one', 'up/two', 'up/nested/three']) {
      for (const tag of ['a', 'b']) await new OciClient(reg.url).pushImage(repo, tag, ociImage(randomBlob(64), [randomBlob(512)]));
    }
    before.catalog = await (await fetch(`${reg.url}/v2/_catalog`)).json();
    before.tags = await (await fetch(`${reg.url}/v2/up/one/tags/list?metadata=true`)).json();
    before.status = await (await fetch(`${reg.url}/admin/repositories/up/nested/three`)).json();
  } finally {
    await reg.stop();
  }
  await rm(join(reg.dir, 'data', '_metadata'), { recursive: true, force: true });
  const again = await startRegistryProcess({ dir: reg.dir, port: reg.port, config: CONFIG });
  try {
    expect(await again.log()).toContain('metadata index built');
    const tagsAfter = await (await fetch(`${again.url}/v2/up/one/tags/list?metadata=true`)).json() as { metadata: Array<Record<string, unknown>> };
    // Rebuilt from storage, a tag's push time is its file's write time, a few ms
    // before the index recorded it; who pushed is not in storage; pulls are not either.
    const strip = (t: { metadata: Array<Record<string, unknown>> }) => t.metadata.map(({ pushedBy: _by, lastPulledAt: _pulled, pushedAt: _at, ...rest }) => rest);
    const pushTimes = (t: { metadata: Array<Record<string, unknown>> }) => t.metadata.map((m) => Number(m.pushedAt));
    const drift = pushTimes(tagsAfter).map((at, i) => Math.abs(at - pushTimes(before.tags as { metadata: Array<Record<string, unknown>> })[i]));
    expect(drift.every((ms) => ms < 1000)).toBe(true);
    expect(await (await fetch(`${again.url}/v2/_catalog`)).json()).toEqual(before.catalog);
    expect(strip(tagsAfter)).toEqual(strip(before.tags as { metadata: Array<Record<string, unknown>> }));
    const status = await (await fetch(`${again.url}/admin/repositories/up/nested/three`)).json() as Record<string, unknown>;
    const { lastPushTime: rebuiltPush, ...rebuilt } = status;
    const { lastPushTime: keptPush, ...kept } = before.status as Record<string, unknown>;
    expect(rebuilt).toEqual(kept);
    expect(Math.abs(Date.parse(String(rebuiltPush)) - Date.parse(String(keptPush)))).toBeLessThan(1000);
  } finally {
    await again.stop();
    await rm(reg.dir, { recursive: true, force: true });
  }
});
