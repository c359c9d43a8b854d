// Installs crds/*.yaml with server-side apply and waits until each CRD is
// Established and NamesAccepted and its resource is served by discovery.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import type { KubeClient } from '../../../operator/src/kube/client.js';
import type { KubeObject } from '../../../operator/src/kube/types.js';

/** crds/ of the repository, found from this file whether it runs from sources or dist/. */
export function findCrdDir(from = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'crds'))) return join(dir, 'crds');
  }
  throw new Error(`no crds/ directory above ${from}`);
}

interface Crd extends KubeObject {
  spec: { group: string; names: { plural: string }; versions: Array<{ name: string }> };
  status?: { conditions?: Array<{ type: string; status: string }> };
}

export async function installCrds(client: KubeClient, dir = findCrdDir(), timeoutMs = 30_000): Promise<string[]> {
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();
  const crds = files.map((f) => yaml.load(readFileSync(join(dir, f), 'utf8')) as Crd);
  for (const crd of crds) await client.apply(crd, { force: true });
  const deadline = Date.now() + timeoutMs;
  for (const crd of crds) {
    for (;;) {
      const live = await client.get<Crd>('apiextensions.k8s.io/v1', 'CustomResourceDefinition', crd.metadata.name);
      const ok = (t: string) => live.status?.conditions?.some((c) => c.type === t && c.status === 'True');
      let served = false;
      if (ok('Established') && ok('NamesAccepted')) {
        const gv = `${crd.spec.group}/${crd.spec.versions[0].name}`;
        const discovery = await client.request<{ resources: Array<{ name: string }> }>('GET', `/apis/${gv}`).catch(() => undefined);
        served = !!discovery?.resources.some((r) => r.name === crd.spec.names.plural);
      }
      if (served) break;
      if (Date.now() > deadline) throw new Error(`CRD ${crd.metadata.name} not established after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return crds.map((c) => c.metadata.name);
}
