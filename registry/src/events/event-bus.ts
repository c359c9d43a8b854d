// Fans registry events out to the configured webhooks. `emit` never waits and never
// throws: delivery happens in the background (webhook-sink.ts).
import type { RegistryConfig } from '#contract/config/schema.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics/metrics.js';
import { cloudEvent, type EventKind } from './cloudevents.js';
import { WebhookSink } from './webhook-sink.js';

/** Where events go: the webhooks, or nowhere when none is configured. */
export interface EventSink {
  /** `action` refines the type: `cache` + `filled` is dev.berth.registry.cache.filled. */
  emit(kind: EventKind, repository: string | undefined, data: Record<string, unknown>, action?: string): void;
}

export class EventBus implements EventSink {
  private readonly sinks: WebhookSink[];

  constructor(config: RegistryConfig['events'], private readonly source: string, log: Logger, metrics: Metrics) {
    this.sinks = config.webhooks.map((w) => new WebhookSink(w, log, metrics));
  }

  emit(kind: EventKind, repository: string | undefined, data: Record<string, unknown>, action?: string): void {
    const targets = this.sinks.filter((s) => s.wants(kind));
    if (!targets.length) return;
    const event = cloudEvent(kind, this.source, repository, { repository, ...data }, new Date(), action);
    for (const sink of targets) sink.enqueue(event);
  }

  async flushed(): Promise<void> {
    await Promise.all(this.sinks.map((s) => s.flushed()));
  }

  async close(): Promise<void> {
    await Promise.all(this.sinks.map((s) => s.stop()));
  }
}
