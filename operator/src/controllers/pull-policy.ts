// Pull policies as the registry reads them, from the CRDs' shape (durations as
// strings): a Repository's spec.security (the config's repositories[].security)
// and an AccessPolicy's spec.pullPolicy (its policy-file rule). Checked with the
// registry's own schemas, and against the Registry's trusted keys: a policy naming
// a key the Registry does not trust is refused here rather than rendered.
import { pullPolicySchema, repositorySecuritySchema, type PullPolicy, type RepositorySecurity } from '#contract/config/security.js';
import type { z } from 'zod';
import { parseDurationSeconds } from '../api/duration.js';
import type { PullPolicySpec, RepositorySecuritySpec } from '../api/types.js';
import { TerminalError } from '../runtime/errors.js';

type PullPolicyInput = z.input<typeof pullPolicySchema>;

function pullPolicyInput(spec: PullPolicySpec, field: string): PullPolicyInput {
  const out: PullPolicyInput = {};
  const pv = spec.preventVulnerable;
  if (pv) {
    let wait: number | undefined;
    if (pv.maxPendingScan !== undefined) {
      try {
        wait = parseDurationSeconds(pv.maxPendingScan);
      } catch (err) {
        throw new TerminalError(`${field}.preventVulnerable.maxPendingScan: ${(err as Error).message}`);
      }
    }
    out.preventVulnerable = {
      ...(pv.severity ? { severity: pv.severity } : {}),
      ...(pv.mode ? { mode: pv.mode } : {}),
      ...(pv.pendingScan ? { pendingScan: pv.pendingScan } : {}),
      ...(wait !== undefined ? { maxPendingScanSeconds: wait } : {}),
    };
  }
  const rs = spec.requireSignature;
  if (rs) out.requireSignature = { keys: [...rs.keys], ...(rs.minSignatures !== undefined ? { minSignatures: rs.minSignatures } : {}), ...(rs.mode ? { mode: rs.mode } : {}) };
  return out;
}

function checked<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, input: unknown, field: string, trustKeys: readonly string[]): T {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw new TerminalError(`${field}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  const keys = (parsed.data as PullPolicy).requireSignature?.keys ?? [];
  const unknown = keys.filter((k) => !trustKeys.includes(k));
  if (unknown.length) throw new TerminalError(`${field}.requireSignature.keys: ${unknown.join(', ')} not among the Registry's spec.security.trust.keys`);
  return parsed.data;
}

/** An AccessPolicy's spec.pullPolicy as its policy-file rule carries it. */
export function pullPolicyRule(spec: PullPolicySpec, trustKeys: readonly string[]): PullPolicy {
  return checked(pullPolicySchema, pullPolicyInput(spec, 'spec.pullPolicy'), 'spec.pullPolicy', trustKeys);
}

/** A Repository's spec.security as the config's repositories[].security (allowlist included). */
export function repositorySecurity(spec: RepositorySecuritySpec, trustKeys: readonly string[]): RepositorySecurity {
  const input = {
    ...pullPolicyInput(spec, 'spec.security'),
    cveAllowlist: (spec.cveAllowlist ?? []).map((e) => ({ id: e.id, ...(e.expires ? { expires: e.expires } : {}), ...(e.reason ? { reason: e.reason } : {}) })),
  };
  return checked(repositorySecuritySchema, input, 'spec.security', trustKeys);
}
