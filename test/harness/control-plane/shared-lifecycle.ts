// Start and stop of the control plane shared by one jest run (see global-setup.ts).
import { startControlPlane, type ControlPlane } from './control-plane.js';
import { killStaleProcesses } from './processes.js';
import { KUBECONFIG_ENV } from './shared-plane.js';

let plane: ControlPlane | undefined;

export async function startSharedControlPlane(): Promise<void> {
  killStaleProcesses((m) => process.stderr.write(`[testbed] ${m}\n`));
  plane = await startControlPlane({ name: `shared-${process.pid}`, controllerManager: true, installCrds: true });
  process.stderr.write(`\n[testbed] control plane (etcd, kube-apiserver, ${plane.crds.length} CRDs, kube-controller-manager) `
    + `ready in ${plane.startSeconds.toFixed(1)} s at ${plane.server}\n`);
  process.env[KUBECONFIG_ENV] = plane.kubeconfig;
}

/** Stops it and removes its files (kept with BERTH_KEEP_TESTBED=1 for debugging). */
export async function stopSharedControlPlane(): Promise<void> {
  if (!plane) return;
  const keepDir = process.env.BERTH_KEEP_TESTBED === '1';
  await plane.stop({ keepDir });
  if (keepDir) process.stderr.write(`[testbed] kept ${plane.dir} (logs: ${plane.logs().join(', ')})\n`);
  plane = undefined;
}
