// A repository's supply-chain summary for the admin API (what the operator's
// Repository.status.security shows): the vulnerability summary of its tagged
// images, how many tags lack a trusted signature, and the database in use.
// Signatures are checked against the keys the repository's policies name, else
// every configured trusted key; with no key at all, unsigned tags are not counted.
import type { RepositoryVulnerabilities } from '../scanning/vulnerability-summary.js';
import type { LoadedSupplyChain } from '../supply-chain.js';

export interface RepositorySecuritySummary extends RepositoryVulnerabilities {
  readonly signatures: { readonly keys: readonly string[]; readonly unsignedTags?: number };
  readonly vulnDB: { readonly state: string; readonly digest?: string; readonly ageSeconds?: number; readonly stale: boolean; readonly reason?: string };
}

export async function repositorySecuritySummary(security: LoadedSupplyChain, repo: string): Promise<RepositorySecuritySummary> {
  const summary = await security.scans.repositoryVulnerabilities(repo);
  const required = security.settings.securityRules(repo).flatMap((r) => r.rule.requireSignature?.keys ?? []);
  const keys = [...new Set(required.length ? required : security.trust.names().filter((k) => k.usable).map((k) => k.name))].sort();
  let unsignedTags: number | undefined;
  if (keys.length) {
    unsignedTags = 0;
    for (const image of summary.images) {
      const verdict = await security.signatures.verdict(repo, image.digest, { keys, minSignatures: 1 });
      if (!verdict.signed) unsignedTags += image.tags.length;
    }
  }
  const db = security.scans.vulndb.status();
  return {
    ...summary,
    signatures: { keys, ...(unsignedTags !== undefined ? { unsignedTags } : {}) },
    vulnDB: { state: db.state, stale: db.stale, ...(db.digest ? { digest: db.digest } : {}), ...(db.ageSeconds !== undefined ? { ageSeconds: db.ageSeconds } : {}), ...(db.reason ? { reason: db.reason } : {}) },
  };
}
