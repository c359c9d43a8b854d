// What every controller is built from: the API client, the Event recorder, the
// process logger and its metrics.
import type { KubeClient } from '../kube/client.js';
import type { EventRecorder } from '../runtime/events.js';
import type { Logger } from '../runtime/logger.js';
import type { OperatorMetrics } from '../runtime/metrics.js';

export interface ControllerDeps {
  client: KubeClient;
  events: EventRecorder;
  log: Logger;
  metrics: OperatorMetrics;
}
