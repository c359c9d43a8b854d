// The verifier against cosign's three formats, built here with node:crypto in
// exactly cosign's shapes (the real-cosign matrix is test/e2e/signatures.test.ts).
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { KeyAuthority } from './authority.js';
import { COSIGN_SIGN_PREDICATE, COSIGN_SIGNATURE_ANNOTATION, COSIGN_SIGNATURE_ARTIFACT, pae, SIGSTORE_BUNDLE_V03, SIMPLESIGNING_LAYER } from './envelopes.js';
import { trustedKey } from './keys.js';
import type { Descriptor, RepositoryReader, StoredManifest } from './repository.js';
import { verifySignatures } from './verifier.js';

const sha256 = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

class MemoryRepo implements RepositoryReader {
  readonly blobs = new Map<string, Buffer>();
  readonly manifests = new Map<string, StoredManifest>();
  readonly tags = new Map<string, string>();

  blob(content: Buffer | string): Descriptor {
    const b = Buffer.from(content);
    const digest = sha256(b);
    this.blobs.set(digest, b);
    return { mediaType: 'application/octet-stream', digest, size: b.length };
  }

  manifest(doc: object, tag?: string): string {
    const bytes = Buffer.from(JSON.stringify(doc));
    const digest = sha256(bytes);
    this.manifests.set(digest, { digest, mediaType: (doc as { mediaType: string }).mediaType, bytes });
    if (tag) this.tags.set(tag, digest);
    return digest;
  }

  async getManifest(ref: string) {
    return this.manifests.get(this.tags.get(ref) ?? ref);
  }
  async getBlob(digest: string) {
    const b = this.blobs.get(digest);
    if (!b) throw new Error('blob unknown');
    return b;
  }
  async listReferrers(digest: string) {
    const out: Descriptor[] = [];
    for (const m of this.manifests.values()) {
      const doc = JSON.parse(m.bytes.toString()) as { subject?: Descriptor; artifactType?: string };
      if (doc.subject?.digest === digest) out.push({ mediaType: m.mediaType, digest: m.digest, size: m.bytes.length, artifactType: doc.artifactType });
    }
    return out;
  }
  async listTags() {
    return [...this.tags.keys()];
  }
}

const empty = { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256('{}'), size: 2 };

function image(repo: MemoryRepo, tag: string, seed: string): string {
  repo.blobs.set(empty.digest, Buffer.from('{}'));
  const layer = repo.blob(seed);
  return repo.manifest({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { ...empty, mediaType: 'application/vnd.oci.image.config.v1+json' }, layers: [layer] }, tag);
}

function simplesigningPayload(digest: string): Buffer {
  return Buffer.from(JSON.stringify({ critical: { identity: { 'docker-reference': 'r/app' }, image: { 'docker-manifest-digest': digest }, type: 'cosign container image signature' }, optional: null }));
}

function ecdsa(key: KeyObject, data: Buffer): string {
  return sign('sha256', data, key).toString('base64');
}

function signLegacy(repo: MemoryRepo, digest: string, keys: KeyObject[], payloadFor = digest): void {
  const layers = keys.map((k) => {
    const payload = simplesigningPayload(payloadFor);
    return { ...repo.blob(payload), mediaType: SIMPLESIGNING_LAYER, annotations: { [COSIGN_SIGNATURE_ANNOTATION]: ecdsa(k, payload) } };
  });
  repo.manifest({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { ...empty, mediaType: 'application/vnd.oci.image.config.v1+json' }, layers }, `${digest.replace(':', '-')}.sig`);
}

function signReferrer(repo: MemoryRepo, digest: string, key: KeyObject, payload = simplesigningPayload(digest), sig = ecdsa(key, payload)): void {
  const layer = { ...repo.blob(payload), mediaType: SIMPLESIGNING_LAYER, annotations: { [COSIGN_SIGNATURE_ANNOTATION]: sig } };
  repo.manifest({ schemaVersion: 2, mediaType: OCI_MANIFEST, artifactType: COSIGN_SIGNATURE_ARTIFACT, config: empty, layers: [layer], subject: { mediaType: OCI_MANIFEST, digest, size: 1 } });
}

function signBundle(repo: MemoryRepo, digest: string, key: KeyObject, names = digest, tamper = false): void {
  const statement = Buffer.from(JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', subject: [{ name: 'r/app', digest: { sha256: names.slice(7) } }], predicateType: COSIGN_SIGN_PREDICATE, predicate: {} }));
  const sig = sign('sha256', pae('application/vnd.in-toto+json', statement), key).toString('base64');
  const payload = tamper ? Buffer.from(statement.toString().replace('"predicate":{}', '"predicate":{"x":1}')) : statement;
  const bundle = { mediaType: SIGSTORE_BUNDLE_V03, verificationMaterial: { publicKey: { hint: 'x' } }, dsseEnvelope: { payload: payload.toString('base64'), payloadType: 'application/vnd.in-toto+json', signatures: [{ sig, keyid: '' }] } };
  const layer = { ...repo.blob(JSON.stringify(bundle)), mediaType: SIGSTORE_BUNDLE_V03 };
  repo.manifest({ schemaVersion: 2, mediaType: OCI_MANIFEST, artifactType: SIGSTORE_BUNDLE_V03, config: empty, layers: [layer], subject: { mediaType: OCI_MANIFEST, digest, size: 1 } });
}

describe('verifySignatures', () => {
  const pair = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const release = pair();
  const other = pair();
  const authority = new KeyAuthority([trustedKey('release', release.publicKey.export({ type: 'spki', format: 'pem' }))]);

  it.each(['legacy tag', 'referrer', 'bundle'])('accepts a %s signature by a trusted key that names the digest', async (format) => {
    const repo = new MemoryRepo();
    const d = image(repo, 'v1', 'a');
    if (format === 'legacy tag') signLegacy(repo, d, [release.privateKey]);
    else if (format === 'referrer') signReferrer(repo, d, release.privateKey);
    else signBundle(repo, d, release.privateKey);
    const r = await verifySignatures(repo, d, { authority });
    expect(r.signed).toBe(true);
    expect(r.identities).toEqual(['release']);
  });

  it('refuses an unsigned image, a wrong key, a tampered payload and a copied signature, each with its reason', async () => {
    const repo = new MemoryRepo();
    const unsigned = image(repo, 'u', 'u');
    const wrongKey = image(repo, 'w', 'w');
    signReferrer(repo, wrongKey, other.privateKey);
    const tampered = image(repo, 't', 't');
    signBundle(repo, tampered, release.privateKey, tampered, true);
    const a = image(repo, 'a', 'a');
    const b = image(repo, 'b', 'b');
    signLegacy(repo, b, [release.privateKey], a); // A's signed payload, stored as B's signature
    const results = await Promise.all([unsigned, wrongKey, tampered, b].map((d) => verifySignatures(repo, d, { authority })));
    expect(results.map((r) => r.signed)).toEqual([false, false, false, false]);
    expect(results[0].evidence).toEqual([]);
    expect(results[1].evidence.map((e) => e.reason)).toEqual(['no trusted key verifies the signature']);
    expect(results[2].evidence.map((e) => e.reason)).toEqual(['no trusted key verifies the signature']);
    expect(results[3].evidence.map((e) => e.reason)).toEqual([`signed payload names ${a}, not ${b}`]);
  });

  it('counts every layer of a legacy .sig manifest and every referrer', async () => {
    const repo = new MemoryRepo();
    const d = image(repo, 'v1', 'a');
    signLegacy(repo, d, [other.privateKey, release.privateKey]); // the trusted one is the second layer
    signReferrer(repo, d, other.privateKey);
    signBundle(repo, d, other.privateKey);
    const r = await verifySignatures(repo, d, { authority });
    expect(r.signed).toBe(true);
    expect(r.evidence.map((e) => e.verified)).toEqual([false, true, false, false]);
  });

  it('requires minSignatures distinct trusted keys', async () => {
    const repo = new MemoryRepo();
    const d = image(repo, 'v1', 'a');
    signReferrer(repo, d, release.privateKey);
    signBundle(repo, d, release.privateKey);
    const both = new KeyAuthority([trustedKey('release', release.publicKey.export({ type: 'spki', format: 'pem' })), trustedKey('qa', other.publicKey.export({ type: 'spki', format: 'pem' }))]);
    expect((await verifySignatures(repo, d, { authority: both, minSignatures: 2 })).signed).toBe(false);
    signLegacy(repo, d, [other.privateKey]);
    const r = await verifySignatures(repo, d, { authority: both, minSignatures: 2 });
    expect([r.signed, r.identities]).toEqual([true, ['qa', 'release']]);
  });

  it('treats a child as signed when an index in the repository that lists it is signed', async () => {
    const repo = new MemoryRepo();
    const child = image(repo, 'amd64', 'c');
    const lonely = image(repo, 'other', 'o');
    const index = repo.manifest({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_MANIFEST, digest: child, size: 1, platform: { os: 'linux', architecture: 'amd64' } }] }, 'multi');
    signBundle(repo, index, release.privateKey);
    const r = await verifySignatures(repo, child, { authority });
    expect([r.signed, r.evidence.map((e) => e.signedDigest)]).toEqual([true, [index]]);
    expect((await verifySignatures(repo, lonely, { authority })).signed).toBe(false);
  });

  it('fails closed when the repository cannot be read', async () => {
    const repo = new MemoryRepo();
    const d = image(repo, 'v1', 'a');
    repo.listReferrers = async () => {
      throw new Error('storage down');
    };
    const r = await verifySignatures(repo, d, { authority });
    expect([r.signed, r.evidence[0].reason]).toEqual([false, 'verification failed: storage down']);
  });
});
