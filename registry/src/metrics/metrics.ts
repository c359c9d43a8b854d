// Every Prometheus metric the registry exports, in one place, on a registry of
// its own (so several apps can live in one process, as tests do).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { RequestCounter, RequestHistogram } from './request-metrics.js';

export class Metrics {
  readonly registry = new Registry();

  /** Per request: cheap on the request path, read when scraped (request-metrics.ts). */
  readonly httpRequests = new RequestCounter({
    name: 'berth_http_requests_total', help: 'HTTP requests by route, method and status.', registry: this.registry,
  });
  readonly httpDuration = new RequestHistogram({
    name: 'berth_http_request_duration_seconds', help: 'HTTP request latency by route and method.', registry: this.registry,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  });
  readonly bytesReceived = new Counter({
    name: 'berth_http_received_bytes_total', help: 'Request body bytes received, by route.',
    labelNames: ['route'] as const, registers: [this.registry],
  });
  readonly bytesSent = new Counter({
    name: 'berth_http_sent_bytes_total', help: 'Response body bytes sent, by route.',
    labelNames: ['route'] as const, registers: [this.registry],
  });
  readonly activeUploads = new Gauge({
    name: 'berth_uploads_active', help: 'Blob uploads with a request in flight.', registers: [this.registry],
  });
  readonly pushes = new Counter({
    name: 'berth_manifest_pushes_total', help: 'Manifests pushed, by repository.',
    labelNames: ['repository'] as const, registers: [this.registry],
  });
  readonly storageDuration = new Histogram({
    name: 'berth_storage_operation_duration_seconds', help: 'Storage driver operation latency by driver and operation.',
    labelNames: ['driver', 'operation'] as const, registers: [this.registry],
    buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
  });
  readonly storageErrors = new Counter({
    name: 'berth_storage_errors_total', help: 'Storage driver operations that failed (not counting not-found).',
    labelNames: ['driver', 'operation'] as const, registers: [this.registry],
  });
  readonly uploadsPurged = new Counter({
    name: 'berth_uploads_purged_total', help: 'Abandoned uploads deleted by the purger.', registers: [this.registry],
  });
  readonly authFailures = new Counter({
    name: 'berth_auth_failures_total', help: 'Failed authentications by reason (bad_credentials, locked, invalid_token, issuer_unreachable, malformed).',
    labelNames: ['reason'] as const, registers: [this.registry],
  });
  readonly policyReloads = new Counter({
    name: 'berth_policy_reloads_total', help: 'Access policy file loads by result (success, failure).',
    labelNames: ['result'] as const, registers: [this.registry],
  });
  readonly policyLastReloadSuccess = new Gauge({
    name: 'berth_policy_last_reload_success', help: '1 when the last access policy load succeeded, 0 when the file (or a robot file) was rejected.',
    registers: [this.registry],
  });

  // Repository lifecycle: garbage collection, quotas, retention, webhooks.
  readonly gcRuns = new Counter({
    name: 'berth_gc_runs_total', help: 'Garbage collection runs by result (success, aborted, failure, busy: another replica holds the lease).',
    labelNames: ['result'] as const, registers: [this.registry],
  });
  readonly gcDuration = new Histogram({
    name: 'berth_gc_duration_seconds', help: 'Duration of garbage collection runs (retention included).',
    labelNames: ['dry_run'] as const, registers: [this.registry],
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 1800, 3600],
  });
  readonly gcFreedBytes = new Counter({
    name: 'berth_gc_freed_bytes_total', help: 'Bytes of blob content deleted by garbage collection.', registers: [this.registry],
  });
  readonly gcFreedObjects = new Counter({
    name: 'berth_gc_freed_objects_total', help: 'Objects deleted by garbage collection, by kind (blob, manifest, layer_link).',
    labelNames: ['kind'] as const, registers: [this.registry],
  });
  readonly quotaUsedBytes = new Gauge({
    name: 'berth_quota_used_bytes', help: 'Storage counted against a quota scope (a repository or a prefix), including in-progress uploads.',
    labelNames: ['scope'] as const, registers: [this.registry],
  });
  readonly quotaLimitBytes = new Gauge({
    name: 'berth_quota_limit_bytes', help: 'Configured storage quota of a scope.',
    labelNames: ['scope'] as const, registers: [this.registry],
  });
  readonly quotaRefusals = new Counter({
    name: 'berth_quota_refusals_total', help: 'Writes refused because they would exceed a quota, by scope.',
    labelNames: ['scope'] as const, registers: [this.registry],
  });
  readonly retentionDeleted = new Counter({
    name: 'berth_retention_deleted_total', help: 'Tags and manifests deleted by retention rules, by kind.',
    labelNames: ['kind'] as const, registers: [this.registry],
  });
  readonly webhookDeliveries = new Counter({
    name: 'berth_webhook_deliveries_total', help: 'Webhook delivery attempts by receiver host and result (delivered, retried, failed, dropped).',
    labelNames: ['webhook', 'result'] as const, registers: [this.registry],
  });

  // Pull-through cache and replication.
  readonly cacheRequests = new Counter({
    name: 'berth_cache_requests_total',
    help: 'Pulls of cached content by upstream and result (hit: served locally; revalidated: the upstream confirmed it; miss: fetched; stale: served while the upstream failed or lost it; bypass: fetched and not stored).',
    labelNames: ['upstream', 'result'] as const, registers: [this.registry],
  });
  readonly cacheUpstreamRequests = new Counter({
    name: 'berth_cache_upstream_requests_total', help: 'Requests the cache made to an upstream, by method and status ("error" when no answer came).',
    labelNames: ['upstream', 'method', 'status'] as const, registers: [this.registry],
  });
  readonly cacheRateLimitRemaining = new Gauge({
    name: 'berth_cache_upstream_ratelimit_remaining', help: 'The upstream\'s last RateLimit-Remaining header (Docker Hub: pulls left in its window).',
    labelNames: ['upstream'] as const, registers: [this.registry],
  });
  readonly cacheCircuitOpen = new Gauge({
    name: 'berth_cache_upstream_circuit_open', help: '1 while the cache does not ask an upstream that failed, 0 otherwise.',
    labelNames: ['upstream'] as const, registers: [this.registry],
  });
  readonly cacheBytes = new Gauge({
    name: 'berth_cache_bytes', help: 'Bytes of unique content in an upstream\'s cached repositories (what its maxSizeBytes limits).',
    labelNames: ['upstream'] as const, registers: [this.registry],
  });
  readonly cacheEvictions = new Counter({
    name: 'berth_cache_evictions_total', help: 'Cached tags and untagged manifests evicted to stay under an upstream\'s size limit.',
    labelNames: ['upstream'] as const, registers: [this.registry],
  });
  readonly cacheFillBytes = new Counter({
    name: 'berth_cache_fill_bytes_total', help: 'Blob bytes downloaded from an upstream, by whether they were stored (stored, bypass).',
    labelNames: ['upstream', 'mode'] as const, registers: [this.registry],
  });
  readonly replicationRuns = new Counter({
    name: 'berth_replication_runs_total', help: 'Runs of sync and replication rules by rule, kind (sync, replication) and result (success, partial, failure).',
    labelNames: ['rule', 'kind', 'result'] as const, registers: [this.registry],
  });
  readonly replicationCopied = new Counter({
    name: 'berth_replication_copied_total', help: 'Objects a rule copied (manifest, blob) or found already present (skipped).',
    labelNames: ['rule', 'kind'] as const, registers: [this.registry],
  });
  readonly replicationBytes = new Counter({
    name: 'berth_replication_copied_bytes_total', help: 'Blob bytes a rule copied.', labelNames: ['rule'] as const, registers: [this.registry],
  });
  readonly replicationFailures = new Counter({
    name: 'berth_replication_failures_total', help: 'Images a rule failed to copy.', labelNames: ['rule'] as const, registers: [this.registry],
  });
  readonly replicationLastSuccess = new Gauge({
    name: 'berth_replication_last_success_timestamp_seconds', help: 'When a rule last finished without failures (Unix time).',
    labelNames: ['rule'] as const, registers: [this.registry],
  });
  // Supply chain: scanning, the vulnerability database, pull policies, signatures.
  readonly vulnerabilities = new Gauge({
    name: 'berth_vulnerabilities', help: 'Distinct advisories in the tagged images of a repository against the current database, by severity.',
    labelNames: ['repository', 'severity'] as const, registers: [this.registry],
  });
  readonly vulnDbAge = new Gauge({
    name: 'berth_vulndb_age_seconds', help: 'Age of the vulnerability database in use (its newest advisory); absent until one is loaded.',
    registers: [this.registry],
  });
  readonly scanDuration = new Histogram({
    name: 'berth_scan_duration_seconds', help: 'Scans from dequeue to stored result (inventory, SBOM, match), by backend and result.',
    labelNames: ['backend', 'result'] as const, registers: [this.registry],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
  });
  readonly scanQueueDepth = new Gauge({
    name: 'berth_scan_queue_depth', help: 'Scans waiting to run.', registers: [this.registry],
  });
  readonly scanWriteDeferral = new Histogram({
    name: 'berth_scan_write_deferral_seconds', help: 'How long a scan on push yielded to uploads and manifest PUTs in progress, in all, by why it went on (writes-done, max-delay, urgent).',
    labelNames: ['ended'] as const, registers: [this.registry],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
  });
  readonly scansDropped = new Counter({
    name: 'berth_scans_dropped_total', help: 'Scans not queued because the queue was full (the image is scanned when next pulled under a policy, or re-scanned).',
    registers: [this.registry],
  });
  readonly policyDecisions = new Counter({
    name: 'berth_policy_decisions_total', help: 'Pull policy decisions by policy (preventVulnerable, requireSignature) and result (allow, deny, audit, exempt).',
    labelNames: ['policy', 'result'] as const, registers: [this.registry],
  });
  readonly signatureVerifications = new Counter({
    name: 'berth_signature_verifications_total', help: 'Signatures checked, by format (cosign-tag, cosign-referrer, sigstore-bundle, none) and result (verified, rejected, unsigned).',
    labelNames: ['format', 'result'] as const, registers: [this.registry],
  });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'berth_registry_' });
  }
}
