/**
 * dashboards/flowgate.json, the Grafana dashboard: well-formed for import, and every metric its PromQL
 * reads (panels, variables, annotations) exists in flowgate's /metrics output.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { flowgateMetricNames, promqlMetrics } from './promql.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- the dashboard is untyped JSON */
const dashboard = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'dashboards', 'flowgate.json'), 'utf8'));
const panels: any[] = dashboard.panels.filter((p: any) => p.type !== 'row');

/** Every PromQL expression in the dashboard, with where it is. */
function expressions(): { where: string; expr: string }[] {
  const variables = dashboard.templating.list
    .filter((v: any) => v.type === 'query')
    .map((v: any) => ({ where: `variable ${v.name}`, expr: /^label_values\((.*),\s*\w+\)$/.exec(v.query.query)![1]! }));
  const annotations = dashboard.annotations.list.map((a: any) => ({ where: `annotation ${a.name}`, expr: a.expr }));
  const targets = panels.flatMap((p) => p.targets.map((t: any) => ({ where: `panel "${p.title}" ${t.refId}`, expr: t.expr })));
  return [...variables, ...annotations, ...targets];
}

describe('dashboards/flowgate.json', () => {
  let exposed: Set<string>;
  beforeAll(async () => {
    exposed = await flowgateMetricNames();
  }, 120_000);

  it('is a Grafana dashboard: uid, unique panel ids, every panel placed and querying the chosen Prometheus', () => {
    expect(dashboard.uid).toBe('flowgate');
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    const ids = dashboard.panels.map((p: any) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dashboard.panels) {
      expect(p.gridPos.w, p.title).toBeGreaterThan(0);
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
    }
    for (const p of panels) {
      expect(p.datasource, p.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
      expect(p.targets.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets) expect(t.expr, p.title).toMatch(/\S/);
    }
    expect(dashboard.templating.list.find((v: any) => v.name === 'datasource')).toMatchObject({ type: 'datasource', query: 'prometheus' });
  });

  it('shows req/s, p50/p99 per endpoint and variant, errors by code, shadow agreement, reloads, load time, batch sizes, queue depth', () => {
    const all = panels.map((p) => `${p.title}\n${p.targets.map((t: any) => t.expr).join('\n')}`);
    const has = (title: RegExp, expr: RegExp) => all.some((text) => title.test(text.split('\n')[0]!) && expr.test(text));
    expect(has(/Requests\/s by endpoint and variant/, /sum by \(endpoint, variant\) \(rate\(flowgate_endpoint_requests_total/)).toBe(true);
    expect(has(/p50/, /histogram_quantile\(0\.5, sum by \(endpoint, variant, le\)/)).toBe(true);
    expect(has(/p99/, /histogram_quantile\(0\.99, sum by \(endpoint, variant, le\)/)).toBe(true);
    expect(has(/Errors.*code/, /by \(endpoint, variant, code\)/)).toBe(true);
    expect(has(/Shadow agreement/, /outcome="agree"/)).toBe(true);
    expect(has(/reloads/i, /flowgate_model_reloads_total/)).toBe(true);
    expect(has(/load time/i, /flowgate_model_load_seconds_bucket/)).toBe(true);
    expect(has(/Batch size/, /flowgate_batch_size/)).toBe(true);
    expect(has(/queue depth/i, /flowgate_queue_depth/)).toBe(true);
  });

  it('every metric its PromQL reads exists in flowgate’s /metrics', () => {
    const missing = expressions().flatMap(({ where, expr }) => {
      const used = promqlMetrics(expr);
      expect(used.length, where).toBeGreaterThan(0);
      return used.filter((m) => !exposed.has(m)).map((m) => `${where}: ${m}`);
    });
    expect(missing).toEqual([]);
  });
});
