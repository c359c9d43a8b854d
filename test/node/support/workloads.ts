// Workloads that exercise the kubelet's pulls: one pod and its outcome, a
// stream of pods created every second (how a rotation is watched), and a
// sampler of a Deployment's pods during a rollout.
import type { KubeClient } from '../../../operator/src/kube/client.js';
import { createPod, deletePodsNow, getPod, isReady, podEvents, pods, podSpec, waitFor } from './cluster.js';

export type PullOutcome = { ok: true; seconds: number } | { ok: false; reason: string; message: string };

/**
 * Runs `true` from `image` in a fresh pod (imagePullPolicy Always: the kubelet
 * pulls with the pod's credentials every time) and reports whether the image was
 * pulled and ran, or the pull error the kubelet recorded. `extra` adds to the pod spec.
 */
export async function pullAndRun(client: KubeClient, namespace: string, name: string, image: string, timeoutMs = 90_000, extra: Record<string, unknown> = {}): Promise<PullOutcome> {
  const started = Date.now();
  await createPod(client, podSpec(name, namespace, image, ['true'], extra));
  return waitFor(`pod ${namespace}/${name} to pull ${image}`, async (): Promise<PullOutcome | undefined> => {
    const pod = await getPod(client, namespace, name);
    if (pod.status?.phase === 'Succeeded') return { ok: true, seconds: (Date.now() - started) / 1000 };
    const waiting = pod.status?.containerStatuses?.[0]?.state.waiting;
    if (waiting?.reason === 'ErrImagePull' || waiting?.reason === 'ImagePullBackOff') {
      const failed = (await podEvents(client, namespace, name)).filter((e) => e.reason === 'Failed').map((e) => e.message);
      return { ok: false, reason: waiting.reason, message: failed.join('\n') || waiting.message || '' };
    }
    return undefined;
  }, timeoutMs, 250);
}

export interface ChurnResult {
  created: number;
  succeeded: number;
  /** Pods whose pull failed, with the kubelet's message. */
  pullErrors: Array<{ pod: string; message: string }>;
  /** Pods still neither done nor failed when the churn ended. */
  unfinished: string[];
}

/**
 * Creates a pod every `everyMs` in `namespace` until `until()` is true (or `max`
 * pods), each pulling `image` with imagePullPolicy Always, and deletes each once
 * it has succeeded. Afterwards waits for the stragglers and reports every pull error.
 */
export async function podChurn(client: KubeClient, namespace: string, image: string, until: () => Promise<boolean>, opts: { everyMs?: number; max: number; settleMs?: number }): Promise<ChurnResult> {
  const everyMs = opts.everyMs ?? 1000;
  const live = new Set<string>();
  const result: ChurnResult = { created: 0, succeeded: 0, pullErrors: [], unfinished: [] };
  const inspect = async () => {
    for (const pod of await pods(client, namespace, 'berth.dev/test=churn')) {
      const name = pod.metadata.name;
      if (!live.has(name)) continue;
      const waiting = pod.status?.containerStatuses?.[0]?.state.waiting;
      if (pod.status?.phase === 'Succeeded') {
        live.delete(name);
        result.succeeded++;
        await deletePodsNow(client, namespace, [name]);
      } else if (waiting?.reason === 'ErrImagePull' || waiting?.reason === 'ImagePullBackOff') {
        live.delete(name);
        const events = (await podEvents(client, namespace, name)).filter((e) => e.reason === 'Failed').map((e) => e.message);
        result.pullErrors.push({ pod: name, message: events.join('\n') || waiting.message || waiting.reason });
      }
    }
  };
  let stop = false;
  while (!stop && result.created < opts.max) {
    const tick = Date.now();
    const name = `churn-${result.created}-${tick.toString(36)}`;
    const spec = podSpec(name, namespace, image, ['true']);
    spec.metadata.labels = { 'berth.dev/test': 'churn' };
    await createPod(client, spec);
    live.add(name);
    result.created++;
    await inspect();
    stop = await until();
    await new Promise((r) => setTimeout(r, Math.max(0, everyMs - (Date.now() - tick))));
  }
  const deadline = Date.now() + (opts.settleMs ?? 60_000);
  while (live.size && Date.now() < deadline) {
    await inspect();
    await new Promise((r) => setTimeout(r, 500));
  }
  result.unfinished = [...live];
  return result;
}

export interface RolloutSample {
  at: number;
  ready: number;
  /** Pods not being deleted. */
  running: number;
  terminating: number;
  hashes: string[];
}

/** Samples the pods of a selector until stop(): what "one at a time" is judged from. */
export function sampleRollout(client: KubeClient, namespace: string, labelSelector: string, hashAnnotation: string, everyMs = 250) {
  const samples: RolloutSample[] = [];
  let stopping = false;
  const loop = (async () => {
    while (!stopping) {
      const list = await pods(client, namespace, labelSelector).catch(() => undefined);
      if (list) {
        const alive = list.filter((p) => !p.metadata.deletionTimestamp);
        samples.push({
          at: Date.now(),
          ready: alive.filter(isReady).length,
          running: alive.length,
          terminating: list.length - alive.length,
          hashes: alive.map((p) => p.metadata.annotations?.[hashAnnotation] ?? '').sort(),
        });
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    async stop() {
      stopping = true;
      await loop;
      return samples;
    },
  };
}
