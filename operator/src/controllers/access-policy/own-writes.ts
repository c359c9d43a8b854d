// Remembers the resourceVersion of each object this controller just wrote, so the
// watch event of that very write does not trigger another pass over every
// namespace (with 1,000 namespaces, our own status and Secret writes would
// otherwise keep the queue busy and delay the event that matters). Each record
// is consumed by the first matching event, so the informer's periodic resync
// still re-reports everything.
import type { KubeObject } from '../../kube/types.js';

const MAX_ENTRIES = 50_000;

export class OwnWrites {
  private readonly versions = new Map<string, string>();

  private key(obj: KubeObject): string {
    return `${obj.kind}/${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
  }

  record(obj: KubeObject | undefined): void {
    if (!obj?.metadata.resourceVersion) return;
    if (this.versions.size >= MAX_ENTRIES) this.versions.clear();
    this.versions.set(this.key(obj), obj.metadata.resourceVersion);
  }

  /** True (once) when this event reports exactly our last write of the object. */
  isOwn(obj: KubeObject): boolean {
    const key = this.key(obj);
    if (this.versions.get(key) !== obj.metadata.resourceVersion) return false;
    this.versions.delete(key);
    return true;
  }
}
