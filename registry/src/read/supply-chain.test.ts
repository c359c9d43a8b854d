// The browsing API reads what scanning and signature checks store, in the shapes
// they store it (scanning/report.ts, security/signatures/verifier.ts).
import { storedReport } from '../scanning/report.js';
import type { Finding } from '../security/osv/matcher.js';
import { signatureStatus, vulnerabilitySummary } from './supply-chain.js';

const finding = (id: string, severity: Finding['severity'], fixedVersion?: string): Finding => ({
  id, aliases: [], purl: 'pkg:deb/debian/openssl@3.0.11-1', packageName: 'openssl', installedVersion: '3.0.11-1', ecosystem: 'Debian:12',
  osvName: 'openssl', severity, cvss: {}, summary: `${id} in openssl`, links: [`https://osv.dev/${id}`],
  ...(fixedVersion ? { fixedVersion } : {}),
});

test('a stored scan report reads as a summary with its vulnerabilities, highest severity first', () => {
  const report = JSON.parse(JSON.stringify(storedReport('osv', [finding('CVE-2', 'Medium'), finding('CVE-1', 'Critical', '3.0.13-1')], undefined)));
  const summary = vulnerabilitySummary({ status: 'done', dbDigest: 'sha256:db', report, updatedAt: 5 }, 10);
  expect(summary).toMatchObject({ status: 'done', severity: 'Critical', total: 2, counts: { Critical: 1, Medium: 1 } });
  expect(summary.vulnerabilities).toEqual([
    { id: 'CVE-1', package: 'openssl', version: '3.0.11-1', severity: 'Critical', fixVersion: '3.0.13-1', description: 'CVE-1 in openssl', link: 'https://osv.dev/CVE-1' },
    { id: 'CVE-2', package: 'openssl', version: '3.0.11-1', severity: 'Medium', description: 'CVE-2 in openssl', link: 'https://osv.dev/CVE-2' },
  ]);
});

test('a scan that did not match shows its status and why, never a count', () => {
  expect(vulnerabilitySummary({ status: 'failed', dbDigest: 'k', report: { reason: 'corrupt layer' }, updatedAt: 1 })).toEqual({ status: 'failed', scannedAt: 1, database: 'k', reason: 'corrupt layer' });
  const signature = { status: 'not-applicable', dbDigest: '', report: { reason: 'not a container image: a signature' }, updatedAt: 2 };
  expect(vulnerabilitySummary(signature, 10)).toEqual({ status: 'not-applicable', scannedAt: 2, database: '', reason: 'not a container image: a signature' });
});

test('a verification result reads as signed by its identities; anything else is unsigned', () => {
  const verified = { digest: 'sha256:a', signed: true, identities: ['release-key'], evidence: [] };
  const rejected = { digest: 'sha256:a', signed: false, identities: [], evidence: [{ reason: 'signed payload names another digest' }] };
  expect(signatureStatus([{ keyset: 'k1', verdict: verified, updatedAt: 1 }])).toMatchObject({ signed: true, identities: ['release-key'] });
  const refused = signatureStatus([{ keyset: 'k1', verdict: rejected, updatedAt: 1 }, { keyset: 'k2', verdict: 'garbage', updatedAt: 1 }]);
  expect(refused.signed).toBe(false);
  expect(refused.verdicts[0].reasons).toEqual(['signed payload names another digest']);
});
