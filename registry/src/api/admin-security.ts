// A repository's supply-chain summary for the admin API (what the operator's
// Repository.status.security shows): the vulnerability summary of its tagged
// images, how many tags lack a trusted signature, and the database in use.
// Signatures are checked against the keys the repository's policies name, else
// every configured trusted key; with no key at all, unsigned tags are not counted.
// Each image lists the keys whose signature verified (`signers`), so a reader can
// hold it to a requireSignature.minSignatures above 1.
import type { RepositoryVulnerabilities, TaggedImage } from '../scanning/vulnerability-summary.js';
import type { LoadedSupplyChain } from '../supply-chain.js';

export interface SummarizedImage extends TaggedImage {
  /** Distinct checked keys with a verified signature bound to the digest (or to an index listing it); absent without keys. */
  readonly signers?: readonly string[];
}

export interface RepositorySecuritySummary extends Omit<RepositoryVulnerabilities, 'images'> {
  readonly images: readonly SummarizedImage[];
  readonly signatures: { readonly keys: readonly string[]; readonly unsignedTags?: number };
  readonly vulnDB: { readonly state: string; readonly digest?: string; readonly ageSeconds?: number; readonly stale: boolean; readonly reason?: string };
}

export async function repositorySecuritySummary(security: LoadedSupplyChain, repo: string): Promise<RepositorySecuritySummary> {
  const summary = await security.scans.repositoryVulnerabilities(repo);
  const required = security.settings.securityRules(repo).flatMap((r) => r.rule.requireSignature?.keys ?? []);
  const keys = [...new Set(required.length ? required : security.trust.names().filter((k) => k.usable).map((k) => k.name))].sort();
  let unsignedTags: number | undefined;
  const images: SummarizedImage[] = [];
  if (keys.length) {
    unsignedTags = 0;
    for (const image of summary.images) {
      // As many signatures as there are keys: the verifier then stops at none of them (nor at the
      // image's own signatures before the indexes listing it), so every signer is counted.
      const verdict = await security.signatures.verdict(repo, image.digest, { keys, minSignatures: keys.length });
      const signers = verdict.result.identities;
      if (!signers.length) unsignedTags += image.tags.length;
      images.push({ ...image, signers });
    }
  } else images.push(...summary.images);
  const db = security.scans.vulndb.status();
  return {
    ...summary,
    images,
    signatures: { keys, ...(unsignedTags !== undefined ? { unsignedTags } : {}) },
    vulnDB: { state: db.state, stale: db.stale, ...(db.digest ? { digest: db.digest } : {}), ...(db.ageSeconds !== undefined ? { ageSeconds: db.ageSeconds } : {}), ...(db.reason ? { reason: db.reason } : {}) },
  };
}
