import { Counter, Histogram, Registry, type OpenMetricsContentType } from 'prom-client';
import { RequestCounter, RequestHistogram } from './request-metrics.js';

const BOUNDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

// The same requests through prom-client's own classes and through these: the
// registry must export the same text and the same JSON.
function both() {
  const theirs = new Registry();
  const ours = new Registry();
  const counter = new Counter({ name: 'berth_http_requests_total', help: 'HTTP requests by route, method and status.', labelNames: ['route', 'method', 'status'], registers: [theirs] });
  const histogram = new Histogram({ name: 'berth_http_request_duration_seconds', help: 'HTTP request latency by route and method.', labelNames: ['route', 'method'], registers: [theirs], buckets: BOUNDS });
  const requests = new RequestCounter({ name: 'berth_http_requests_total', help: 'HTTP requests by route, method and status.', registry: ours });
  const durations = new RequestHistogram({ name: 'berth_http_request_duration_seconds', help: 'HTTP request latency by route and method.', registry: ours, buckets: BOUNDS });
  const record = (route: string, method: string, status: number, seconds: number) => {
    counter.inc({ route, method, status });
    histogram.observe({ route, method }, seconds);
    requests.inc(route, method, status);
    durations.observe(route, method, seconds);
  };
  return { theirs, ours, record };
}

describe('request metrics', () => {
  it('export what prom-client exports for the same requests, as text and as JSON', async () => {
    const { theirs, ours, record } = both();
    // On a bound, between bounds, below the first, above the last (only +Inf), zero.
    const seconds = [0.0005, 0.0007, 0.0001, 31, 0, 0.01, 2.5, 2.6, 0.3];
    seconds.forEach((s, i) => record(i % 3 === 0 ? 'blob' : 'manifest', i % 2 === 0 ? 'HEAD' : 'GET', i === 3 ? 404 : 200, s));
    record('refused', 'unknown', 400, 0.002);
    expect(await ours.metrics()).toBe(await theirs.metrics());
    // prom-client's buckets also carry `exemplar: null` (exemplars are off).
    const withoutExemplars = (json: unknown) => JSON.parse(JSON.stringify(json, (k, v: unknown) => (k === 'exemplar' && v === null ? undefined : v))) as unknown;
    expect(withoutExemplars(await ours.getMetricsAsJSON())).toEqual(withoutExemplars(await theirs.getMetricsAsJSON()));
    expect(await ours.metrics()).toContain('berth_http_request_duration_seconds_bucket{le="+Inf",route="blob",method="GET"} 1');
  });

  it('export the same in OpenMetrics, and start again from zero when reset', async () => {
    const { theirs, ours, record } = both();
    for (const r of [theirs, ours]) (r as unknown as Registry<OpenMetricsContentType>).setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    record('blob', 'HEAD', 200, 0.001);
    expect(await ours.metrics()).toBe(await theirs.metrics());
    theirs.resetMetrics();
    ours.resetMetrics();
    record('tags', 'GET', 200, 0.02);
    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(await ours.metrics()).not.toContain('route="blob"');
  });
});
