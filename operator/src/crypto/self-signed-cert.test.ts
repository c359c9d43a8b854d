import { X509Certificate, createPrivateKey } from 'node:crypto';
import { createSelfSignedCertificate } from './self-signed-cert.js';

describe('createSelfSignedCertificate', () => {
  const notBefore = new Date('2026-01-01T00:00:00Z');
  const notAfter = new Date('2027-01-01T00:00:00Z');
  const pair = createSelfSignedCertificate({ commonName: 'reg.ns.svc', dnsNames: ['reg.ns.svc', 'reg'], notBefore, notAfter });
  const cert = new X509Certificate(pair.certPem);

  it('is a parseable, self-signed certificate whose signature verifies', () => {
    expect(cert.subject).toBe('CN=reg.ns.svc');
    expect(cert.issuer).toBe(cert.subject);
    expect(cert.verify(cert.publicKey)).toBe(true);
  });

  it('matches its private key', () => {
    expect(cert.checkPrivateKey(createPrivateKey(pair.keyPem))).toBe(true);
  });

  it('carries the DNS names, validity and server usage', () => {
    expect(cert.subjectAltName).toBe('DNS:reg.ns.svc, DNS:reg');
    expect(new Date(cert.validFrom).toISOString()).toBe(notBefore.toISOString());
    expect(new Date(cert.validTo).toISOString()).toBe(notAfter.toISOString());
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(cert.ca).toBe(false);
  });

  it('carries IP addresses after the DNS names', () => {
    const withIp = createSelfSignedCertificate({ commonName: 'x', dnsNames: ['x'], ipAddresses: ['10.96.0.37'], notBefore, notAfter });
    const parsed = new X509Certificate(withIp.certPem);
    expect(parsed.subjectAltName).toBe('DNS:x, IP Address:10.96.0.37');
    expect(parsed.checkIP('10.96.0.37')).toBe('10.96.0.37');
  });

  it('encodes validity after 2049 as GeneralizedTime', () => {
    const late = createSelfSignedCertificate({ commonName: 'x', dnsNames: ['x'], notBefore, notAfter: new Date('2051-06-01T00:00:00Z') });
    expect(new Date(new X509Certificate(late.certPem).validTo).getUTCFullYear()).toBe(2051);
  });
});
