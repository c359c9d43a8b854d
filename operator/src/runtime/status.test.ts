import type { KubeClient } from '../kube/client.js';
import type { KubeObject } from '../kube/types.js';
import { writeStatus } from './status.js';

type Thing = KubeObject & { status?: { ready?: boolean; conditions?: Array<{ type: string }> } };

function applyRecorder() {
  const calls: Array<{ obj: KubeObject; opts: unknown }> = [];
  const client = {
    async apply(obj: KubeObject, opts: unknown) {
      calls.push({ obj, opts });
      return { ...obj, metadata: { ...obj.metadata, resourceVersion: '8' } };
    },
  } as unknown as KubeClient;
  return { client, calls };
}

const thing = (status?: Thing['status']): Thing => ({
  apiVersion: 'berth.dev/v1alpha1', kind: 'Registry',
  metadata: { name: 'main', namespace: 'registry', resourceVersion: '7', labels: { a: 'b' } },
  spec: { replicas: 1 },
  ...(status ? { status } : {}),
});

describe('writeStatus', () => {
  it('applies only the status, through /status, with the resourceVersion read', async () => {
    const { client, calls } = applyRecorder();
    const written = await writeStatus(client, thing(), { ready: true });
    expect(calls).toEqual([{
      obj: { apiVersion: 'berth.dev/v1alpha1', kind: 'Registry', metadata: { name: 'main', namespace: 'registry', resourceVersion: '7' }, status: { ready: true } },
      opts: { subresource: 'status' },
    }]);
    expect(written?.metadata.resourceVersion).toBe('8');
  });

  it('skips a status equal to the current one, whatever its key order', async () => {
    const { client, calls } = applyRecorder();
    const current = thing({ conditions: [{ type: 'Ready' }], ready: false });
    expect(await writeStatus(client, current, { ready: false, conditions: [{ type: 'Ready' }] })).toBeUndefined();
    expect(calls).toEqual([]);
  });

  it('treats a missing status as empty', async () => {
    const { client, calls } = applyRecorder();
    expect(await writeStatus(client, thing(), {})).toBeUndefined();
    expect(calls).toHaveLength(0);
  });
});
