// Kubernetes Events (core/v1) for notable changes, attached to the object they
// are about, so `kubectl describe registry x` tells the story. Recording is best
// effort: a failed Event must never fail a reconcile.
import { randomBytes } from 'node:crypto';
import type { KubeClient } from '../kube/client.js';
import type { KubeObject } from '../kube/types.js';
import type { Logger } from './logger.js';

export type EventType = 'Normal' | 'Warning';

export class EventRecorder {
  constructor(private readonly client: KubeClient, private readonly component: string, private readonly log: Logger) {}

  async record(about: KubeObject, type: EventType, reason: string, message: string): Promise<void> {
    const now = new Date().toISOString();
    const namespace = about.metadata.namespace ?? 'default';
    try {
      await this.client.create({
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: `${about.metadata.name}.${randomBytes(8).toString('hex')}`, namespace },
        involvedObject: {
          apiVersion: about.apiVersion,
          kind: about.kind,
          name: about.metadata.name,
          namespace: about.metadata.namespace,
          uid: about.metadata.uid,
          resourceVersion: about.metadata.resourceVersion,
        },
        type,
        reason,
        message,
        source: { component: this.component },
        reportingComponent: this.component,
        reportingInstance: this.component,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      });
    } catch (err) {
      this.log.warn('could not record event', { reason, error: String(err) });
    }
  }
}
