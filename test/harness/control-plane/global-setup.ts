// Jest global setup of the operator project: one control plane per test run,
// with the CRDs installed. Fails (never skips) if anything cannot start.
import { KubeConfig } from '@kubernetes/client-node';
import { KubeClient } from '../../../operator/src/kube/client.js';
import { startControlPlane, type ControlPlane } from './control-plane.js';
import { installCrds } from './crds.js';
import { killStaleProcesses } from './processes.js';
import { KUBECONFIG_ENV } from './shared-plane.js';

declare global {
  // eslint-disable-next-line no-var
  var __berthControlPlane: ControlPlane | undefined;
}

export default async function globalSetup(): Promise<void> {
  killStaleProcesses((m) => process.stderr.write(`[testbed] ${m}\n`));
  const plane = await startControlPlane({ name: `shared-${process.pid}`, controllerManager: true });
  globalThis.__berthControlPlane = plane;
  try {
    const kc = new KubeConfig();
    kc.loadFromFile(plane.kubeconfig);
    const client = new KubeClient(kc);
    const crdStart = Date.now();
    const crds = await installCrds(client);
    client.close();
    process.stderr.write(`\n[testbed] control plane ready in ${plane.startSeconds.toFixed(1)} s at ${plane.server}; `
      + `${crds.length} CRDs established in ${((Date.now() - crdStart) / 1000).toFixed(1)} s\n`);
  } catch (err) {
    await plane.stop({ keepDir: true });
    throw err;
  }
  process.env[KUBECONFIG_ENV] = plane.kubeconfig;
}
