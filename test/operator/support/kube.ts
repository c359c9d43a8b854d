// Helpers for operator tests: a client for the shared control plane, a fresh
// namespace per test file, polling with a clear failure message, and a
// ServiceAccount's kubeconfig.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import yaml from 'js-yaml';
import { KubeClient } from '../../../operator/src/kube/client.js';

export function clientFor(kubeconfig: string): KubeClient {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  return new KubeClient(kc);
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

/** Creates a namespace that no other test uses (deleted namespaces are never reused). */
export async function createNamespace(client: KubeClient, prefix: string): Promise<string> {
  const name = uniqueName(prefix);
  await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  return name;
}

/** Polls until check returns a value other than undefined/false; fails with the last observation. */
// Generous default: a loaded 2-core machine can stall the apiserver and operator for seconds.
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 60_000, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${String(last)})`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Merge-patches an object's status subresource (how tests stand in for absent controllers). */
export async function patchStatus(client: KubeClient, path: string, status: Record<string, unknown>): Promise<void> {
  await client.request('PATCH', `${path}/status`, { body: { status }, contentType: 'application/merge-patch+json' });
}

/**
 * Writes a kubeconfig that authenticates as a ServiceAccount, with a token from the
 * TokenRequest API as a pod's projected token would be. Without a CA the server's
 * certificate is not verified (a plain-http proxy in front of the apiserver).
 */
export async function serviceAccountKubeconfig(client: KubeClient, namespace: string, name: string, file: string, cluster: { server: string; caData?: string }): Promise<string> {
  const token = await client.request<{ status: { token: string } }>('POST', `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`, {
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } },
  });
  const trust = cluster.caData ? { 'certificate-authority-data': cluster.caData } : { 'insecure-skip-tls-verify': true };
  writeFileSync(file, yaml.dump({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'sa',
    clusters: [{ name: 'c', cluster: { server: cluster.server, ...trust } }],
    users: [{ name: 'sa', user: { token: token.status.token } }],
    contexts: [{ name: 'sa', context: { cluster: 'c', user: 'sa' } }],
  }));
  return file;
}
