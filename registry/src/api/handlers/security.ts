// The supply-chain API (/v2/…/_berth/…: no repository name component starts with "_"):
//   GET  /v2/<name>/_berth/vulnerabilities/<digest>[?minSeverity=]  Harbor report v1.1 (`notApplicable` for what is not
//                                                                   an image), or 202 + Retry-After while pending
//   GET  /v2/<name>/_berth/signatures/<digest>                      each signature found, verified against the trusted keys
//   POST /v2/<name>/_berth/scan/<digest>                            queues a scan (push scope), 202
//   GET  /v2/_berth/security/status                                 scanning, the database in use, the queue, the keys
import { SEVERITY_LEVELS, type Severity } from '#contract/config/security.js';
import { Code, RegistryError } from '../../errors.js';
import { INDEXER } from '../../security/inventory/model.js';
import { HARBOR_REPORT_MEDIA_TYPE, toHarborReport } from '../../security/osv/harbor-report.js';
import { parseDigest } from '../../reference.js';
import { send, sendJSON, type Ctx } from './context.js';

/** What a client waits before asking again for a pending report. */
const RETRY_AFTER_SECONDS = 5;

async function manifestOf(ctx: Ctx): Promise<{ digest: string; mediaType: string }> {
  const digest = parseDigest(ctx.params.digest);
  if (!digest) throw new RegistryError(Code.DIGEST_INVALID, { digest: ctx.params.digest });
  const { meta } = await ctx.services.storage.manifests.resolve(ctx.repo, digest.value);
  return { digest: digest.value, mediaType: meta.mediaType };
}

function minSeverityOf(ctx: Ctx): Severity | undefined {
  const raw = ctx.query.get('minSeverity');
  if (raw === null || raw === '') return undefined;
  const found = SEVERITY_LEVELS.find((s) => s.toLowerCase() === raw.toLowerCase());
  if (!found) throw new RegistryError(Code.PARAMETER_INVALID, { minSeverity: raw, expected: SEVERITY_LEVELS }, {}, `invalid minSeverity ${raw}`);
  return found;
}

function pending(ctx: Ctx, body: Record<string, unknown>): void {
  sendJSON(ctx.res, 202, body, { 'Retry-After': String(RETRY_AFTER_SECONDS) });
}

export async function getVulnerabilities(ctx: Ctx): Promise<void> {
  const minSeverity = minSeverityOf(ctx);
  const { digest, mediaType } = await manifestOf(ctx);
  const { scans } = await ctx.services.security.load();
  const result = await scans.result(digest);
  if (!result) {
    // Not an image (a signature, an SBOM, a chart): nothing to wait for, database or not.
    const reason = await scans.notApplicable(digest);
    if (reason) {
      send(ctx.res, 200, { 'Content-Type': HARBOR_REPORT_MEDIA_TYPE, 'X-Berth-Scan-Status': 'not-applicable' }, JSON.stringify({
        ...toHarborReport([], { repository: ctx.repo, digest, mediaType, scannerVersion: INDEXER, dbDigest: '', generatedAt: new Date(), minSeverity }),
        notApplicable: reason,
      }));
      return;
    }
  }
  if (!result || result.status === 'failed') {
    // Asked for: it goes ahead of pushes in the queue.
    const queued = scans.request(ctx.repo, digest, 'api');
    const status = await scans.status();
    pending(ctx, {
      status: result ? 'failed' : 'pending', digest, scan: queued,
      ...(result?.reason ? { reason: result.reason } : {}),
      ...(!status.enabled ? { reason: 'scanning is disabled (security.scanning.enabled)' } : {}),
      ...(!status.resultKey ? { vulnDB: status.vulnDB.state, vulnDBReason: status.vulnDB.reason } : {}),
    });
    return;
  }
  const report = toHarborReport(result.report?.findings ?? [], {
    repository: ctx.repo, digest, mediaType, scannerVersion: `${result.report?.backend ?? 'builtin'} (${INDEXER})`, dbDigest: result.key,
    generatedAt: new Date(result.updatedAt), minSeverity,
  });
  send(ctx.res, 200, { 'Content-Type': HARBOR_REPORT_MEDIA_TYPE, 'X-Berth-Scan-Status': result.status, 'X-Berth-Vulndb-Digest': result.key },
    JSON.stringify(result.status === 'unsupported' ? { ...report, unsupported: result.reason }
      : result.status === 'not-applicable' ? { ...report, notApplicable: result.reason } : report));
}

export async function getSignatures(ctx: Ctx): Promise<void> {
  const { digest } = await manifestOf(ctx);
  const security = await ctx.services.security.load();
  // The keys the repository's policies name, else every configured trusted key.
  const required = security.settings.securityRules(ctx.repo).flatMap((r) => r.rule.requireSignature?.keys ?? []);
  const keys = [...new Set(required.length ? required : security.trust.names().map((k) => k.name))];
  if (!keys.length) {
    sendJSON(ctx.res, 200, { digest, keys: [], signed: false, reason: 'no trusted keys are configured (security.trust.keys)', signatures: [] });
    return;
  }
  const verdict = await security.signatures.verdict(ctx.repo, digest, { keys, minSignatures: 1 });
  sendJSON(ctx.res, 200, {
    digest, keys, signed: verdict.signed, ...(verdict.reason ? { reason: verdict.reason } : {}), signers: verdict.result.identities,
    signatures: verdict.result.evidence.map((e) => ({ format: e.format, source: e.source, signedDigest: e.signedDigest, verified: e.verified, key: e.identity, reason: e.reason })),
  });
}

export async function postScan(ctx: Ctx): Promise<void> {
  const { digest } = await manifestOf(ctx);
  const { scans } = await ctx.services.security.load();
  if (!scans.isEnabled) throw new RegistryError(Code.UNSUPPORTED, { reason: 'scanning is disabled (security.scanning.enabled)' }, {}, 'scanning is disabled');
  const offer = scans.request(ctx.repo, digest, 'api');
  if (offer === 'dropped') throw new RegistryError(Code.TOOMANYREQUESTS, { reason: 'the scan queue is full' }, { 'Retry-After': String(RETRY_AFTER_SECONDS) });
  sendJSON(ctx.res, 202, { digest, scan: offer });
}

export async function getSecurityStatus(ctx: Ctx): Promise<void> {
  const { scans, trust } = await ctx.services.security.load();
  sendJSON(ctx.res, 200, { scanning: await scans.status(), trust: { keys: trust.names() } });
}
