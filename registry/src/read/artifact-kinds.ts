// What kind of thing an artifact type (or media type) names, so referrers can be
// grouped and shown: signatures, SBOMs, vulnerability reports, attestations, Helm
// charts. Also cosign's tag convention (`sha256-<hex>.sig`, `.att`, `.sbom`), which
// attaches the same things by tag instead of by subject.

export type ArtifactCategory = 'image' | 'index' | 'signature' | 'sbom' | 'vulnerability-report' | 'attestation' | 'helm-chart' | 'other';

export const HELM_CONFIG = 'application/vnd.cncf.helm.config.v1+json';

const EXACT: Readonly<Record<string, ArtifactCategory>> = {
  'application/vnd.oci.image.manifest.v1+json': 'image',
  'application/vnd.docker.distribution.manifest.v2+json': 'image',
  'application/vnd.oci.image.config.v1+json': 'image',
  'application/vnd.docker.container.image.v1+json': 'image',
  'application/vnd.oci.image.index.v1+json': 'index',
  'application/vnd.docker.distribution.manifest.list.v2+json': 'index',
  'application/vnd.dev.cosign.artifact.sig.v1+json': 'signature',
  'application/vnd.dev.cosign.simplesigning.v1+json': 'signature',
  'application/vnd.dev.sigstore.bundle.v0.3+json': 'signature',
  'application/vnd.dev.sigstore.bundle+json;version=0.3': 'signature',
  'application/vnd.cncf.notary.signature': 'signature',
  'application/spdx+json': 'sbom',
  'text/spdx': 'sbom',
  'application/vnd.cyclonedx+json': 'sbom',
  'application/vnd.cyclonedx+xml': 'sbom',
  'application/vnd.syft+json': 'sbom',
  'application/vnd.dev.cosign.artifact.sbom.v1+json': 'sbom',
  'application/sarif+json': 'vulnerability-report',
  'application/vnd.security.vulnerability.report; version=1.1': 'vulnerability-report',
  'application/vnd.dev.cosign.artifact.att.v1+json': 'attestation',
  'application/vnd.in-toto+json': 'attestation',
  'application/vnd.dsse.envelope.v1+json': 'attestation',
  [HELM_CONFIG]: 'helm-chart',
};

export function categoryOf(type: string | undefined): ArtifactCategory {
  if (!type) return 'other';
  const exact = EXACT[type] ?? EXACT[type.split(';')[0].trim()];
  if (exact) return exact;
  if (/spdx|cyclonedx|sbom/i.test(type)) return 'sbom';
  if (/vuln|sarif|vex/i.test(type)) return 'vulnerability-report';
  if (/signature|\.sig\b/i.test(type)) return 'signature';
  if (/in-toto|attestation|provenance/i.test(type)) return 'attestation';
  return 'other';
}

/** cosign's tags for what it attaches to `digest`, with the category of each. */
export function cosignTags(digest: string): Array<{ tag: string; category: ArtifactCategory }> {
  const [algorithm, hex] = digest.split(':');
  if (!algorithm || !hex) return [];
  const base = `${algorithm}-${hex}`;
  return [
    { tag: `${base}.sig`, category: 'signature' },
    { tag: `${base}.att`, category: 'attestation' },
    { tag: `${base}.sbom`, category: 'sbom' },
  ];
}

/** True for cosign's own tags (they name the artifact they attach to). */
export function isCosignTag(tag: string): boolean {
  return /^sha(256|512)-[0-9a-f]{64,128}\.(sig|att|sbom)$/.test(tag);
}
