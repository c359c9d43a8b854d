// What a pull-through cache's budget counts at start: each manifest and linked
// layer of the repositories under a host prefix, with sizes, paged by keyset.
import { openEngine } from '../../../../registry/src/metadata/engine/engine.js';
import { heldUnder, type HeldDigest } from '../../../../registry/src/metadata/reads/held-content.js';
import type { SuiteContext } from '../index-suite.js';
import { digest, image, pushImage } from '../fixtures.js';

const key = (h: HeldDigest) => `${h.as} ${h.repo} ${h.digest} ${h.size}`;

export function heldContentTests(ctx: SuiteContext): void {
  test('heldUnder lists the manifests and layer links under a prefix, and nothing outside it', async () => {
    const index = ctx.index();
    const shared = digest('shared-layer');
    const alpine = image('docker.io/library/alpine', 'alpine', { layers: [shared] });
    const app = image('docker.io/acme/app', 'app', { layers: [shared, digest('app-layer')], size: 700 });
    await pushImage(index, alpine, ['3.20']);
    await pushImage(index, app, ['v1']);
    // Outside the prefix: a local repository with the same layer, a host that only starts alike, the host itself as a name.
    await pushImage(index, image('team/app', 'local', { layers: [shared] }));
    await pushImage(index, image('docker.iox/app', 'lookalike'));
    await pushImage(index, image('docker.io', 'bare'));

    const held: HeldDigest[] = [];
    for await (const slice of index.heldUnder('docker.io/')) held.push(...slice);
    const expected = [
      ...[alpine, app].map((m) => ({ repo: m.repo, digest: m.digest, as: 'manifest' as const, size: m.size })),
      ...[alpine, app].flatMap((m) => m.refs.map((r) => ({ repo: m.repo, digest: r.digest, as: 'layer' as const, size: r.size ?? 0 }))),
    ];
    expect(held.map(key).sort()).toEqual(expected.map(key).sort());
    expect(held.filter((h) => h.digest === shared).map((h) => h.repo).sort()).toEqual(['docker.io/acme/app', 'docker.io/library/alpine']);
    expect(held.filter((h) => h.as === 'manifest' && h.repo === 'docker.io/acme/app').map((h) => h.size)).toEqual([700]);

    // Pages of two rows walk the same rows once each, across repositories.
    const engine = await openEngine(ctx.subject().options.engine);
    try {
      const paged: HeldDigest[] = [];
      let slices = 0;
      for await (const slice of heldUnder(engine.db, 'docker.io/', 2)) {
        expect(slice.length).toBeLessThanOrEqual(2);
        slices++;
        paged.push(...slice);
      }
      expect(paged.map(key).sort()).toEqual(expected.map(key).sort());
      expect(slices).toBeGreaterThanOrEqual(4);
    } finally {
      await engine.close();
    }
    const none: HeldDigest[] = [];
    for await (const slice of index.heldUnder('ghcr.io/')) none.push(...slice);
    expect(none).toEqual([]);
  });
}
