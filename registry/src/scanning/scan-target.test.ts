import { scanTargetOf } from './scan-target.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const IMAGE_CONFIG = 'application/vnd.oci.image.config.v1+json';
const d = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`;

function manifest(config: string | undefined, layers: (string | undefined)[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    schemaVersion: 2, mediaType: OCI_MANIFEST, ...extra,
    ...(config ? { config: { mediaType: config, digest: d(1), size: 2 } } : {}),
    layers: layers.map((mediaType, i) => ({ ...(mediaType ? { mediaType } : {}), digest: d(i + 2), size: 10 })),
  });
}

describe('scanTargetOf', () => {
  it.each([
    ['an OCI image', manifest(IMAGE_CONFIG, ['application/vnd.oci.image.layer.v1.tar+gzip'])],
    ['a zstd OCI image', manifest(IMAGE_CONFIG, ['application/vnd.oci.image.layer.v1.tar+zstd'])],
    ['a Docker image with a foreign layer', manifest('application/vnd.docker.container.image.v1+json',
      ['application/vnd.docker.image.rootfs.foreign.diff.tar.gzip', 'application/vnd.docker.image.rootfs.diff.tar.gzip'])],
    ['an image with no layers (scanned, found empty)', manifest(IMAGE_CONFIG, [])],
  ])('scans %s', (_name, body) => {
    expect(scanTargetOf(body)).toEqual({ kind: 'image' });
  });

  it('scans an index (its platform images)', () => {
    expect(scanTargetOf(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [] }))).toEqual({ kind: 'index' });
    expect(scanTargetOf(JSON.stringify({ schemaVersion: 2, manifests: [] }))).toEqual({ kind: 'index' });
  });

  it.each([
    ["cosign's .sig signature", manifest(IMAGE_CONFIG, ['application/vnd.dev.cosign.simplesigning.v1+json']), /a signature \(layers application\/vnd\.dev\.cosign\.simplesigning\.v1\+json\)/],
    ["cosign's .att attestation (DSSE)", manifest(IMAGE_CONFIG, ['application/vnd.dsse.envelope.v1+json']), /an attestation/],
    ["cosign's .sbom SPDX attachment", manifest(IMAGE_CONFIG, ['text/spdx']), /an SBOM/],
    ['a CycloneDX artifact', manifest('application/vnd.oci.empty.v1+json', ['application/vnd.cyclonedx+json'], { artifactType: 'application/vnd.cyclonedx+json' }), /an SBOM \(config application\/vnd\.oci\.empty\.v1\+json\)/],
    ['a sigstore bundle', manifest('application/vnd.oci.empty.v1+json', ['application/vnd.dev.sigstore.bundle.v0.3+json'], { artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json' }), /a signature/],
    ['a Helm chart', manifest('application/vnd.cncf.helm.config.v1+json', ['application/vnd.cncf.helm.chart.content.v1.tar+gzip']), /a Helm chart \(config application\/vnd\.cncf\.helm\.config\.v1\+json\)/],
    ['an artifact of an unknown type', manifest('application/vnd.example.config.v1+json', ['application/octet-stream']), /an artifact/],
  ])('does not scan %s, and says why', (_name, body, reason) => {
    const target = scanTargetOf(body);
    expect(target.kind).toBe('not-applicable');
    expect(target.kind === 'not-applicable' && target.reason).toMatch(/^not a container image: /);
    expect(target.kind === 'not-applicable' && target.reason).toMatch(reason);
  });

  it('fails towards scanning: any filesystem layer, or a layer of no stated type, makes an image whatever artifactType says', () => {
    const disguised = manifest(IMAGE_CONFIG, ['application/vnd.dev.cosign.simplesigning.v1+json', 'application/vnd.oci.image.layer.v1.tar+gzip'],
      { artifactType: 'application/spdx+json' });
    expect(scanTargetOf(disguised)).toEqual({ kind: 'image' });
    expect(scanTargetOf(manifest(IMAGE_CONFIG, ['text/spdx', undefined]))).toEqual({ kind: 'image' });
    expect(scanTargetOf(manifest(IMAGE_CONFIG, ['application/vnd.docker.image.rootfs.diff.tar']))).toEqual({ kind: 'image' });
    expect(scanTargetOf(JSON.stringify({ schemaVersion: 1, fsLayers: [{ blobSum: d(3) }] }))).toEqual({ kind: 'image' });
  });

  it('leaves what it cannot read to the scan (which stores the failure)', () => {
    expect(scanTargetOf('{not json')).toEqual({ kind: 'image' });
    expect(scanTargetOf('[]')).toEqual({ kind: 'image' });
  });
});
