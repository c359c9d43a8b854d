// Who a verified federated token speaks for. Policy rules match `issuer`, `subject`
// and `claims`; `audit` (pod name and uid, run ids) goes to the audit log only.

export interface FederatedPrincipal {
  /** The auth.federation issuer's `name`. */
  readonly issuer: string;
  /** `system:serviceaccount:<ns>:<sa>`, or the OIDC subject claim. */
  readonly subject: string;
  /** What rules may match: string claims of the token (null prototype; never inherited keys). */
  readonly claims: Readonly<Record<string, string>>;
  /** Extra facts for the audit log. */
  readonly audit: Readonly<Record<string, string>>;
  /** Epoch ms after which the identity must not be used: the token's `exp`, or sooner after a TokenReview. */
  readonly validUntil: number;
}

/** A record without a prototype, so a claim named `constructor` or `__proto__` is just a claim. */
export function claimRecord(entries: Iterable<readonly [string, string]>): Record<string, string> {
  const record = Object.create(null) as Record<string, string>;
  for (const [k, v] of entries) record[k] = v;
  return record;
}
