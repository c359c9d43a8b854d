// Signature verification bound to the digest being pulled. A signature counts
// only when (1) an authority verifies its bytes and (2) its signed payload names
// this digest, or an index in the repository that lists this digest. A
// signature copied from another image passes (1) and fails (2). Every error
// counts as "not signed": the check fails closed.
import { discoverEnvelopes } from './discovery.js';
import type { SignatureAuthority } from './authority.js';
import type { SignatureFormat } from './envelopes.js';
import { parseManifest, type RepositoryReader } from './repository.js';

export interface SignatureEvidence {
  /** 'none' when the repository could not be read at all. */
  readonly format: SignatureFormat | 'none';
  readonly source: string;
  /** The digest whose signatures this came from: the one asked about, or an index listing it. */
  readonly signedDigest: string;
  readonly verified: boolean;
  /** The trusted identity (key name) that made it, when verified. */
  readonly identity?: string;
  readonly reason: string;
}

export interface VerificationResult {
  readonly digest: string;
  /** At least minSignatures distinct trusted identities signed it. */
  readonly signed: boolean;
  readonly identities: readonly string[];
  readonly evidence: readonly SignatureEvidence[];
}

export interface VerifyOptions {
  readonly authority: SignatureAuthority;
  readonly minSignatures?: number;
  /** Bound on the tagged manifests read when looking for indexes that list the digest. */
  readonly maxIndexesScanned?: number;
}

async function evidenceFor(repo: RepositoryReader, signedDigest: string, authority: SignatureAuthority): Promise<SignatureEvidence[]> {
  const out: SignatureEvidence[] = [];
  for (const env of await discoverEnvelopes(repo, signedDigest)) {
    const base = { format: env.format, source: env.source, signedDigest };
    if (env.error) {
      out.push({ ...base, verified: false, reason: env.error });
      continue;
    }
    if (!env.signatures.length) out.push({ ...base, verified: false, reason: 'no signature in envelope' });
    for (const sig of env.signatures) {
      const identity = authority.identify(env, sig);
      if (!identity) out.push({ ...base, verified: false, reason: 'no trusted key verifies the signature' });
      else if (!env.subjects.includes(signedDigest)) {
        out.push({ ...base, verified: false, identity, reason: `signed payload names ${env.subjects.join(', ') || 'no image'}, not ${signedDigest}` });
      } else out.push({ ...base, verified: true, identity, reason: 'verified' });
    }
  }
  return out;
}

/** Indexes in the repository that list `digest` as a child. */
async function parentIndexes(repo: RepositoryReader, digest: string, max: number): Promise<string[]> {
  if (repo.indexesListing) return [...(await repo.indexesListing(digest))];
  const parents = new Set<string>();
  let scanned = 0;
  for (const tag of await repo.listTags()) {
    if (/^sha256-[0-9a-f]{64}(\.\w+)?$/.test(tag)) continue; // cosign's signature/attestation/SBOM tags
    if (++scanned > max) break;
    const m = await repo.getManifest(tag);
    if (!m) continue;
    const parsed = parseManifest(m);
    if (parsed.manifests?.some((d) => d.digest === digest)) parents.add(m.digest);
  }
  return [...parents];
}

export async function verifySignatures(repo: RepositoryReader, digest: string, options: VerifyOptions): Promise<VerificationResult> {
  const min = Math.max(1, options.minSignatures ?? 1);
  const evidence: SignatureEvidence[] = [];
  const identities = new Set<string>();
  const collect = (list: SignatureEvidence[]) => {
    evidence.push(...list);
    for (const e of list) if (e.verified && e.identity) identities.add(e.identity);
  };
  try {
    collect(await evidenceFor(repo, digest, options.authority));
    if (identities.size < min) {
      for (const parent of await parentIndexes(repo, digest, options.maxIndexesScanned ?? 256)) {
        collect(await evidenceFor(repo, parent, options.authority));
        if (identities.size >= min) break;
      }
    }
  } catch (err) {
    evidence.push({ format: 'none', source: '', signedDigest: digest, verified: false, reason: `verification failed: ${(err as Error).message}` });
    return { digest, signed: false, identities: [], evidence };
  }
  return { digest, signed: identities.size >= min, identities: [...identities].sort(), evidence };
}
