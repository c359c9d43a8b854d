// Finds every signature envelope attached to a digest: the legacy cosign tag
// (sha256-<hex>.sig, every layer of it), and every OCI 1.1 referrer that is a
// cosign signature or a sigstore bundle (cosign itself reads only the last
// referrer; here each one counts). Referrers are classified by their own
// manifest (artifactType, config or layer media type), not by the client-written
// fallback index entry.
import { bundleEnvelope, COSIGN_SIGNATURE_ARTIFACT, SIGSTORE_BUNDLE_V03, SIMPLESIGNING_LAYER, simplesigningEnvelope, type SignatureEnvelope, type SignatureFormat } from './envelopes.js';
import { parseManifest, type ManifestJson, type RepositoryReader } from './repository.js';

/** Bounds on what one verification reads, so a flood of referrers cannot stall a pull. */
export const MAX_SIGNATURE_MANIFESTS = 64;
export const MAX_LAYERS_PER_MANIFEST = 32;
const MAX_ENVELOPE_BYTES = 1024 * 1024;

export function signatureTag(digest: string): string {
  return `${digest.replace(':', '-')}.sig`;
}

function classify(m: ManifestJson): SignatureFormat | undefined {
  const types = [m.artifactType, m.config?.mediaType, ...(m.layers ?? []).map((l) => l.mediaType)];
  if (types.includes(SIGSTORE_BUNDLE_V03)) return 'sigstore-bundle';
  if (types.includes(COSIGN_SIGNATURE_ARTIFACT) || types.includes(SIMPLESIGNING_LAYER)) return 'cosign-referrer';
  return undefined;
}

async function envelopesOf(repo: RepositoryReader, manifestDigest: string, m: ManifestJson, format: SignatureFormat): Promise<SignatureEnvelope[]> {
  const out: SignatureEnvelope[] = [];
  const layers = (m.layers ?? []).slice(0, MAX_LAYERS_PER_MANIFEST);
  for (let i = 0; i < layers.length; i++) {
    const layer = layers[i];
    const source = `${manifestDigest}#${i}`;
    const wanted = format === 'sigstore-bundle' ? SIGSTORE_BUNDLE_V03 : SIMPLESIGNING_LAYER;
    if (layer.mediaType !== wanted) continue;
    if (layer.size > MAX_ENVELOPE_BYTES) {
      out.push({ format, source, signedBytes: Buffer.alloc(0), signatures: [], subjects: [], error: `signature layer of ${layer.size} bytes is too large` });
      continue;
    }
    let blob: Buffer;
    try {
      blob = await repo.getBlob(layer.digest);
    } catch (err) {
      out.push({ format, source, signedBytes: Buffer.alloc(0), signatures: [], subjects: [], error: `cannot read ${layer.digest}: ${(err as Error).message}` });
      continue;
    }
    out.push(format === 'sigstore-bundle' ? bundleEnvelope(source, blob) : simplesigningEnvelope(format, source, blob, layer.annotations));
  }
  return out;
}

/** Every envelope that claims to sign `digest`, in the order found. */
export async function discoverEnvelopes(repo: RepositoryReader, digest: string): Promise<SignatureEnvelope[]> {
  const found: SignatureEnvelope[] = [];
  const tagged = await repo.getManifest(signatureTag(digest));
  if (tagged) found.push(...(await envelopesOf(repo, tagged.digest, parseManifest(tagged), 'cosign-tag')));
  const referrers = (await repo.listReferrers(digest)).slice(0, MAX_SIGNATURE_MANIFESTS);
  for (const ref of referrers) {
    const stored = await repo.getManifest(ref.digest);
    if (!stored) continue;
    const m = parseManifest(stored);
    const format = classify(m);
    if (format) found.push(...(await envelopesOf(repo, stored.digest, m, format)));
  }
  return found;
}
