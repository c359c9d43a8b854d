// What a pushed manifest is to the scanner: a container image, an index (its
// platform images are scanned), or something a vulnerability scan does not
// apply to. cosign's signatures (`.sig`: an image config and a simple-signing
// payload as the only layer), its attestations (in-toto in DSSE envelopes) and
// SBOMs, OCI artifacts with a config of their own (Helm charts, the database)
// have no filesystem to index: they are not queued, and their result says so
// with the reason instead of staying pending or reading as "no known
// vulnerabilities". Fails towards scanning: a manifest with any layer a runtime
// could unpack as a filesystem, or a layer of no stated type, is an image,
// whatever its artifactType says.
import { categoryOf, type ArtifactCategory } from '../read/artifact-kinds.js';

export type ScanTarget =
  | { readonly kind: 'image' }
  | { readonly kind: 'index' }
  | { readonly kind: 'not-applicable'; readonly reason: string };

const INDEX_TYPES = new Set(['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json']);
const IMAGE_CONFIGS = new Set(['application/vnd.oci.image.config.v1+json', 'application/vnd.docker.container.image.v1+json']);
/** Filesystem layers by any name a runtime might unpack (tar in any compression, Docker's rootfs diffs, OCI layers). */
const FILESYSTEM_LAYER = /tar|rootfs|\.layer\./i;

interface Shape {
  mediaType?: unknown;
  artifactType?: unknown;
  config?: { mediaType?: unknown };
  layers?: unknown;
  manifests?: unknown;
  fsLayers?: unknown;
}

const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export function scanTargetOf(body: Buffer | string): ScanTarget {
  let m: Shape;
  try {
    const parsed = JSON.parse(body.toString()) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { kind: 'image' };
    m = parsed;
  } catch {
    return { kind: 'image' }; // not for this module to judge: the scan fails and says why
  }
  if (Array.isArray(m.manifests) && (INDEX_TYPES.has(text(m.mediaType) ?? '') || !Array.isArray(m.layers))) return { kind: 'index' };
  if (Array.isArray(m.fsLayers)) return { kind: 'image' }; // Docker schema 1
  const configType = text(m.config?.mediaType);
  const layerTypes = Array.isArray(m.layers) ? m.layers.map((l) => text((l as { mediaType?: unknown } | null)?.mediaType)) : [];
  const filesystem = layerTypes.some((t) => t === undefined || FILESYSTEM_LAYER.test(t));
  // A config of its own (a Helm chart's, the database's) is an artifact: runtimes run image configs only.
  if (configType && !IMAGE_CONFIGS.has(configType)) return notApplicable(`config ${configType}`, text(m.artifactType) ?? configType);
  if (filesystem || (configType && !layerTypes.length)) return { kind: 'image' }; // an empty image is scanned, and found empty
  const types = [...new Set(layerTypes as string[])];
  return notApplicable(types.length ? `layers ${types.join(', ')}` : 'no config and no layers', text(m.artifactType) ?? types[0]);
}

const NAMES: Partial<Record<ArtifactCategory, string>> = {
  signature: 'a signature', attestation: 'an attestation', sbom: 'an SBOM', 'vulnerability-report': 'a vulnerability report', 'helm-chart': 'a Helm chart',
};

function notApplicable(what: string, type: string | undefined): ScanTarget {
  return { kind: 'not-applicable', reason: `not a container image: ${NAMES[categoryOf(type)] ?? 'an artifact'} (${what}), no filesystem to scan` };
}
