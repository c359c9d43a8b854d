// The names test/operator/repository.test.ts imports, over the OCI client, until
// that test uses test/harness/oci-client.ts itself.
import { ociImage, randomBlob, type Blob } from '../../harness/oci-client.js';

export { OCI_MANIFEST, type Blob } from '../../harness/oci-client.js';
export const makeBlob = randomBlob;

export function imageManifest(config: Blob, layers: Blob[], extra: Record<string, unknown> = {}): Buffer {
  return ociImage(config, layers, extra).manifest.content;
}
