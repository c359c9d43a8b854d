// Image sizes as a client pulls them: config + layers at their stored sizes, an
// index per platform and as its distinct blobs (shared layers once, attestations
// and children the repository lacks left out), read for a page of digests at once.
import type { SuiteContext } from '../index-suite.js';
import { digest, image, indexOf, pushImage } from '../fixtures.js';

export function imageSizeTests(ctx: SuiteContext): void {
  test('an image weighs its config and layers; an index each platform and its distinct blobs', async () => {
    const index = ctx.index();
    const shared = digest('shared-layer');
    const amd = image('team/app', 'amd', { layers: [shared, digest('amd-layer')], platform: { os: 'linux', architecture: 'amd64' } });
    const arm = image('team/app', 'arm', { layers: [shared], platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } });
    // An attestation (no platform) and a child that is not in the repository.
    const attestation = image('team/app', 'att', { artifactType: 'application/vnd.in-toto+json' });
    const missing = digest('elsewhere/manifest');
    for (const m of [arm, amd, attestation]) await pushImage(index, m);
    const idx = indexOf('team/app', 'multi', [
      { digest: amd.digest, platform: { os: 'linux', architecture: 'amd64' } },
      { digest: arm.digest, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
      { digest: attestation.digest, platform: { os: 'unknown', architecture: 'unknown' } },
      { digest: missing, platform: { os: 'linux', architecture: 's390x' } },
    ]);
    await index.recordManifest(idx, { tags: ['multi'], actor: 'ci' });

    const sizes = await index.imageSizes('team/app', [amd.digest, idx.digest, amd.digest, digest('unknown/manifest')]);
    // image(): config 100 bytes, each layer 1000.
    expect(sizes.get(amd.digest)).toEqual({ bytes: 2100 });
    expect(sizes.get(idx.digest)).toEqual({
      // amd's config, arm's config, the shared layer once, amd's own layer.
      bytes: 100 + 100 + 1000 + 1000,
      platforms: [
        { digest: amd.digest, platform: { os: 'linux', architecture: 'amd64' }, bytes: 2100 },
        { digest: arm.digest, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' }, bytes: 1100 },
      ],
    });
    expect(sizes.has(digest('unknown/manifest'))).toBe(false);
    expect((await index.imageSizes('other/repo', [amd.digest])).size).toBe(0);
    expect((await index.imageSizes('team/app', [])).size).toBe(0);
  });
}
