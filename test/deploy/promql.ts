/**
 * The metric names a PromQL expression reads, and the metric names flowgate's /metrics exposes,
 * so the alert rules and the Grafana dashboard can be checked against what flowgate really serves.
 */
import { copyExampleRegistry, writeAbEndpointsFile } from '../helpers/registry.js';
import { quietLogger } from '../helpers/server.js';
import { serveConfig } from '../../src/config.js';
import { startServer } from '../../src/server.js';

const FUNCTIONS = new Set(
  ('abs absent absent_over_time avg_over_time ceil changes clamp clamp_max clamp_min count_over_time day_of_month day_of_week ' +
    'delta deriv exp floor histogram_quantile histogram_count histogram_sum holt_winters idelta increase irate label_join label_replace ' +
    'last_over_time ln log2 log10 max_over_time min_over_time predict_linear quantile_over_time rate resets round scalar sgn sort sort_desc ' +
    'sqrt stddev_over_time stdvar_over_time sum_over_time time timestamp vector year ' +
    'sum min max avg group stddev stdvar count count_values bottomk topk quantile ' +
    'by without on ignoring group_left group_right bool and or unless offset inf nan').split(' '),
);

/** Metric names in a PromQL expression (Grafana's $variables allowed). */
export function promqlMetrics(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""') // strings
    .replace(/\{[^}]*\}/g, '') // label matchers
    .replace(/\[[^\]]*\]/g, '') // ranges and subqueries
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '') // label lists
    .replace(/\$\{?\w+\}?/g, '') // Grafana variables outside matchers
    .replace(/\b\d+(\.\d+)?(e[+-]?\d+)?\b/gi, ''); // numbers
  const names = [...stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)].map((m) => m[0]).filter((n) => !FUNCTIONS.has(n.toLowerCase()));
  return [...new Set(names)];
}

/**
 * Every series name flowgate's /metrics exposes (histograms as _bucket, _sum, _count), from a real
 * server serving an endpoints file with an A/B split and a shadow, after one prediction.
 */
export async function flowgateMetricNames(): Promise<Set<string>> {
  const root = copyExampleRegistry();
  const config = writeAbEndpointsFile(root);
  const server = await startServer(serveConfig({ config, trackingUri: root, port: '0', pollInterval: '0', logLevel: 'silent' }, {}), {}, quietLogger);
  try {
    await fetch(`${server.url}/invocations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"inputs": [[5.1, 3.5, 1.4, 0.2]]}' });
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const names = new Set<string>();
    for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
      if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${name}${suffix}`);
      else if (type === 'summary') for (const suffix of ['', '_sum', '_count']) names.add(`${name}${suffix}`);
      else names.add(name!);
    }
    return names;
  } finally {
    await server.close();
  }
}
