/**
 * Held metric series print as prom-client's own counters and histograms would: cumulative
 * buckets (a value on a bound counts in it), +Inf, _sum and _count, one line per label set.
 */
import { Registry } from 'prom-client';
import { describe, expect, test } from 'vitest';
import { SeriesCounter, SeriesHistogram } from '../../src/metric-series.js';

describe('metric series', () => {
  test('a histogram series prints cumulative buckets, +Inf, sum and count', async () => {
    const registry = new Registry();
    const h = new SeriesHistogram('t_seconds', 'test latency', ['endpoint', 'variant'], [0.1, 1], registry);
    const s = h.with({ endpoint: 'iris', variant: 'a' });
    for (const v of [0.05, 0.1, 0.5, 3]) s.observe(v);
    expect(h.with({ variant: 'a', endpoint: 'iris' })).toBe(s);
    expect(await registry.metrics()).toBe(
      [
        '# HELP t_seconds test latency',
        '# TYPE t_seconds histogram',
        't_seconds_bucket{le="0.1",endpoint="iris",variant="a"} 2',
        't_seconds_bucket{le="1",endpoint="iris",variant="a"} 3',
        't_seconds_bucket{le="+Inf",endpoint="iris",variant="a"} 4',
        't_seconds_sum{endpoint="iris",variant="a"} 3.65',
        't_seconds_count{endpoint="iris",variant="a"} 4',
        '',
      ].join('\n'),
    );
  });

  test('counters keep one series per label set, labels in declared order, values escaped', async () => {
    const registry = new Registry();
    const c = new SeriesCounter('t_total', 'test count', ['endpoint', 'code'], registry);
    c.with({ code: '200', endpoint: 'iris' }).inc();
    c.with({ endpoint: 'iris', code: '200' }).inc(2);
    c.with({ endpoint: 'a"b', code: '500' }).inc();
    expect(await registry.metrics()).toBe(
      ['# HELP t_total test count', '# TYPE t_total counter', 't_total{endpoint="iris",code="200"} 3', 't_total{endpoint="a\\"b",code="500"} 1', ''].join('\n'),
    );
  });
});
