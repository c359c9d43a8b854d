// Helpers for operator tests: a client for the shared control plane, a fresh
// namespace per test file, and polling with a clear failure message.
import { randomBytes } from 'node:crypto';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeClient } from '../../../operator/src/kube/client.js';
import { isNotFound } from '../../../operator/src/kube/errors.js';
import type { KubeObject } from '../../../operator/src/kube/types.js';

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

export async function getOrUndefined<T extends KubeObject>(client: KubeClient, apiVersion: string, kind: string, name: string, namespace?: string): Promise<T | undefined> {
  try {
    return await client.get<T>(apiVersion, kind, name, namespace);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
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
