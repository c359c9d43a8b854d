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

/** The fields the CRDs define, by object; anything else was meant as something this operator would not enforce. */
const KNOWN_FIELDS: Record<string, readonly string[]> = {
  preventVulnerable: ['severity', 'mode', 'pendingScan', 'maxPendingScan'],
  requireSignature: ['keys', 'minSignatures', 'mode'],
  cveAllowlist: ['id', 'expires', 'reason'],
};

/**
 * Refuses a field the CRD does not define (the API server prunes them, unless the
 * CRD installed keeps unknown fields): a misspelt `requireSignatures` must not
 * silently become "no policy".
 */
function refuseUnknownFields(spec: object, top: readonly string[], field: string): void {
  const unknown: string[] = Object.keys(spec).filter((k) => !top.includes(k)).map((k) => `${field}.${k}`);
  for (const [name, known] of Object.entries(KNOWN_FIELDS)) {
    const value = (spec as Record<string, unknown>)[name];
    if (!top.includes(name) || value === undefined || value === null) continue;
    const items: (readonly [string, unknown])[] = Array.isArray(value) ? (value as unknown[]).map((v, i) => [`${name}[${i}]`, v] as const) : [[name, value] as const];
    for (const [path, item] of items) {
      if (typeof item !== 'object' || item === null) continue;
      unknown.push(...Object.keys(item).filter((k) => !known.includes(k)).map((k) => `${field}.${path}.${k}`));
    }
  }
  if (unknown.length) throw new TerminalError(`${unknown.join(', ')}: unknown field${unknown.length > 1 ? 's' : ''}`);
}

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
  refuseUnknownFields(spec, ['preventVulnerable', 'requireSignature'], 'spec.pullPolicy');
  return checked(pullPolicySchema, pullPolicyInput(spec, 'spec.pullPolicy'), 'spec.pullPolicy', trustKeys);
}

/** A Repository's spec.security as the config's repositories[].security (allowlist included). */
export function repositorySecurity(spec: RepositorySecuritySpec, trustKeys: readonly string[]): RepositorySecurity {
  refuseUnknownFields(spec, ['preventVulnerable', 'requireSignature', 'cveAllowlist'], 'spec.security');
  const input = {
    ...pullPolicyInput(spec, 'spec.security'),
    cveAllowlist: (spec.cveAllowlist ?? []).map((e) => ({ id: e.id, ...(e.expires ? { expires: e.expires } : {}), ...(e.reason ? { reason: e.reason } : {}) })),
  };
  return checked(repositorySecuritySchema, input, 'spec.security', trustKeys);
}
