/**
 * Prometheus counters, gauges and histograms for the per-request hot path. prom-client hashes the
 * label object on every inc/observe (several µs a request); here a caller takes the series
 * of a label set once, keeps it, and adds plain numbers to it. The registry reads the
 * series when /metrics is scraped, in prom-client's own exposition format.
 */
import type { Metric, Registry } from 'prom-client';

type Labels = Record<string, string>;

interface Sample {
  metricName?: string;
  labels: Record<string, string | number>;
  value: number;
}

export class CounterSeries {
  value = 0;

  constructor(readonly labels: Labels) {}

  inc(by = 1): void {
    this.value += by;
  }
}

export class GaugeSeries {
  value = 0;

  constructor(readonly labels: Labels) {}

  inc(): void {
    this.value++;
  }

  dec(): void {
    this.value--;
  }
}

export class HistogramSeries {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Labels,
    private readonly upperBounds: readonly number[],
  ) {
    this.counts = new Float64Array(upperBounds.length);
  }

  observe(value: number): void {
    const bounds = this.upperBounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    if (i < bounds.length) this.counts[i]!++;
    this.sum += value;
    this.count++;
  }
}

/** The series of one metric, by label values in `labelNames` order. */
abstract class SeriesMetric<S extends { labels: Labels }> {
  abstract readonly type: 'counter' | 'gauge' | 'histogram';
  protected readonly series = new Map<string, S>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    registry: Registry,
  ) {
    // The registry duck-types metrics: it calls get() and reads name, help and type.
    registry.registerMetric(this as unknown as Metric);
  }

  /** The series of `labels` (created at zero on first use); hold on to it. */
  with(labels: Labels): S {
    const key = this.labelNames.map((n) => labels[n] ?? '').join('\u0000');
    let s = this.series.get(key);
    if (s === undefined) {
      const own: Labels = {};
      for (const n of this.labelNames) own[n] = labels[n] ?? '';
      s = this.create(own);
      this.series.set(key, s);
    }
    return s;
  }

  protected abstract create(labels: Labels): S;
  protected abstract samples(s: S): Sample[];

  get(): { name: string; help: string; type: string; values: Sample[]; aggregator: 'sum' } {
    const values: Sample[] = [];
    for (const s of this.series.values()) values.push(...this.samples(s));
    return { name: this.name, help: this.help, type: this.type, values, aggregator: 'sum' };
  }
}

/** Counters and gauges: one sample per series, its value. */
abstract class SeriesOfValues<S extends { labels: Labels; value: number }> extends SeriesMetric<S> {
  protected samples(s: S): Sample[] {
    return [{ labels: s.labels, value: s.value }];
  }
}

export class SeriesCounter extends SeriesOfValues<CounterSeries> {
  readonly type = 'counter';

  protected create(labels: Labels): CounterSeries {
    return new CounterSeries(labels);
  }
}

export class SeriesGauge extends SeriesOfValues<GaugeSeries> {
  readonly type = 'gauge';

  protected create(labels: Labels): GaugeSeries {
    return new GaugeSeries(labels);
  }
}

export class SeriesHistogram extends SeriesMetric<HistogramSeries> {
  readonly type = 'histogram';

  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    private readonly buckets: readonly number[],
    registry: Registry,
  ) {
    super(name, help, labelNames, registry);
  }

  protected create(labels: Labels): HistogramSeries {
    return new HistogramSeries(labels, this.buckets);
  }

  protected samples(s: HistogramSeries): Sample[] {
    const out: Sample[] = [];
    let cumulative = 0;
    this.buckets.forEach((le, i) => {
      cumulative += s.counts[i]!;
      out.push({ metricName: `${this.name}_bucket`, labels: { le, ...s.labels }, value: cumulative });
    });
    out.push({ metricName: `${this.name}_bucket`, labels: { le: '+Inf', ...s.labels }, value: s.count });
    out.push({ metricName: `${this.name}_sum`, labels: s.labels, value: s.sum });
    out.push({ metricName: `${this.name}_count`, labels: s.labels, value: s.count });
    return out;
  }
}
