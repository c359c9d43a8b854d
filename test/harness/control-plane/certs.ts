// Certificates for a throwaway control plane, made with openssl: one CA that
// signs the apiserver's serving certificate (localhost, 127.0.0.1, plus the
// node's names when pods reach it) and the admin client certificate
// (O=system:masters), plus the ServiceAccount signing key.
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface PlaneCerts {
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  adminCert: string;
  adminKey: string;
  saKey: string;
  saPub: string;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Extra names of the apiserver's serving certificate. */
export interface ServerNames {
  ips?: string[];
  dns?: string[];
}

export function makeCerts(dir: string, extra: ServerNames = {}): PlaneCerts {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(dir, ['req', '-x509', ...ec, '-days', '2', '-subj', '/CN=berth-testbed-ca', '-keyout', 'ca.key', '-out', 'ca.crt']);
  const sans = ['DNS:localhost', 'IP:127.0.0.1', ...(extra.dns ?? []).map((d) => `DNS:${d}`), ...(extra.ips ?? []).map((i) => `IP:${i}`)];
  writeFileSync(join(dir, 'server.ext'), `subjectAltName=${sans.join(',')}\nextendedKeyUsage=serverAuth\n`);
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  openssl(dir, ['req', ...ec, '-subj', '/CN=localhost', '-keyout', 'apiserver.key', '-out', 'apiserver.csr']);
  openssl(dir, ['x509', '-req', '-in', 'apiserver.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-out', 'apiserver.crt', '-extfile', 'server.ext']);
  openssl(dir, ['req', ...ec, '-subj', '/O=system:masters/CN=berth-admin', '-keyout', 'admin.key', '-out', 'admin.csr']);
  openssl(dir, ['x509', '-req', '-in', 'admin.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-out', 'admin.crt', '-extfile', 'client.ext']);
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  writeFileSync(join(dir, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(join(dir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
  const p = (f: string) => join(dir, f);
  return {
    caCert: p('ca.crt'),
    caKey: p('ca.key'),
    serverCert: p('apiserver.crt'),
    serverKey: p('apiserver.key'),
    adminCert: p('admin.crt'),
    adminKey: p('admin.key'),
    saKey: p('sa.key'),
    saPub: p('sa.pub'),
  };
}
