// A scripted stand-in for KubeClient's list and watch, for unit tests of the
// informer and controller. Each watch() call runs the next script; without one
// it blocks until aborted, like a quiet watch.
import { KubeApiError } from '../kube/errors.js';
import type { KubeClient, ListOptions, WatchOptions } from '../kube/client.js';
import type { KubeObject, ObjectList, WatchEvent } from '../kube/types.js';

export type WatchScript = (emit: (e: WatchEvent) => void, signal: AbortSignal) => Promise<void>;

export function obj(name: string, resourceVersion: string, namespace = 'ns'): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, resourceVersion } };
}

export const gone = () => new KubeApiError(410, 'Expired', 'too old resource version');

export function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
}

export class FakeClient {
  lists: Array<KubeObject[]> = [];
  /** Answers list() by kind and options instead of from `lists`. */
  listFor?: (apiVersion: string, kind: string, opts: ListOptions) => KubeObject[];
  /** Holds a list() answer until the returned promise settles. */
  listGate?: (kind: string) => Promise<void> | undefined;
  listCalls = 0;
  watchScripts: WatchScript[] = [];
  watchCalls: WatchOptions[] = [];
  private rv = 100;

  asClient(): KubeClient {
    return this as unknown as KubeClient;
  }

  async list(apiVersion: string, kind: string, opts: ListOptions = {}): Promise<ObjectList> {
    this.listCalls++;
    await this.listGate?.(kind);
    const items = this.listFor ? this.listFor(apiVersion, kind, opts) : this.lists.length > 1 ? this.lists.shift()! : (this.lists[0] ?? []);
    return { items, metadata: { resourceVersion: String(++this.rv) } };
  }

  async watch(_apiVersion: string, _kind: string, opts: WatchOptions, onEvent: (e: WatchEvent) => void, signal: AbortSignal): Promise<void> {
    this.watchCalls.push(opts);
    const script = this.watchScripts.shift();
    if (!script) return untilAborted(signal);
    return script(onEvent, signal);
  }
}
