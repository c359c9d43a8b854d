// Pull policies, decided on manifest GET and HEAD. The policies that apply are
// the repository's (`repositories[].security`) and the credential's (a
// policy-file rule's `pullPolicy`). Not subject to any:
//   - credentials that may push to the repository, the admin and the scanner
//     (so `cosign sign`, pushes and scans keep working on a protected repository);
//   - signatures, SBOMs, attestations and other referrers (`cosign verify`,
//     `oras discover` keep working), cosign's sha256-<hex>.sig/.att/.sbom tags,
//     and anything that is not a container image or an index.
// Enforce refuses with 403 DENIED and the reason; Audit lets the pull through
// and counts it. A scan in progress is waited for at most maxPendingScanSeconds,
// then pendingScan decides: a stalled scanner never holds a pull longer.
// `denyAll` (what the operator renders for a policy it cannot render) refuses
// every gated pull, whatever its mode would have been.
import type { PreventVulnerable, RequireSignature, RepositorySecurity } from '#contract/config/security.js';
import type { Grant } from '../auth/access.js';
import { Code, hasCode, RegistryError } from '../errors.js';
import type { Logger } from '../log.js';
import { INDEXES } from '../manifest/media-types.js';
import type { Metrics } from '../metrics/metrics.js';
import type { RepositorySettings } from '../policy/repository-settings.js';
import type { ScanService } from '../scanning/scan-service.js';
import { scanTargetOf } from '../scanning/scan-target.js';
import { Allowlist } from './allowlist.js';
import { applicablePolicies } from './applicable.js';
import type { SignatureVerdicts } from './signature-verdicts.js';
import { describeBlocking, judgeVulnerabilities } from './vulnerability-policy.js';

export interface PulledManifest {
  readonly repo: string;
  /** The reference as requested (tag or digest). */
  readonly reference: string;
  readonly digest: string;
  readonly mediaType: string;
  readonly artifactType?: string;
  readonly subject?: string;
  /** The manifest's body: what decides whether a manifest that looks exempt could be run. */
  readonly body: () => Promise<Buffer>;
}

type PolicyName = 'preventVulnerable' | 'requireSignature' | 'denyAll';

interface Applicable<P> {
  readonly source: string;
  readonly policy: P;
}

const COSIGN_TAG = /^sha256-[0-9a-f]{64}(\.[a-z]+)?$/;
const IMAGE_CONFIGS = new Set(['application/vnd.oci.image.config.v1+json', 'application/vnd.docker.container.image.v1+json']);

export class PullGate {
  constructor(
    private readonly settings: RepositorySettings,
    private readonly scans: ScanService,
    private readonly signatures: SignatureVerdicts,
    private readonly metrics: Metrics,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Resolves when the pull may proceed; throws DENIED with the reason otherwise. */
  async check(pulled: PulledManifest, grant: Grant | undefined): Promise<void> {
    const { repoRules, credential, any } = applicablePolicies(this.settings, pulled.repo, grant);
    if (!any) return;
    const exempt = credential.exempt();

    const signature: Applicable<RequireSignature>[] = [];
    const vulnerable: Applicable<PreventVulnerable>[] = [];
    const collect = (source: string, p: Pick<RepositorySecurity, 'requireSignature' | 'preventVulnerable'>) => {
      if (p.requireSignature) signature.push({ source, policy: p.requireSignature });
      if (p.preventVulnerable) vulnerable.push({ source, policy: p.preventVulnerable });
    };
    for (const r of repoRules) collect(`repository ${r.match}`, r.rule);
    if (!exempt) for (const c of credential.policies) collect(`credential rule ${c.source}`, c.policy);

    const denials = repoRules.flatMap((r) => (r.rule.denyAll ? [{ source: `repository ${r.match}`, reason: r.rule.denyAll.reason }] : []));
    if (exempt || !(await this.subjectToPolicies(pulled))) {
      const names = [...(denials.length ? ['denyAll' as const] : []), ...(signature.length ? ['requireSignature' as const] : []), ...(vulnerable.length ? ['preventVulnerable' as const] : [])];
      for (const name of names) this.metrics.policyDecisions.inc({ policy: name, result: 'exempt' });
      return;
    }
    if (denials.length) this.enforce(pulled, 'denyAll', denials[0].source, 'Enforce', denials[0].reason);
    for (const s of signature) await this.failClosed(pulled, 'requireSignature', s, () => this.checkSignature(pulled, s));
    if (vulnerable.length) {
      const allowlist = new Allowlist(repoRules.flatMap((r) => r.rule.cveAllowlist));
      await this.failClosed(pulled, 'preventVulnerable', vulnerable[0], () => this.checkVulnerabilities(pulled, vulnerable, allowlist));
    }
  }

  /** A policy that cannot be evaluated (storage or index failing, a corrupt signature store) refuses, never lets through. */
  private async failClosed(pulled: PulledManifest, policy: PolicyName, applicable: Applicable<{ mode: 'Enforce' | 'Audit' }>, evaluate: () => Promise<void>): Promise<void> {
    try {
      await evaluate();
    } catch (err) {
      if (hasCode(err, Code.DENIED)) throw err;
      this.log.warn({ msg: 'pull policy could not be evaluated', repo: pulled.repo, digest: pulled.digest, policy, err: (err as Error).message });
      this.enforce(pulled, policy, applicable.source, applicable.policy.mode, `the policy could not be evaluated: ${(err as Error).message}`);
    }
  }

  private async checkSignature(pulled: PulledManifest, s: Applicable<RequireSignature>): Promise<void> {
    const verdict = await this.signatures.verdict(pulled.repo, pulled.digest, s.policy);
    if (verdict.signed) return this.decided('requireSignature', 'allow');
    this.enforce(pulled, 'requireSignature', s.source, s.policy.mode, verdict.reason ?? 'not signed');
  }

  private async checkVulnerabilities(pulled: PulledManifest, policies: Applicable<PreventVulnerable>[], allowlist: Allowlist): Promise<void> {
    const started = this.now();
    let result = await this.scans.result(pulled.digest);
    if (!result && this.scans.isEnabled) this.scans.request(pulled.repo, pulled.digest, 'pull');
    // Shortest wait first: each policy waits no longer than its own maxPendingScanSeconds from the start of the pull.
    for (const p of [...policies].sort((a, b) => a.policy.maxPendingScanSeconds - b.policy.maxPendingScanSeconds)) {
      const left = p.policy.maxPendingScanSeconds * 1000 - (this.now() - started);
      if ((!result || result.status === 'failed') && left > 0 && this.scans.pending(pulled.digest)) {
        await this.scans.waitFor(pulled.digest, left);
        result = await this.scans.result(pulled.digest);
      }
      const verdict = judgeVulnerabilities(result, p.policy, allowlist, this.now());
      if (verdict.state === 'pass') {
        this.decided('preventVulnerable', 'allow');
      } else if (verdict.state === 'fail') {
        this.enforce(pulled, 'preventVulnerable', p.source, p.policy.mode, describeBlocking(verdict.blocking, p.policy));
      } else if (p.policy.pendingScan === 'Allow') {
        this.decided('preventVulnerable', 'pending');
        this.log.warn({ msg: 'pull allowed without a scan result', repo: pulled.repo, digest: pulled.digest, reason: verdict.reason, policy: p.source });
      } else {
        this.enforce(pulled, 'preventVulnerable', p.source, p.policy.mode, `${verdict.reason} (pendingScan: Deny)`);
      }
    }
  }

  private enforce(pulled: PulledManifest, policy: PolicyName, source: string, mode: 'Enforce' | 'Audit', reason: string): void {
    if (mode === 'Audit') {
      this.decided(policy, 'audit');
      this.log.warn({ msg: 'pull would be refused (audit)', repo: pulled.repo, reference: pulled.reference, digest: pulled.digest, policy, source, reason });
      return;
    }
    this.decided(policy, 'deny');
    this.log.info({ msg: 'pull refused', repo: pulled.repo, reference: pulled.reference, digest: pulled.digest, policy, source, reason });
    const message = `pull of ${pulled.repo}@${pulled.digest} refused by ${policy} (${source}): ${reason}`;
    throw new RegistryError(Code.DENIED, { policy, source, digest: pulled.digest, reason }, { Warning: `299 - ${JSON.stringify(message.slice(0, 900)).replace(/[^\x20-\x7e]/g, '?')}` }, message);
  }

  /**
   * By what the index says first. A manifest that looks exempt (a referrer, an
   * artifact type other than an image, a cosign tag) is exempt only when a runtime
   * could not run it, which its body decides (scanning/scan-target.ts): an image
   * pushed with a `subject` or an SBOM's artifactType would otherwise escape every
   * policy, since runtimes ignore both. A body that cannot be read keeps it gated.
   */
  private async subjectToPolicies(pulled: PulledManifest): Promise<boolean> {
    if (isSubjectToPolicies(pulled)) return true;
    if (INDEXES.has(pulled.mediaType)) return false; // its platform images are gated when pulled
    try {
      return scanTargetOf(await pulled.body()).kind === 'image';
    } catch (err) {
      this.log.warn({ msg: 'manifest body unreadable; the pull stays subject to policies', repo: pulled.repo, digest: pulled.digest, err: (err as Error).message });
      return true;
    }
  }

  private decided(policy: PolicyName, result: 'allow' | 'deny' | 'audit' | 'pending' | 'exempt'): void {
    this.metrics.policyDecisions.inc({ policy, result });
  }
}

/** Container images and indexes are; signatures, SBOMs, other referrers and other artifacts are not. */
export function isSubjectToPolicies(m: Pick<PulledManifest, 'reference' | 'mediaType' | 'artifactType' | 'subject'>): boolean {
  if (m.subject || COSIGN_TAG.test(m.reference)) return false;
  if (INDEXES.has(m.mediaType)) return m.artifactType === undefined;
  return m.artifactType !== undefined && IMAGE_CONFIGS.has(m.artifactType);
}
