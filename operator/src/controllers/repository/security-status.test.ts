import { repositorySecuritySchema } from '#contract/config/security.js';
import type { RepositorySecurityReport } from './admin-client.js';
import { securityConditions, securityFigures, type SecurityObservation } from './security-status.js';

const NOW = Date.parse('2026-12-06T12:00:00Z');
const report: RepositorySecurityReport = {
  counts: { Critical: 1, High: 2, Medium: 1 }, tags: 3, scannedTags: 3, lastMatch: '2026-12-06T11:00:00.123Z', database: 'sha256:db',
  top: [{ id: 'CVE-1', severity: 'Critical', package: 'busybox@1.36.1-r28', tags: ['v1'] }],
  images: [
    { digest: 'sha256:a', tags: ['v1'], scanned: true, vulnerabilities: [{ id: 'CVE-1', severity: 'Critical' }, { id: 'CVE-2', severity: 'High' }], signers: ['release'] },
    { digest: 'sha256:b', tags: ['v2', 'latest'], scanned: true, vulnerabilities: [{ id: 'CVE-3', severity: 'High' }, { id: 'CVE-4', severity: 'Medium' }], signers: [] },
  ],
  signatures: { keys: ['release'], unsignedTags: 2 },
  vulnDB: { state: 'ready', digest: 'sha256:db', ageSeconds: 7200, stale: false },
};
const obs = (o: Partial<SecurityObservation>): SecurityObservation => ({ scanningEnabled: true, report, now: NOW, ...o });
const byType = (o: SecurityObservation) => Object.fromEntries(securityConditions(o).map((c) => [c.type, c]));
const policy = (p: unknown) => repositorySecuritySchema.parse(p);

describe('Repository.status.security', () => {
  it('figures from the summary', () => {
    expect(securityFigures(report)).toEqual({
      critical: 1, high: 2, tags: 3, scannedTags: 3, unsignedTags: 2, vulnDBDigest: 'sha256:db', lastMatchTime: '2026-12-06T11:00:00Z',
      topVulnerabilities: [{ id: 'CVE-1', severity: 'Critical', package: 'busybox@1.36.1-r28', tags: ['v1'] }],
    });
    expect(securityFigures(undefined)).toEqual({ critical: 0, high: 0, tags: 0, scannedTags: 0, topVulnerabilities: [] });
  });

  it('Scanned: all tags, some, none to scan, or scanning off', () => {
    expect(byType(obs({})).Scanned).toMatchObject({ status: 'True', reason: 'AllScanned', message: '3 of 3 tag(s) scanned against database sha256:db' });
    expect(byType(obs({ report: { ...report, scannedTags: 1 } })).Scanned).toMatchObject({ status: 'False', reason: 'ScanPending' });
    expect(byType(obs({ report: undefined })).Scanned).toMatchObject({ status: 'True', reason: 'NothingToScan' });
    expect(byType(obs({ scanningEnabled: false })).Scanned).toMatchObject({ status: 'False', reason: 'ScanningDisabled' });
    expect(byType(obs({ unreachable: 'connect ECONNREFUSED', report: undefined })).Scanned).toMatchObject({ status: 'Unknown', reason: 'RegistryUnreachable' });
  });

  it('VulnDBFresh: fresh, stale, refused for its signature, none', () => {
    expect(byType(obs({})).VulnDBFresh).toMatchObject({ status: 'True', reason: 'Fresh', message: 'database sha256:db, 2h old' });
    expect(byType(obs({ report: { ...report, vulnDB: { ...report.vulnDB, stale: true } } })).VulnDBFresh).toMatchObject({ status: 'False', reason: 'Stale' });
    expect(byType(obs({ report: { ...report, vulnDB: { state: 'untrusted', stale: false, reason: 'sha256:x: not signed by db' } } })).VulnDBFresh)
      .toMatchObject({ status: 'False', reason: 'Untrusted', message: 'a database was refused for its signature: sha256:x: not signed by db' });
    expect(byType(obs({ report: { ...report, vulnDB: { state: 'none', stale: false } } })).VulnDBFresh).toMatchObject({ status: 'False', reason: 'NoDatabase' });
  });

  it('PolicyCompliant: no policy, unsigned tags, advisories at or above the threshold, the allowlist and its expiry', () => {
    expect(byType(obs({})).PolicyCompliant).toMatchObject({ status: 'True', reason: 'NoPolicy' });
    expect(byType(obs({ policy: policy({ requireSignature: { keys: ['release'] } }) })).PolicyCompliant)
      .toMatchObject({ status: 'False', reason: 'Violations', message: '2 of 3 tag(s) not signed by release' });
    expect(byType(obs({ policy: policy({ preventVulnerable: { severity: 'Critical' } }) })).PolicyCompliant)
      .toMatchObject({ status: 'False', reason: 'Violations', message: 'Critical or worse in v1 (CVE-1)' });
    expect(byType(obs({ policy: policy({ preventVulnerable: { severity: 'High' } }) })).PolicyCompliant.message).toBe('High or worse in v1 (CVE-1, CVE-2), v2,latest (CVE-3)');
    // Allowlisted: compliant; an expired entry no longer counts.
    const allow = (expires: string) => policy({ preventVulnerable: { severity: 'Critical' }, cveAllowlist: [{ id: 'CVE-1', expires }] });
    expect(byType(obs({ policy: allow('2026-12-06') })).PolicyCompliant).toMatchObject({ status: 'True', reason: 'Compliant' });
    expect(byType(obs({ policy: allow('2026-12-05') })).PolicyCompliant).toMatchObject({ status: 'False', reason: 'Violations' });
    // Not all scanned and nothing found yet: unknown, not compliant.
    expect(byType(obs({ policy: policy({ preventVulnerable: { severity: 'Critical' } }), report: { ...report, scannedTags: 2, images: [] } })).PolicyCompliant)
      .toMatchObject({ status: 'Unknown', reason: 'ScanPending' });
  });

  describe('PolicyCompliant counts the verified signers of each image against requireSignature.minSignatures', () => {
    const signed = (a: string[] | undefined, b: string[] | undefined): RepositorySecurityReport => ({
      ...report, signatures: { keys: ['release', 'second'], unsignedTags: 0 },
      images: report.images.map((i, n) => ({ ...i, signers: n === 0 ? a : b })),
    });
    const two = policy({ requireSignature: { keys: ['release', 'second'], minSignatures: 2 } });

    it('one verified signature when two are required: not compliant, naming the tags and their count', () => {
      expect(byType(obs({ policy: two, report: signed(['release'], ['release', 'second']) })).PolicyCompliant)
        .toMatchObject({ status: 'False', reason: 'Violations', message: '1 of 3 tag(s) have fewer than 2 signatures by release, second: v1 (1)' });
    });

    it('two distinct signers on every image: compliant', () => {
      expect(byType(obs({ policy: two, report: signed(['release', 'second'], ['release', 'second']) })).PolicyCompliant)
        .toMatchObject({ status: 'True', reason: 'Compliant' });
    });

    it('a signer outside the policy\'s keys does not count', () => {
      const release = policy({ requireSignature: { keys: ['release'], minSignatures: 1 } });
      expect(byType(obs({ policy: release, report: signed(['release'], ['second']) })).PolicyCompliant)
        .toMatchObject({ status: 'False', reason: 'Violations', message: '2 of 3 tag(s) not signed by release' });
      expect(byType(obs({ policy: two, report: signed(['release', 'other'], ['release', 'second']) })).PolicyCompliant.message).toContain('v1 (1)');
    });

    it('signers not reported for an image: not compliant (fail closed), whatever unsignedTags says', () => {
      expect(byType(obs({ policy: two, report: signed(['release', 'second'], undefined) })).PolicyCompliant)
        .toMatchObject({ status: 'False', reason: 'SignersUnknown', message: 'the registry did not report which keys signed 2 of 3 tag(s): they cannot be shown to meet requireSignature' });
      // Tags the summary lists no image for are unknown too.
      expect(byType(obs({ policy: two, report: { ...signed(['release', 'second'], ['release', 'second']), tags: 4 } })).PolicyCompliant)
        .toMatchObject({ status: 'False', reason: 'SignersUnknown' });
      // Beside a real violation, both are said.
      expect(byType(obs({ policy: two, report: signed(['release'], undefined) })).PolicyCompliant)
        .toMatchObject({ status: 'False', reason: 'Violations', message: '1 of 3 tag(s) have fewer than 2 signatures by release, second: v1 (1); the registry did not report which keys signed 2 of 3 tag(s)' });
    });
  });

  it('PolicyCompliant: a policy rendered as a refusal (invalid spec.security) is never compliant', () => {
    const denied = policy({ denyAll: { reason: 'Repository apps/prod-app: spec.security: preventVulnerable.severity: Invalid enum value' } });
    expect(byType(obs({ policy: denied })).PolicyCompliant)
      .toMatchObject({ status: 'False', reason: 'InvalidPolicy', message: 'Repository apps/prod-app: spec.security: preventVulnerable.severity: Invalid enum value' });
    expect(byType(obs({ policy: denied, report: undefined, unreachable: 'connect ECONNREFUSED' })).PolicyCompliant.reason).toBe('InvalidPolicy');
  });
});
