export const MediaType = {
  OCI_MANIFEST: 'application/vnd.oci.image.manifest.v1+json',
  OCI_INDEX: 'application/vnd.oci.image.index.v1+json',
  DOCKER_MANIFEST: 'application/vnd.docker.distribution.manifest.v2+json',
  DOCKER_MANIFEST_LIST: 'application/vnd.docker.distribution.manifest.list.v2+json',
  DOCKER_SCHEMA1: 'application/vnd.docker.distribution.manifest.v1+json',
  DOCKER_SCHEMA1_SIGNED: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  OCI_EMPTY: 'application/vnd.oci.empty.v1+json',
} as const;

export const IMAGE_MANIFESTS: ReadonlySet<string> = new Set([MediaType.OCI_MANIFEST, MediaType.DOCKER_MANIFEST]);
export const INDEXES: ReadonlySet<string> = new Set([MediaType.OCI_INDEX, MediaType.DOCKER_MANIFEST_LIST]);

/** Layers that may legitimately be absent from the registry (they are fetched from `urls`). */
export function isNonDistributable(mediaType: string | undefined): boolean {
  return !!mediaType && (mediaType.includes('.nondistributable.') || mediaType.includes('.foreign.'));
}
