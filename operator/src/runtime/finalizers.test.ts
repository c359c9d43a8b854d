import type { KubeClient, RequestOptions } from '../kube/client.js';
import type { KubeObject } from '../kube/types.js';
import { addFinalizer, hasFinalizer, removeFinalizer } from './finalizers.js';

/** Records PATCH requests and answers with the object the merge patch would make. */
function patchRecorder(obj: KubeObject) {
  const calls: Array<{ method: string; path: string; opts?: RequestOptions }> = [];
  const client = {
    async request(method: string, path: string, opts?: RequestOptions) {
      calls.push({ method, path, opts });
      const { metadata } = opts!.body as { metadata: { finalizers: string[] } };
      return { ...obj, metadata: { ...obj.metadata, finalizers: metadata.finalizers, resourceVersion: '8' } };
    },
  } as unknown as KubeClient;
  return { client, calls };
}

const policy = (finalizers?: string[]): KubeObject => ({
  apiVersion: 'berth.dev/v1alpha1', kind: 'AccessPolicy',
  metadata: { name: 'readers', namespace: 'registry', resourceVersion: '7', ...(finalizers ? { finalizers } : {}) },
});

describe('finalizers', () => {
  it('appends with a merge patch that carries the resourceVersion read', async () => {
    const { client, calls } = patchRecorder(policy(['other']));
    const updated = await addFinalizer(client, policy(['other']), 'berth.dev/cleanup');
    expect(calls).toEqual([{
      method: 'PATCH',
      path: '/apis/berth.dev/v1alpha1/namespaces/registry/accesspolicies/readers',
      opts: { body: { metadata: { finalizers: ['other', 'berth.dev/cleanup'], resourceVersion: '7' } }, contentType: 'application/merge-patch+json' },
    }]);
    expect(hasFinalizer(updated, 'berth.dev/cleanup')).toBe(true);
    expect(updated.metadata.resourceVersion).toBe('8');
  });

  it('removes only its own finalizer', async () => {
    const { client, calls } = patchRecorder(policy());
    await removeFinalizer(client, policy(['a', 'berth.dev/cleanup', 'b']), 'berth.dev/cleanup');
    expect((calls[0].opts!.body as { metadata: { finalizers: string[] } }).metadata.finalizers).toEqual(['a', 'b']);
  });

  it('writes nothing when there is nothing to change', async () => {
    const { client, calls } = patchRecorder(policy());
    const has = policy(['berth.dev/cleanup']);
    expect(await addFinalizer(client, has, 'berth.dev/cleanup')).toBe(has);
    const without = policy();
    expect(await removeFinalizer(client, without, 'berth.dev/cleanup')).toBe(without);
    expect(calls).toEqual([]);
    expect(hasFinalizer(without, 'berth.dev/cleanup')).toBe(false);
  });
});
