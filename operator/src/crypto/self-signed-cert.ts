// A self-signed ECDSA P-256 serving certificate for `tls.selfSigned: true`.
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { bitString, boolean, context, integer, octetString, oid, sequence, set, time, utf8String } from './der.js';

export interface CertificateRequest {
  commonName: string;
  dnsNames: string[];
  /** IPv4 addresses, e.g. the Service's ClusterIP that nodes dial (controllers/registry/node-access.ts). */
  ipAddresses?: string[];
  notBefore: Date;
  notAfter: Date;
}

export interface KeyPair {
  certPem: string;
  keyPem: string;
}

const OID = {
  ecPublicKey: '1.2.840.10045.2.1',
  prime256v1: '1.2.840.10045.3.1.7',
  ecdsaWithSHA256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
};

function pem(label: string, der: Buffer): string {
  const b64 = der.toString('base64').match(/.{1,64}/g)!.join('\n');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

export function createSelfSignedCertificate(req: CertificateRequest): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const algorithm = sequence(oid(OID.ecdsaWithSHA256));
  const name = sequence(set(sequence(oid(OID.commonName), utf8String(req.commonName))));
  const extension = (id: string, critical: boolean, value: Buffer) =>
    sequence(oid(id), ...(critical ? [boolean(true)] : []), octetString(value));
  const extensions = sequence(
    extension(OID.subjectAltName, false, sequence(
      ...req.dnsNames.map((d) => context(2, Buffer.from(d, 'ascii'), false)),
      ...(req.ipAddresses ?? []).map((ip) => context(7, Buffer.from(ip.split('.').map(Number)), false)),
    )),
    extension(OID.basicConstraints, true, sequence()),
    // digitalSignature only (bit 0): what an ECDHE server key needs.
    extension(OID.keyUsage, true, Buffer.from([0x03, 0x02, 0x07, 0x80])),
    extension(OID.extKeyUsage, false, sequence(oid(OID.serverAuth))),
  );
  const serial = randomBytes(16);
  serial[0] &= 0x7f;
  const tbs = sequence(
    context(0, integer(Buffer.from([2]))), // v3
    integer(serial),
    algorithm,
    name,
    sequence(time(req.notBefore), time(req.notAfter)),
    name,
    spki,
    context(3, extensions),
  );
  const signature = sign('sha256', tbs, { key: privateKey, dsaEncoding: 'der' });
  const cert = sequence(tbs, algorithm, bitString(signature));
  return { certPem: pem('CERTIFICATE', cert), keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

