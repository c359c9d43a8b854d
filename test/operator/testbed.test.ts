// The test bed itself: the stamped version, the controllers the control plane
// runs, and the clean-up of processes a crashed run left behind.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeClient } from '../../operator/src/kube/client.js';
import type { KubeObject } from '../../operator/src/kube/types.js';
import { binary } from '../harness/control-plane/binaries.js';
import { freePort } from '../harness/control-plane/ports.js';
import { killStaleProcesses, stateDir, writeState, removeState } from '../harness/control-plane/processes.js';
import { sharedKubeconfig } from '../harness/control-plane/shared-plane.js';
import { clientFor, createNamespace, waitFor } from './support/kube.js';

let client: KubeClient;

beforeAll(() => {
  client = clientFor(sharedKubeconfig());
});
afterAll(() => client?.close());

describe('test bed', () => {
  it('runs a version-stamped Kubernetes 1.37', async () => {
    const v = await client.request<{ gitVersion: string; major: string; minor: string }>('GET', '/version');
    expect(v).toMatchObject({ major: '1', minor: '37' });
    expect(v.gitVersion).toMatch(/^v1\.37\.\d+$/);
  });

  it('runs the serviceaccount and namespace controllers', async () => {
    const ns = await createNamespace(client, 'testbed');
    await waitFor('the default ServiceAccount', () => client.getOptional('v1', 'ServiceAccount', 'default', ns), 20_000);
    await client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: ns } });
    await client.delete('v1', 'Namespace', ns);
    await waitFor('the namespace to be deleted', async () => !(await client.getOptional<KubeObject>('v1', 'Namespace', ns)), 60_000);
  });

  it('kills processes left by a dead run, but only ours and only if their owner is gone', async () => {
    const dir = mkdtempSync(join(stateDir, 'stale-'));
    const [client1, peer] = [await freePort(), await freePort()];
    const leftover = spawn(binary('etcd'), [
      `--data-dir=${join(dir, 'etcd')}`, `--listen-client-urls=http://127.0.0.1:${client1}`, `--advertise-client-urls=http://127.0.0.1:${client1}`,
      `--listen-peer-urls=http://127.0.0.1:${peer}`, `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
      `--initial-cluster=default=http://127.0.0.1:${peer}`, '--log-level=error',
    ], { stdio: 'ignore' });
    const exited = new Promise((resolve) => leftover.once('exit', (_code, signal) => resolve(signal)));
    const deadOwner = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      // A live owner's processes are never touched.
      writeState('stale-test-live', { ownerPid: process.pid, dir, processes: [{ pid: leftover.pid!, binary: binary('etcd') }] });
      // A dead owner whose recorded PID now runs something else (PID reuse): left alone too.
      writeState('stale-test-reused', { ownerPid: Number(deadOwner), dir: join(dir, 'reused'), processes: [{ pid: sleeper.pid!, binary: binary('etcd') }] });
      killStaleProcesses();
      await new Promise((r) => setTimeout(r, 200));
      expect(leftover.exitCode).toBeNull();
      expect(sleeper.exitCode).toBeNull();
      removeState('stale-test-live');

      writeState('stale-test-dead', { ownerPid: Number(deadOwner), dir, processes: [{ pid: leftover.pid!, binary: binary('etcd') }] });
      killStaleProcesses();
      expect(await exited).toBe('SIGKILL');
      expect(existsSync(dir)).toBe(false);
      expect(existsSync(join(stateDir, 'stale-test-dead.json'))).toBe(false);
    } finally {
      leftover.kill('SIGKILL');
      sleeper.kill('SIGKILL');
      removeState('stale-test-live');
      removeState('stale-test-reused');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
