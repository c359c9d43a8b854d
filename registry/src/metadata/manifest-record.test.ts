import { createHash } from 'node:crypto';
import { manifestRecord } from './manifest-record.js';

const d = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}`;
const json = (v: unknown) => Buffer.from(JSON.stringify(v));

describe('manifestRecord', () => {
  test('an image: config and layers as references with sizes, created and platform from the config', async () => {
    const config = json({ created: '2024-05-01T10:00:00Z', os: 'linux', architecture: 'arm64', variant: 'v8' });
    const body = json({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: d('config'), size: config.length },
      layers: [
        { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: d('l1'), size: 10 },
        { mediaType: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip', digest: d('foreign'), size: 20, urls: ['https://example.com/x'] },
      ],
      subject: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: d('subject'), size: 1 },
      annotations: { a: 'b', n: 1 },
    });
    const asked: string[] = [];
    const record = await manifestRecord({
      repo: 'r', digest: d('m'), mediaType: 'application/vnd.oci.image.manifest.v1+json', body,
      readBlob: async (digest) => { asked.push(digest); return config; },
    });
    expect(asked).toEqual([d('config')]);
    expect(record).toEqual({
      repo: 'r', digest: d('m'), mediaType: 'application/vnd.oci.image.manifest.v1+json', size: body.length,
      artifactType: 'application/vnd.oci.image.config.v1+json', configDigest: d('config'), created: Date.parse('2024-05-01T10:00:00Z'),
      subject: d('subject'), annotations: { a: 'b' }, platforms: [{ os: 'linux', architecture: 'arm64', variant: 'v8' }],
      refs: [
        { digest: d('config'), kind: 'config', size: config.length },
        { digest: d('l1'), kind: 'layer', size: 10 },
        { digest: d('foreign'), kind: 'layer' }, // not in the store: no size recorded
      ],
    });
  });

  test('an index: children as manifest references, their platforms without attestations, no config read', async () => {
    const body = json({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: d('amd'), size: 1, platform: { os: 'linux', architecture: 'amd64' } },
        { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: d('amd2'), size: 1, platform: { os: 'linux', architecture: 'amd64' } },
        { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: d('att'), size: 1, platform: { os: 'unknown', architecture: 'unknown' } },
      ],
    });
    const record = await manifestRecord({ repo: 'r', digest: d('i'), mediaType: 'application/vnd.oci.image.index.v1+json', body, readBlob: async () => { throw new Error('no config to read'); } });
    expect(record.platforms).toEqual([{ os: 'linux', architecture: 'amd64' }]);
    expect(record.refs).toEqual([d('amd'), d('amd2'), d('att')].map((digest) => ({ digest, kind: 'manifest' })));
    expect(record.configDigest).toBeUndefined();
  });

  test('an artifact: explicit artifactType, blobs; an unreadable or odd config leaves created unset', async () => {
    const body = json({
      schemaVersion: 2, artifactType: 'application/vnd.example+type',
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: d('{}'), size: 2 },
      blobs: [{ mediaType: 'text/plain', digest: d('b'), size: 5 }],
    });
    const record = await manifestRecord({ repo: 'r', digest: d('a'), mediaType: 'application/vnd.oci.image.manifest.v1+json', body, readBlob: async () => Buffer.from('{}') });
    expect(record.artifactType).toBe('application/vnd.example+type');
    expect(record.created).toBeUndefined();
    expect(record.platforms).toBeUndefined();
    expect(record.refs).toContainEqual({ digest: d('b'), kind: 'blob', size: 5 });
  });

  test("cosign's signature config (empty platform, Go's zero time) gives neither platform nor created", async () => {
    const body = json({ schemaVersion: 2, config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: d('c'), size: 200 }, layers: [] });
    const config = Buffer.from(JSON.stringify({ architecture: '', os: '', created: '0001-01-01T00:00:00Z', config: {}, rootfs: { type: 'layers', diff_ids: [] } }));
    const record = await manifestRecord({ repo: 'r', digest: d('sig'), mediaType: 'application/vnd.oci.image.manifest.v1+json', body, readBlob: async () => config });
    expect([record.platforms, record.created]).toEqual([undefined, undefined]);
  });

  test('a body that is not JSON is recorded by size alone', async () => {
    const record = await manifestRecord({ repo: 'r', digest: d('x'), mediaType: 'application/octet-stream', body: Buffer.from('not json') });
    expect(record).toEqual({ repo: 'r', digest: d('x'), mediaType: 'application/octet-stream', size: 8, refs: [] });
  });
});
