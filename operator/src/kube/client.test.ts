// The client keeps its TLS connections alive across requests, with the credentials
// the kubeconfig gives (client certificate, or a bearer token re-read per request),
// against a real HTTPS server that requires a client certificate signed by its CA.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { makeCerts, type PlaneCerts } from '../../../test/harness/control-plane/certs.js';
import { KubeClient } from './client.js';

let dir: string;
let certs: PlaneCerts;
let server: https.Server;
let url: string;
let connections: number;
let authorizations: (string | undefined)[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'berth-kube-client-'));
  certs = makeCerts(dir);
  server = https.createServer({
    cert: readFileSync(certs.serverCert), key: readFileSync(certs.serverKey),
    ca: readFileSync(certs.caCert), requestCert: true, rejectUnauthorized: true, keepAliveTimeout: 30_000,
  }, (req, res) => {
    authorizations.push(req.headers.authorization);
    const body = JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x' } });
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) }).end(body);
  });
  server.on('secureConnection', () => { connections++; });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  connections = 0;
  authorizations = [];
});

/** The admin client certificate, plus `user`'s extras; the cluster trusted by the test CA unless `trustServer` is false. */
function kubeConfig(user: { authProvider?: { name: string; config: Record<string, string> } } = {}, trustServer = true): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: url, ...(trustServer ? { caFile: certs.caCert } : {}) }],
    users: [{ name: 'u', certFile: certs.adminCert, keyFile: certs.adminKey, ...user }],
    contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
    currentContext: 'ctx',
  });
  return kc;
}

test('sequential requests with a client certificate share one TLS connection', async () => {
  const client = new KubeClient(kubeConfig());
  for (let i = 0; i < 20; i++) expect((await client.get('v1', 'Namespace', 'x')).metadata.name).toBe('x');
  expect(connections).toBe(1);
});

test('a bearer token (as in a cluster: the ServiceAccount token file) goes with every request on the kept connection', async () => {
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, 'sa-token');
  const client = new KubeClient(kubeConfig({ authProvider: { name: 'tokenFile', config: { tokenFile } } }));
  for (let i = 0; i < 5; i++) await client.get('v1', 'Namespace', 'x');
  expect(authorizations).toEqual(Array(5).fill('Bearer sa-token'));
  expect(connections).toBe(1);
});

test('a server whose certificate the kubeconfig does not trust is refused', async () => {
  await expect(new KubeClient(kubeConfig({}, false)).get('v1', 'Namespace', 'x')).rejects.toThrow(/certificate/);
  expect(authorizations).toEqual([]);
});
