// Every error path of the Distribution API answers with the spec's code and
// status, never a 500, and never writes outside the data directory.
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { startInProcessRegistry, type InProcessRegistry } from '../../harness/in-process-registry.js';
import { blob, randomBlob, randomImage, sha256 } from '../../harness/oci-client.js';
import { body, expectError } from '../responses.js';

let reg: InProcessRegistry;
beforeAll(async () => { reg = await startInProcessRegistry(); });
afterAll(async () => { await reg.stop(); });

const u = (path: string) => `${reg.url}${path}`;

describe('names and references', () => {
  test.each(['UPPER/case', 'a..b', 'a//b', '-lead', 'trail-', 'a/_b', `${'a'.repeat(256)}`])(
    'invalid repository name %j → 400 NAME_INVALID', async (name) => {
      await expectError(await fetch(u(`/v2/${name}/tags/list`)), 400, 'NAME_INVALID');
      await expectError(await fetch(u(`/v2/${name}/manifests/latest`)), 400, 'NAME_INVALID');
      await expectError(await fetch(u(`/v2/${name}/blobs/uploads/`), { method: 'POST' }), 400, 'NAME_INVALID');
    });

  test.each(['.hidden', '-dash', 'a'.repeat(129), 'tag%20space'])('invalid tag %j → 400 TAG_INVALID', async (tag) => {
    await expectError(await fetch(u(`/v2/repo/manifests/${tag}`)), 400, 'TAG_INVALID');
  });

  test.each(['sha256:short', 'md5:d41d8cd98f00b204e9800998ecf8427e', 'sha256:' + 'G'.repeat(64), 'nocolon'])(
    'invalid digest %j on blob routes → 400 DIGEST_INVALID', async (d) => {
      await expectError(await fetch(u(`/v2/repo/blobs/${d}`)), 400, 'DIGEST_INVALID');
      await expectError(await fetch(u(`/v2/repo/referrers/${d}`)), 400, 'DIGEST_INVALID');
    });

  test('path traversal attempts never escape the data directory', async () => {
    const before = await readdir(dirname(reg.dataDir));
    const attempts = [
      '/v2/../../../etc/passwd', '/v2/%2e%2e/%2e%2e/etc/manifests/latest', '/v2/a/%2e%2e%2f%2e%2e/manifests/x',
      '/v2/a/blobs/uploads/..%2f..%2fx', '/v2/a/blobs/sha256:..%2f..%2f', '/v2/a/manifests/..%2f..%2fpasswd',
    ];
    for (const path of attempts) {
      for (const method of ['GET', 'PUT', 'PATCH', 'DELETE', 'POST']) {
        const res = await fetch(u(path), { method, body: ['GET'].includes(method) ? undefined : 'x' });
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        await res.arrayBuffer();
      }
    }
    expect(await readdir(dirname(reg.dataDir))).toEqual(before);
  });

  test('unknown routes and methods', async () => {
    await expectError(await fetch(u('/v2/repo/tags/list'), { method: 'DELETE' }), 405, 'UNSUPPORTED');
    await expectError(await fetch(u('/v2/repo/nothing')), 404, 'NAME_UNKNOWN');
    await expectError(await fetch(u('/elsewhere')), 405, 'UNSUPPORTED');
  });
});

describe('blobs', () => {
  test('unknown blob → 404 BLOB_UNKNOWN (GET), 404 without body (HEAD)', async () => {
    const d = sha256(randomBytes(8));
    await expectError(await fetch(u(`/v2/repo/blobs/${d}`)), 404, 'BLOB_UNKNOWN');
    const head = await fetch(u(`/v2/repo/blobs/${d}`), { method: 'HEAD' });
    expect(head.status).toBe(404);
    await expectError(await fetch(u(`/v2/repo/blobs/${d}`), { method: 'DELETE' }), 404, 'BLOB_UNKNOWN');
  });

  test('a blob pushed to one repository is not visible from another', async () => {
    const d = (await reg.client.pushBlob('iso/a', randomBlob(100))).digest;
    expect((await fetch(u(`/v2/iso/a/blobs/${d}`), { method: 'HEAD' })).status).toBe(200);
    expect((await fetch(u(`/v2/iso/b/blobs/${d}`), { method: 'HEAD' })).status).toBe(404);
  });

  test('range requests: 206 with Content-Range, 416 when unsatisfiable', async () => {
    const body = randomBytes(1000);
    const d = (await reg.client.pushBlob('ranges', blob(body))).digest;
    const part = await fetch(u(`/v2/ranges/blobs/${d}`), { headers: { Range: 'bytes=10-19' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 10-19/1000');
    expect(Buffer.from(await part.arrayBuffer()).equals(body.subarray(10, 20))).toBe(true);
    const suffix = await fetch(u(`/v2/ranges/blobs/${d}`), { headers: { Range: 'bytes=-5' } });
    expect(Buffer.from(await suffix.arrayBuffer()).equals(body.subarray(995))).toBe(true);
    const bad = await fetch(u(`/v2/ranges/blobs/${d}`), { headers: { Range: 'bytes=1000-2000' } });
    expect(bad.status).toBe(416);
    expect(bad.headers.get('content-range')).toBe('bytes */1000');
    await bad.arrayBuffer();
  });

  test('responses carry Docker-Content-Digest and the API version header', async () => {
    const d = (await reg.client.pushBlob('headers', randomBlob(10))).digest;
    const res = await fetch(u(`/v2/headers/blobs/${d}`));
    expect(res.headers.get('docker-content-digest')).toBe(d);
    expect(res.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
    await res.arrayBuffer();
  });
});

describe('uploads', () => {
  async function start(repo: string): Promise<string> {
    const res = await fetch(u(`/v2/${repo}/blobs/uploads/`), { method: 'POST' });
    expect(res.status).toBe(202);
    return res.headers.get('location')!;
  }

  test('a wrong digest is refused with DIGEST_INVALID and nothing becomes visible', async () => {
    const body = randomBytes(5000);
    const wrong = sha256(Buffer.from('something else'));
    await expectError(await fetch(u(`/v2/up/blobs/uploads/?digest=${wrong}`), { method: 'POST', body }), 400, 'DIGEST_INVALID');
    expect((await fetch(u(`/v2/up/blobs/${wrong}`), { method: 'HEAD' })).status).toBe(404);
    expect((await fetch(u(`/v2/up/blobs/${sha256(body)}`), { method: 'HEAD' })).status).toBe(404);
    const loc = await start('up');
    await fetch(u(loc), { method: 'PATCH', body });
    await expectError(await fetch(u(`${loc}?digest=${wrong}`), { method: 'PUT' }), 400, 'DIGEST_INVALID');
    expect((await fetch(u(`/v2/up/blobs/${sha256(body)}`), { method: 'HEAD' })).status).toBe(404);
  });

  test('PUT without a digest → 400 DIGEST_INVALID; the upload stays usable', async () => {
    const loc = await start('up');
    await expectError(await fetch(u(loc), { method: 'PUT' }), 400, 'DIGEST_INVALID');
    expect((await fetch(u(loc))).status).toBe(204);
  });

  test('out-of-order chunk → 416 with Range and Location of the real offset', async () => {
    const loc = await start('chunks');
    const first = await fetch(u(loc), { method: 'PATCH', body: randomBytes(100), headers: { 'Content-Range': '0-99' } });
    expect(first.status).toBe(202);
    expect(first.headers.get('range')).toBe('0-99');
    const skip = await fetch(u(loc), { method: 'PATCH', body: randomBytes(10), headers: { 'Content-Range': '200-209' } });
    await expectError(skip, 416, 'RANGE_INVALID');
    expect(skip.headers.get('range')).toBe('0-99');
    expect(skip.headers.get('location')).toBe(loc);
  });

  test('Content-Range disagreeing with Content-Length → 400 SIZE_INVALID; malformed → 416', async () => {
    const loc = await start('chunks');
    await expectError(await fetch(u(loc), { method: 'PATCH', body: randomBytes(10), headers: { 'Content-Range': '0-99' } }), 400, 'SIZE_INVALID');
    await expectError(await fetch(u(loc), { method: 'PATCH', body: randomBytes(10), headers: { 'Content-Range': 'garbage' } }), 416, 'RANGE_INVALID');
  });

  test('unknown, malformed, cancelled and foreign upload ids → 404 BLOB_UPLOAD_UNKNOWN', async () => {
    await expectError(await fetch(u('/v2/up/blobs/uploads/00000000-0000-0000-0000-000000000000')), 404, 'BLOB_UPLOAD_UNKNOWN');
    await expectError(await fetch(u('/v2/up/blobs/uploads/not-a-uuid'), { method: 'PATCH', body: 'x' }), 404, 'BLOB_UPLOAD_UNKNOWN');
    const loc = await start('up');
    const foreign = loc.replace('/v2/up/', '/v2/other/');
    await expectError(await fetch(u(foreign)), 404, 'BLOB_UPLOAD_UNKNOWN');
    expect((await fetch(u(loc), { method: 'DELETE' })).status).toBe(204);
    await expectError(await fetch(u(loc)), 404, 'BLOB_UPLOAD_UNKNOWN');
  });

  test('chunked upload of three chunks with a final PUT chunk, then status is gone', async () => {
    const body = randomBytes(30_000);
    const loc = await start('chunked');
    await fetch(u(loc), { method: 'PATCH', body: body.subarray(0, 10_000), headers: { 'Content-Range': '0-9999' } });
    const status = await fetch(u(loc));
    expect(status.status).toBe(204);
    expect(status.headers.get('range')).toBe('0-9999');
    await fetch(u(loc), { method: 'PATCH', body: body.subarray(10_000, 20_000) });
    const put = await fetch(u(`${loc}?digest=${sha256(body)}`), { method: 'PUT', body: body.subarray(20_000), headers: { 'Content-Range': '20000-29999' } });
    expect(put.status).toBe(201);
    expect(put.headers.get('location')).toBe(`/v2/chunked/blobs/${sha256(body)}`);
    const got = Buffer.from(await (await fetch(u(`/v2/chunked/blobs/${sha256(body)}`))).arrayBuffer());
    expect(got.equals(body)).toBe(true);
    await expectError(await fetch(u(loc)), 404, 'BLOB_UPLOAD_UNKNOWN');
  });

  test('sha512 blobs upload and verify', async () => {
    const { createHash } = await import('node:crypto');
    const body = randomBytes(2000);
    const d = `sha512:${createHash('sha512').update(body).digest('hex')}`;
    expect((await fetch(u(`/v2/s512/blobs/uploads/?digest=${d}`), { method: 'POST', body })).status).toBe(201);
    const head = await fetch(u(`/v2/s512/blobs/${d}`), { method: 'HEAD' });
    expect(head.headers.get('docker-content-digest')).toBe(d);
  });

  test('cross-repository mount: from a repository holding the blob → 201; missing → 202 upload', async () => {
    const d = (await reg.client.pushBlob('mount/src', randomBlob(300))).digest;
    const ok = await fetch(u(`/v2/mount/dst/blobs/uploads/?mount=${d}&from=mount/src`), { method: 'POST' });
    expect(ok.status).toBe(201);
    expect(ok.headers.get('docker-content-digest')).toBe(d);
    expect((await fetch(u(`/v2/mount/dst/blobs/${d}`), { method: 'HEAD' })).status).toBe(200);
    const missing = await fetch(u(`/v2/mount/dst/blobs/uploads/?mount=${sha256('nope')}&from=mount/src`), { method: 'POST' });
    expect(missing.status).toBe(202);
    expect(missing.headers.get('location')).toMatch(/^\/v2\/mount\/dst\/blobs\/uploads\//);
  });

  test('a client that disconnects mid-upload loses nothing already received', async () => {
    const { request } = await import('node:http');
    const loc = await start('abort');
    const first = randomBytes(256 * 1024);
    await new Promise<void>((resolve) => {
      const req = request(u(loc), { method: 'PATCH', headers: { 'Content-Type': 'application/octet-stream', 'Transfer-Encoding': 'chunked' } });
      req.on('error', () => resolve());
      req.write(first, () => setTimeout(() => { req.destroy(); resolve(); }, 300));
    });
    let received = 0;
    for (let i = 0; i < 50; i++) {
      const s = await fetch(u(loc));
      received = Number(s.headers.get('range')!.split('-')[1]) + 1;
      if (received === first.length) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(received).toBe(first.length);
    const rest = randomBytes(1000);
    const all = Buffer.concat([first, rest]);
    const done = await fetch(u(`${loc}?digest=${sha256(all)}`), { method: 'PUT', body: rest, headers: { 'Content-Range': `${first.length}-${all.length - 1}` } });
    expect(done.status).toBe(201);
    expect(Buffer.from(await (await fetch(u(`/v2/abort/blobs/${sha256(all)}`))).arrayBuffer()).equals(all)).toBe(true);
  });
});

describe('manifests', () => {
  const put = (repo: string, ref: string, body: string | Buffer, type = 'application/vnd.oci.image.manifest.v1+json') =>
    fetch(u(`/v2/${repo}/manifests/${ref}`), { method: 'PUT', body, headers: { 'Content-Type': type } });

  test('malformed documents → 400 MANIFEST_INVALID', async () => {
    await expectError(await put('m', 'v1', '{not json'), 400, 'MANIFEST_INVALID');
    await expectError(await put('m', 'v1', '[]'), 400, 'MANIFEST_INVALID');
    await expectError(await put('m', 'v1', JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json' })), 400, 'MANIFEST_INVALID');
    await expectError(await put('m', 'v1', JSON.stringify({ schemaVersion: 1, name: 'x' }), 'application/vnd.docker.distribution.manifest.v1+prettyjws'), 400, 'MANIFEST_INVALID');
    await expectError(await put('m', 'v1', JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [] })), 400, 'MANIFEST_INVALID');
  });

  test('references to missing blobs or manifests → 400 MANIFEST_BLOB_UNKNOWN', async () => {
    const missing = sha256('missing');
    await expectError(await put('m', 'v1', JSON.stringify({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: missing, size: 7 }, layers: [],
    })), 400, 'MANIFEST_BLOB_UNKNOWN');
    await expectError(await put('m', 'v1', JSON.stringify({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: missing, size: 7 }],
    }), 'application/vnd.oci.image.index.v1+json'), 400, 'MANIFEST_BLOB_UNKNOWN');
  });

  test('a digest reference that does not match the body → 400 DIGEST_INVALID', async () => {
    const img = await reg.client.pushImage('m2', 'v1');
    await expectError(await put('m2', sha256('other'), img.manifest.content), 400, 'DIGEST_INVALID');
  });

  test('manifests over the size limit → 413 without being buffered', async () => {
    await expectError(await put('m', 'big', Buffer.alloc(4 * 1024 * 1024 + 1, 0x20)), 413, 'MANIFEST_INVALID');
  });

  test('subject → OCI-Subject, referrers listed with artifactType filtering', async () => {
    const base = await reg.client.pushImage('refs', 'v1');
    const subject = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: base.digest, size: base.manifest.content.length };
    const sig = await reg.client.pushImage('refs', 'sig', randomImage({ extra: { subject, artifactType: 'application/vnd.example.sig' } }));
    await reg.client.pushImage('refs', 'sbom', randomImage({ extra: { subject, artifactType: 'application/vnd.example.sbom' } }));
    const all = await body(await fetch(u(`/v2/refs/referrers/${base.digest}`)));
    expect(all.manifests).toHaveLength(2);
    const filtered = await fetch(u(`/v2/refs/referrers/${base.digest}?artifactType=application/vnd.example.sig`));
    expect(filtered.headers.get('oci-filters-applied')).toBe('artifactType');
    expect((await body(filtered)).manifests.map((m: { digest: string }) => m.digest)).toEqual([sig.digest]);
    await fetch(u(`/v2/refs/manifests/${sig.digest}`), { method: 'DELETE' });
    expect((await body(await fetch(u(`/v2/refs/referrers/${base.digest}`)))).manifests).toHaveLength(1);
  });

  test('delete by tag removes only the tag; delete by digest removes the manifest and its tags', async () => {
    const img = await reg.client.pushImage('del', 'a');
    await put('del', 'b', img.manifest.content);
    expect((await fetch(u('/v2/del/manifests/a'), { method: 'DELETE' })).status).toBe(202);
    await expectError(await fetch(u('/v2/del/manifests/a')), 404, 'MANIFEST_UNKNOWN');
    expect((await fetch(u('/v2/del/manifests/b'))).status).toBe(200);
    expect((await fetch(u(`/v2/del/manifests/${img.digest}`), { method: 'DELETE' })).status).toBe(202);
    await expectError(await fetch(u('/v2/del/manifests/b')), 404, 'MANIFEST_UNKNOWN');
    await expectError(await fetch(u(`/v2/del/manifests/${img.digest}`), { method: 'DELETE' }), 404, 'MANIFEST_UNKNOWN');
  });
});

describe('discovery', () => {
  test('tag listing paginates with n/last and a Link header', async () => {
    const img = await reg.client.pushImage('paged', 't00');
    for (let i = 1; i < 12; i++) {
      await fetch(u(`/v2/paged/manifests/t${String(i).padStart(2, '0')}`), { method: 'PUT', body: img.manifest.content, headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' } });
    }
    const first = await fetch(u('/v2/paged/tags/list?n=5'));
    expect((await body(first)).tags).toEqual(['t00', 't01', 't02', 't03', 't04']);
    expect(first.headers.get('link')).toBe('</v2/paged/tags/list?n=5&last=t04>; rel="next"');
    const next = await body(await fetch(u('/v2/paged/tags/list?n=5&last=t04')));
    expect(next.tags).toEqual(['t05', 't06', 't07', 't08', 't09']);
    const tail = await fetch(u('/v2/paged/tags/list?n=5&last=t09'));
    expect((await body(tail)).tags).toEqual(['t10', 't11']);
    expect(tail.headers.get('link')).toBeNull();
    // With per-tag metadata, the next page's link asks for it too.
    const detailed = await fetch(u('/v2/paged/tags/list?metadata=true&n=5'));
    expect(((await body(detailed)).metadata as unknown[]).length).toBe(5);
    expect(detailed.headers.get('link')).toBe('</v2/paged/tags/list?metadata=true&n=5&last=t04>; rel="next"');
    await expectError(await fetch(u('/v2/paged/tags/list?n=abc')), 400, 'PAGINATION_NUMBER_INVALID');
    await expectError(await fetch(u('/v2/never/pushed/tags/list')), 404, 'NAME_UNKNOWN');
  });

  test('catalog lists nested repository names in order, paginated', async () => {
    await reg.client.pushImage('cat/zeta', 'v1');
    await reg.client.pushImage('cat/alpha/deep', 'v1');
    await reg.client.pushImage('cat/alpha', 'v1');
    const all = (await body(await fetch(u('/v2/_catalog')))).repositories as string[];
    const cats = all.filter((r) => r.startsWith('cat/'));
    expect(cats).toEqual(['cat/alpha', 'cat/alpha/deep', 'cat/zeta']);
    const page = await fetch(u('/v2/_catalog?n=1'));
    expect((await body(page)).repositories).toHaveLength(1);
    expect(page.headers.get('link')).toMatch(/^<\/v2\/_catalog\?n=1&last=[^>]+>; rel="next"$/);
  });
});

describe('robustness', () => {
  test('a bounded barrage of malformed requests never yields a 5xx', async () => {
    const methods = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];
    const paths = ['/v2/', '/v2/_catalog?n=-1', '/v2/a/manifests/', '/v2/a/blobs/', '/v2/a/blobs/uploads/x?digest=sha256:zz',
      '/v2/a/referrers/', '/v2/a/tags/list?last=%ff', '/v2/%00/manifests/x', '/v2/a/manifests/sha256:%zz', '/v2//x'];
    let checked = 0;
    for (const path of paths) {
      for (const method of methods) {
        const res = await fetch(u(path), { method, body: ['GET', 'HEAD'].includes(method) ? undefined : randomBytes(64) });
        expect([path, method, res.status < 500]).toEqual([path, method, true]);
        await res.arrayBuffer();
        checked++;
      }
    }
    expect(checked).toBe(paths.length * methods.length);
  });
});
