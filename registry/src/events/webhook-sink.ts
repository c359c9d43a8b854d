// One webhook: a bounded in-memory queue drained by a single sender, so events reach
// the receiver in order and a slow or dead receiver never blocks a request (emit only
// enqueues; a full queue drops the oldest event and counts it). Failed deliveries
// (network error, timeout, non-2xx) are retried with exponential backoff.
import type { RegistryConfig } from '#contract/config/schema.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics/metrics.js';
import type { CloudEvent } from './cloudevents.js';

type WebhookConfig = RegistryConfig['events']['webhooks'][number];

export class WebhookSink {
  private readonly queue: CloudEvent[] = [];
  private draining = false;
  private stopped = false;
  private wake?: () => void;
  private idle: Promise<void> = Promise.resolve();
  /** Label for metrics and logs: the receiver's origin, never its path or credentials. */
  readonly name: string;

  constructor(private readonly config: WebhookConfig, private readonly log: Logger, private readonly metrics: Metrics) {
    this.name = new URL(config.url).host;
  }

  wants(kind: string): boolean {
    return (this.config.events as string[]).includes(kind);
  }

  enqueue(event: CloudEvent): void {
    if (this.stopped) return;
    if (this.queue.length >= this.config.queueSize) {
      this.queue.shift();
      this.metrics.webhookDeliveries.inc({ webhook: this.name, result: 'dropped' });
    }
    this.queue.push(event);
    if (!this.draining) {
      this.draining = true;
      this.idle = this.drain().finally(() => { this.draining = false; });
    }
  }

  /** Resolves when the queue is empty (tests and graceful stop). */
  async flushed(): Promise<void> {
    while (this.draining) await this.idle;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const dropped = this.queue.length;
    this.queue.length = 0;
    this.wake?.();
    await this.idle.catch(() => undefined);
    if (dropped) this.log.warn({ msg: 'webhook events dropped at shutdown', webhook: this.name, count: dropped });
  }

  private async drain(): Promise<void> {
    while (!this.stopped && this.queue.length) {
      const event = this.queue[0];
      await this.deliver(event);
      if (this.queue[0] === event) this.queue.shift();
    }
  }

  private async deliver(event: CloudEvent): Promise<void> {
    const body = JSON.stringify(event);
    for (let attempt = 0; !this.stopped; attempt++) {
      const problem = await this.send(body);
      if (!problem) {
        this.metrics.webhookDeliveries.inc({ webhook: this.name, result: 'delivered' });
        return;
      }
      if (attempt >= this.config.maxRetries) {
        this.metrics.webhookDeliveries.inc({ webhook: this.name, result: 'failed' });
        this.log.warn({ msg: 'webhook delivery failed; event dropped', webhook: this.name, eventId: event.id, type: event.type, problem });
        return;
      }
      this.metrics.webhookDeliveries.inc({ webhook: this.name, result: 'retried' });
      const delayMs = Math.min(this.config.backoffSeconds * 1000 * 2 ** attempt, this.config.maxBackoffSeconds * 1000);
      await this.sleep(delayMs);
    }
  }

  /** Undefined on success, else what went wrong. */
  private async send(body: string): Promise<string | undefined> {
    try {
      const res = await fetch(this.config.url, {
        method: 'POST',
        headers: { ...this.config.headers, 'Content-Type': 'application/cloudevents+json; charset=utf-8' },
        body,
        signal: AbortSignal.timeout(this.config.timeoutSeconds * 1000),
      });
      await res.arrayBuffer().catch(() => undefined);
      return res.ok ? undefined : `HTTP ${res.status}`;
    } catch (err) {
      return (err as Error).message;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => { this.wake = undefined; resolve(); }, ms);
      this.wake = () => { clearTimeout(timer); resolve(); };
    });
  }
}
