// The two metrics every request updates: requests by route, method and status, and
// latency by route and method. prom-client's Counter and Histogram hash a label
// object and validate it on every call, about 3 µs of the ~35 µs a blob HEAD costs
// the event loop (docs/BENCHMARKS.md, "Per-request CPU"); here each series is a
// record found by one string key, and prom-client's registry reads the series only
// when /metrics is scraped, in the format its own classes export.
import type { Registry } from 'prom-client';

type Labels = Record<string, string | number>;

/** One exported sample, as prom-client's registry formats it (`sharedLabels` come after `labels`). */
interface Sample {
  readonly labels: Labels;
  readonly sharedLabels?: Labels;
  readonly value: number;
  readonly metricName?: string;
}

interface MetricData {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'histogram';
  readonly aggregator: 'sum';
  readonly values: Sample[];
}

export interface MetricOptions {
  readonly name: string;
  readonly help: string;
  readonly registry: Registry;
}

/** What prom-client's registry asks of a metric it holds. */
abstract class ScrapedMetric<S> {
  readonly aggregator = 'sum' as const;
  protected readonly series = new Map<string, S>();

  name: string;
  readonly help: string;

  constructor(options: MetricOptions) {
    this.name = options.name;
    this.help = options.help;
    options.registry.registerMetric(this as never);
  }

  abstract readonly type: 'counter' | 'histogram';
  protected abstract samples(): Sample[];

  /** The samples with their labels merged (prom-client's `get`, used for JSON). */
  get(): Promise<MetricData> {
    const values = this.samples().map((s) => ({ value: s.value, metricName: s.metricName, labels: { ...s.labels, ...s.sharedLabels } }));
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values });
  }

  /** The samples as the text exposition formats them. */
  getForPromString(): Promise<MetricData> {
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.samples() });
  }

  reset(): void {
    this.series.clear();
  }
}

interface CounterSeries {
  readonly labels: Labels;
  value: number;
}

/** `berth_http_requests_total{route, method, status}`. */
export class RequestCounter extends ScrapedMetric<CounterSeries> {
  readonly type = 'counter' as const;

  inc(route: string, method: string, status: number): void {
    const key = `${route} ${method} ${status}`;
    const series = this.series.get(key);
    if (series) series.value += 1;
    else this.series.set(key, { labels: { route, method, status }, value: 1 });
  }

  protected samples(): Sample[] {
    return [...this.series.values()].map((s) => ({ labels: { ...s.labels }, value: s.value }));
  }
}

interface HistogramSeries {
  readonly labels: Labels;
  /** Observations per bucket (not cumulative), one more than the bounds for +Inf. */
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

/** `berth_http_request_duration_seconds{route, method}`. */
export class RequestHistogram extends ScrapedMetric<HistogramSeries> {
  readonly type = 'histogram' as const;

  private readonly bounds: readonly number[];

  constructor(options: MetricOptions & { readonly buckets: readonly number[] }) {
    super(options);
    this.bounds = options.buckets;
  }

  observe(route: string, method: string, seconds: number): void {
    const key = `${route} ${method}`;
    let series = this.series.get(key);
    if (!series) {
      series = { labels: { route, method }, counts: new Float64Array(this.bounds.length + 1), sum: 0, count: 0 };
      this.series.set(key, series);
    }
    let b = 0;
    while (b < this.bounds.length && seconds > this.bounds[b]) b += 1;
    series.counts[b] += 1;
    series.sum += seconds;
    series.count += 1;
  }

  protected samples(): Sample[] {
    const bucket = `${this.name}_bucket`;
    const out: Sample[] = [];
    for (const s of this.series.values()) {
      let cumulative = 0;
      this.bounds.forEach((le, i) => {
        cumulative += s.counts[i];
        out.push({ labels: { le }, sharedLabels: s.labels, value: cumulative, metricName: bucket });
      });
      out.push(
        { labels: { le: '+Inf' }, sharedLabels: s.labels, value: s.count, metricName: bucket },
        { labels: {}, sharedLabels: s.labels, value: s.sum, metricName: `${this.name}_sum` },
        { labels: {}, sharedLabels: s.labels, value: s.count, metricName: `${this.name}_count` },
      );
    }
    return out;
  }
}
