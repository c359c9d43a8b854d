// Every operator metric, on a registry per process (so tests can build several).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class OperatorMetrics {
  readonly registry = new Registry();
  readonly reconcileTotal = new Counter({
    name: 'berth_operator_reconcile_total',
    help: 'Reconciles by controller and result (success, requeue, error, terminal).',
    labelNames: ['controller', 'result'] as const,
    registers: [this.registry],
  });
  readonly reconcileErrors = new Counter({
    name: 'berth_operator_reconcile_errors_total',
    help: 'Reconciles that failed, retried with backoff or terminal.',
    labelNames: ['controller'] as const,
    registers: [this.registry],
  });
  readonly reconcileDuration = new Histogram({
    name: 'berth_operator_reconcile_duration_seconds',
    help: 'Time spent in one reconcile.',
    labelNames: ['controller'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: 'berth_operator_workqueue_depth',
    help: 'Keys waiting in the work queue.',
    labelNames: ['controller'] as const,
    registers: [this.registry],
  });
  readonly queueAdds = new Counter({
    name: 'berth_operator_workqueue_adds_total',
    help: 'Keys added to the work queue.',
    labelNames: ['controller'] as const,
    registers: [this.registry],
  });
  readonly queueRetries = new Counter({
    name: 'berth_operator_workqueue_retries_total',
    help: 'Keys re-queued with backoff after an error.',
    labelNames: ['controller'] as const,
    registers: [this.registry],
  });
  readonly informerRelists = new Counter({
    name: 'berth_operator_informer_relists_total',
    help: 'Full lists by informers (start, 410 Gone, resync, errors).',
    labelNames: ['kind', 'cause'] as const,
    registers: [this.registry],
  });
  readonly leader = new Gauge({
    name: 'berth_operator_leader',
    help: '1 while this process holds the leader lease.',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'berth_operator_' });
  }
}
