// The self-signed serving certificate (tls.selfSigned): generated once, renewed
// 30 days before it expires or when the Service's names (DNS names, and the
// ClusterIP nodes dial when node access is on) change.
import { X509Certificate } from 'node:crypto';
import { createSelfSignedCertificate, type KeyPair } from '../../crypto/self-signed-cert.js';

const VALIDITY_MS = 365 * 24 * 3600 * 1000;
const RENEW_BEFORE_MS = 30 * 24 * 3600 * 1000;

export interface TlsPlan {
  pair: KeyPair;
  change: 'none' | 'created' | 'renewed';
  renewAt: Date;
}

export function planSelfSignedTls(existing: KeyPair | undefined, dnsNames: string[], now: Date, ipAddresses: string[] = []): TlsPlan {
  if (existing) {
    try {
      const cert = new X509Certificate(existing.certPem);
      const sans = (cert.subjectAltName ?? '').split(', ').map((s) => s.replace(/^(DNS:|IP Address:)/, '')).sort();
      const renewAt = new Date(Date.parse(cert.validTo) - RENEW_BEFORE_MS);
      const sameNames = JSON.stringify(sans) === JSON.stringify([...dnsNames, ...ipAddresses].sort());
      if (sameNames && now < renewAt) return { pair: existing, change: 'none', renewAt };
      return issue(dnsNames, ipAddresses, now, 'renewed');
    } catch {
      // Unparseable: replace it.
    }
  }
  return issue(dnsNames, ipAddresses, now, existing ? 'renewed' : 'created');
}

function issue(dnsNames: string[], ipAddresses: string[], now: Date, change: TlsPlan['change']): TlsPlan {
  const notAfter = new Date(now.getTime() + VALIDITY_MS);
  const pair = createSelfSignedCertificate({ commonName: dnsNames[0], dnsNames, ipAddresses, notBefore: new Date(now.getTime() - 5 * 60_000), notAfter });
  return { pair, change, renewAt: new Date(notAfter.getTime() - RENEW_BEFORE_MS) };
}

export function keyPairFromSecret(secret: { data?: Record<string, string> } | undefined): KeyPair | undefined {
  const crt = secret?.data?.['tls.crt'];
  const key = secret?.data?.['tls.key'];
  if (!crt || !key) return undefined;
  return { certPem: Buffer.from(crt, 'base64').toString('utf8'), keyPem: Buffer.from(key, 'base64').toString('utf8') };
}
