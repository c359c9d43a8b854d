// Start and stop of the node shared by one jest run (see global-setup.ts).
import { join } from 'node:path';
import { killStaleProcesses } from '../control-plane/processes.js';
import { startNode, type RunningNode } from './node.js';
import { cleanStaleNodes } from './teardown.js';
import { NODE_ERROR_ENV, NODE_INFO_ENV } from './shared-node.js';

let node: RunningNode | undefined;
const log = (m: string) => process.stderr.write(`[testbed] ${m}\n`);

export async function startSharedNode(): Promise<void> {
  killStaleProcesses(log);
  await cleanStaleNodes(log);
  try {
    node = await startNode(log);
  } catch (err) {
    // Every node test fails with this message; the other jest projects still run.
    const message = err instanceof Error ? err.message : String(err);
    log(`the node did not start: ${message}`);
    process.env[NODE_ERROR_ENV] = message;
    return;
  }
  const t = node.info.timings;
  log(`node ${node.info.nodeName} ready in ${t.total.toFixed(1)} s (images ${t.images.toFixed(1)} s, import ${t.imageImport.toFixed(1)} s, `
    + `control plane ${t.controlPlane.toFixed(1)} s, kubelet ${t.kubeletReady.toFixed(1)} s, kube-proxy + DNS ${t.servicesAndDns.toFixed(1)} s) at ${node.info.server}`);
  process.env[NODE_INFO_ENV] = join(node.info.dir, 'node.json');
}

/** Tears it down and fails if anything is left behind (the work dir is kept with BERTH_KEEP_TESTBED=1). */
export async function stopSharedNode(): Promise<void> {
  if (!node) return;
  const keepDir = process.env.BERTH_KEEP_TESTBED === '1';
  const t0 = Date.now();
  const left = await node.stop({ keepDir });
  log(`node torn down in ${((Date.now() - t0) / 1000).toFixed(1)} s${keepDir ? `; kept ${node.info.dir}` : ''}`);
  node = undefined;
  if (left.length) throw new Error(`the node left behind: ${left.join('; ')}`);
}
