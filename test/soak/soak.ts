/**
 * The soak (`npm run soak`; SOAK_SECONDS, default 600): `flowgate serve` as a child process
 * with an endpoints file (endpoint iris: an A/B split on @champion and @challenger with a
 * shadow on Staging; iris-v1 pinned; lr, the MLflow session model, when the shared fixtures
 * are there) under saturating mixed traffic: valid requests in every input format and V2,
 * invalid ones, hostile ones (depth and element bombs, bodies past the limit, oversized
 * headers, invalid UTF-8, aborted uploads), the recorded real-MLflow serving session with
 * MLflow's own statuses (the request corpus), slow clients trickling headers and bodies at
 * the default timeouts, and /metrics scrapes. Every 30 s @champion moves (a file-store alias
 * edit), so the server hot-reloads under load.
 *
 * Checks: no unexpected status or connection error; every reload seen in the answers
 * (the new version answers within 10 s); RSS flat (at the end at most 1.3x the RSS after
 * warm-up); p99 of valid requests stable by window (the later half of the windows' median
 * at most 2x the earlier half's, plus 50 ms: other load on the machine moves single windows,
 * a leak or a slowing server shows as a rise); every slow client closed by the server; no 500s of ours; a clean exit on
 * SIGTERM. Writes a report (test/soak/RESULTS.md for runs of 300 s or more, else
 * test/.generated/soak-results.md; SOAK_RESULTS overrides) and prints
 * `soak: N passed, M failed` for .ci/run.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { Socket } from 'node:net';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { REFUSAL_REASONS } from '../../src/metrics.js';
import { HAVE_SHARED, MLFLOW_REAL, REPO, servingExchanges } from '../helpers/fixtures.js';
import { copyExampleRegistry, setAlias } from '../helpers/registry.js';
import { startServeProcess, type ServeProcess } from '../helpers/serve-process.js';
import { trickler } from '../helpers/slow-clients.js';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 600);
const CONCURRENCY = Number(process.env.SOAK_CONCURRENCY ?? 16);
const RELOAD_SECONDS = 30;
/** The first part of the run, not held to the RSS and p99 checks (allocators and JITs settle). */
const WARMUP_SECONDS = Math.min(60, Math.max(10, Math.round(SECONDS * 0.2)));
/** p99 is reported by minute; shorter runs by sixths. */
const WINDOW_SECONDS = SECONDS >= 300 ? 60 : Math.max(5, Math.round(SECONDS / 6));
/** A reload must show in the answers within this long. */
const RELOAD_GRACE_MS = 10_000;
const RESULTS = process.env.SOAK_RESULTS ?? (SECONDS >= 300 ? join(REPO, 'test/soak/RESULTS.md') : join(REPO, 'test/.generated/soak-results.md'));
/** Limits low enough that the hostile cases meet them cheaply (the valid ones stay far below). */
const MAX_BODY = 1_000_000;
const MAX_ELEMENTS = 100_000;

interface Case {
  name: string;
  kind: 'valid' | 'invalid' | 'hostile' | 'corpus';
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer | null;
  /** the statuses that are right; 0 stands for "no response" where that is the point (an aborted upload) */
  expect: number[];
  /** sent as half a body, then the connection is destroyed */
  abort?: boolean;
}

const JSON_TYPE = { 'Content-Type': 'application/json' };
const ROW = [5.1, 3.5, 1.4, 0.2];
const COLUMNS = ['sepal length (cm)', 'sepal width (cm)', 'petal length (cm)', 'petal width (cm)'];

function jsonCase(name: string, kind: Case['kind'], path: string, body: string | Buffer, expectStatus: number[], headers: Record<string, string> = JSON_TYPE): Case {
  return { name, kind, method: 'POST', path, headers, body: Buffer.from(body), expect: expectStatus };
}

function cases(): Case[] {
  const list: Case[] = [];
  for (const path of ['/invocations', '/endpoints/iris/invocations', '/endpoints/iris-v1/invocations']) {
    const at = path === '/invocations' ? '' : ` ${path.split('/')[2]}`;
    list.push(jsonCase(`inputs${at}`, 'valid', path, JSON.stringify({ inputs: [ROW, [6.7, 3.0, 5.2, 2.3]] }), [200]));
    list.push(jsonCase(`instances${at}`, 'valid', path, JSON.stringify({ instances: [ROW] }), [200]));
  }
  list.push(jsonCase('inputs 100 rows', 'valid', '/endpoints/iris/invocations', JSON.stringify({ inputs: Array.from({ length: 100 }, (_, i) => ROW.map((x) => x + i / 100)) }), [200]));
  list.push(jsonCase('V2 infer', 'valid', '/v2/models/iris/infer', JSON.stringify({ inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: ROW }] }), [200]));
  list.push({ name: 'V2 ready', kind: 'valid', method: 'GET', path: '/v2/models/iris/ready', headers: {}, body: null, expect: [200] });
  // invalid: the client's mistakes, each with its protocol's error
  list.push(jsonCase('truncated JSON', 'invalid', '/invocations', '{"inputs": [[5.1, 3.5', [400]));
  list.push(jsonCase('wrong shape', 'invalid', '/invocations', JSON.stringify({ inputs: [[1, 2, 3]] }), [400]));
  list.push(jsonCase('string in a float tensor', 'invalid', '/invocations', JSON.stringify({ inputs: [['a', 'b', 'c', 'd']] }), [400]));
  list.push(jsonCase('unknown key', 'invalid', '/invocations', JSON.stringify({ rows: [ROW] }), [400]));
  list.push(jsonCase('empty body', 'invalid', '/invocations', '', [400]));
  list.push(jsonCase('text/plain', 'invalid', '/invocations', JSON.stringify({ inputs: [ROW] }), [415], { 'Content-Type': 'text/plain' }));
  list.push(jsonCase('unknown endpoint', 'invalid', '/endpoints/nope/invocations', JSON.stringify({ inputs: [ROW] }), [404]));
  list.push({ name: 'GET /invocations', kind: 'invalid', method: 'GET', path: '/invocations', headers: {}, body: null, expect: [405] });
  list.push(jsonCase('V2 wrong datatype', 'invalid', '/v2/models/iris/infer', JSON.stringify({ inputs: [{ name: 'input', shape: [1, 4], datatype: 'BYTES', data: ['a', 'b', 'c', 'd'] }] }), [400]));
  list.push(jsonCase('V2 unknown model', 'invalid', '/v2/models/nope/infer', JSON.stringify({ inputs: [] }), [404]));
  // hostile: built to hurt a server
  list.push(jsonCase('depth bomb', 'hostile', '/invocations', `{"inputs": ${'['.repeat(50_000)}1${']'.repeat(50_000)}}`, [400]));
  list.push(jsonCase('element bomb (past --max-elements)', 'hostile', '/invocations', `{"inputs": [${Array.from({ length: 200_000 }, () => '0').join(',')}]}`, [400]));
  list.push(jsonCase('body past --max-body-size', 'hostile', '/invocations', `{"inputs": [[${' '.repeat(MAX_BODY * 2)}1]]}`, [413]));
  list.push(jsonCase('body past the limit, V2', 'hostile', '/v2/models/iris/infer', `{"inputs": [${' '.repeat(MAX_BODY * 2)}]}`, [413]));
  list.push(jsonCase('invalid UTF-8', 'hostile', '/invocations', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x20, 0xc3, 0x28, 0x7d]), [400]));
  list.push(jsonCase('NaN and Infinity', 'hostile', '/invocations', '{"inputs": [[NaN, Infinity, -Infinity, 1e400]]}', [200, 400]));
  list.push(jsonCase('__proto__ keys', 'hostile', '/invocations', `{"__proto__": {"polluted": 1}, "constructor": {"prototype": {"x": 1}}, "inputs": [${JSON.stringify(ROW)}]}`, [200, 400]));
  list.push(jsonCase('a 1 MB string', 'hostile', '/invocations', JSON.stringify({ inputs: [['x'.repeat(900_000), 1, 2, 3]] }), [400]));
  list.push(jsonCase('20 KB header', 'hostile', '/invocations', JSON.stringify({ inputs: [ROW] }), [431], { ...JSON_TYPE, 'X-Big': 'x'.repeat(20_000) }));
  list.push({ ...jsonCase('aborted upload', 'hostile', '/invocations', JSON.stringify({ inputs: Array.from({ length: 500 }, () => ROW) }), [0]), abort: true });
  list.push(jsonCase('sticky key in a bomb', 'hostile', '/endpoints/iris/invocations', `{"inputs": [${JSON.stringify(ROW)}], "x": ${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}`, [400]));
  if (HAVE_SHARED) {
    // the recorded real-MLflow session: MLflow's own statuses (its HTML 500 without a Content-Type is a clean 415 here)
    for (const e of servingExchanges('iris-lr')) {
      const path = e.request.path === '/invocations' ? '/endpoints/lr/invocations' : e.request.path;
      const headers = Object.fromEntries(Object.entries(e.request.headers ?? {}).filter(([k]) => k.toLowerCase() !== 'content-length'));
      const status = e.case === 'no_content_type' ? 415 : e.response.status;
      list.push({ name: `mlflow ${e.case}`, kind: 'corpus', method: e.request.method, path, headers, body: e.request.body === null ? null : Buffer.from(e.request.body), expect: [status] });
    }
  }
  return list;
}

/** Valid requests most of the time: the mix is about 70 % valid, 15 % corpus, 10 % invalid, 5 % hostile. */
function schedule(all: Case[]): Case[] {
  const by = (kind: Case['kind']) => all.filter((c) => c.kind === kind);
  const weights: [Case['kind'], number][] = [
    ['valid', 70],
    ['corpus', HAVE_SHARED ? 15 : 0],
    ['invalid', HAVE_SHARED ? 10 : 20],
    ['hostile', 5],
  ];
  const order: Case[] = [];
  for (const [kind, weight] of weights) {
    const pool = by(kind);
    for (let i = 0; i < weight * 4; i++) order.push(pool[i % pool.length]!);
  }
  // a fixed shuffle, so runs compare
  let seed = 42;
  for (let i = order.length - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    const j = seed % (i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

interface Outcome {
  status: number;
  error?: string;
  ms: number;
  variant?: string;
  version?: string;
}

function send(agent: http.Agent, base: URL, c: Case): Promise<Outcome> {
  const start = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const done = (o: Omit<Outcome, 'ms'>) => {
      if (settled) return;
      settled = true;
      resolve({ ...o, ms: performance.now() - start });
    };
    const headers: Record<string, string | number> = { ...c.headers };
    if (c.body !== null) headers['Content-Length'] = c.body.length;
    const req = http.request(new URL(c.path, base), { method: c.method, agent, headers }, (res) => {
      res.resume();
      res.on('end', () =>
        done({ status: res.statusCode ?? 0, variant: res.headers['x-flowgate-variant'] as string | undefined, version: res.headers['x-flowgate-version'] as string | undefined }),
      );
      res.on('error', (err: NodeJS.ErrnoException) => done({ status: 0, error: err.code ?? err.message }));
    });
    req.on('error', (err: NodeJS.ErrnoException) => done({ status: 0, error: err.code ?? err.message }));
    if (c.abort === true && c.body !== null) {
      req.write(c.body.subarray(0, c.body.length >> 1), () => {
        req.destroy();
        done({ status: 0, error: 'aborted by the client' });
      });
      return;
    }
    req.end(c.body ?? undefined);
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? NaN : Number(m[1]) * 1024;
}

function metric(text: string, name: string, labels = ''): number {
  let total = 0;
  for (const line of text.split('\n')) if (line.startsWith(name) && (line[name.length] === '{' || line[name.length] === ' ') && line.includes(labels)) total += Number(line.split(' ').pop());
  return total;
}

const mb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MB`;

test(`soak: ${SECONDS} s of mixed traffic with a hot reload every ${RELOAD_SECONDS} s`, { timeout: (SECONDS + 180) * 1000 }, async () => {
  const root = copyExampleRegistry();
  const lrModel = join(MLFLOW_REAL, 'registry-file/mlruns/936584470095583637/af1742cddb814a5e9bb2218bc0c23c7c/artifacts/model');
  const configFile = join(root, 'flowgate.yaml');
  writeFileSync(
    configFile,
    [
      'default_endpoint: iris',
      'endpoints:',
      '  iris:',
      '    variants:',
      '      - { name: champion, model: "models:/iris@champion", weight: 70 }',
      '      - { name: challenger, model: "models:/iris@challenger", weight: 30 }',
      '    shadow:',
      '      - { name: staging, model: "models:/iris/Staging", sample: 0.5 }',
      '  iris-v1:',
      '    variants: [ { name: pinned, model: "models:/iris/1" } ]',
      ...(HAVE_SHARED ? ['  lr:', `    variants: [ { name: production, model: "${lrModel}" } ]`] : []),
      '',
    ].join('\n'),
  );
  setAlias(root, 'iris', 'champion', 1);
  let server: ServeProcess | undefined;
  const all = cases();
  const order = schedule(all);
  const errors = new Map<string, number>();
  const byCase = new Map<string, { sent: number; statuses: Map<number, number> }>();
  const windows: number[][] = [];
  const rss: { t: number; bytes: number }[] = [];
  const reloads: { t: number; version: string; seenAt: number | null }[] = [];
  const slow: Promise<number>[] = [];
  const slowSockets: Socket[] = [];
  let scrapes = 0;
  let requests = 0;
  const checks: { name: string; ok: boolean; detail: string }[] = [];
  try {
    server = await startServeProcess(['--config', configFile, '--tracking-uri', root, '--poll-interval', '1', '--max-body-size', String(MAX_BODY), '--max-elements', String(MAX_ELEMENTS), '--access-log', 'off', '--shutdown-delay', '0']);
    const base = new URL(server.url);
    const pid = server.child.pid!;
    const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY * 2 });
    const loadBefore = loadavg()[0]!;
    const t0 = Date.now();
    const elapsed = () => (Date.now() - t0) / 1000;
    const end = t0 + SECONDS * 1000;
    let next = 0;
    const record = (c: Case, o: Outcome) => {
      requests++;
      const entry = byCase.get(c.name) ?? { sent: 0, statuses: new Map<number, number>() };
      entry.sent++;
      entry.statuses.set(o.status, (entry.statuses.get(o.status) ?? 0) + 1);
      byCase.set(c.name, entry);
      if (!c.expect.includes(o.status)) {
        const kind = `${c.name}: ${o.status === 0 ? (o.error ?? 'no response') : `HTTP ${o.status}`}`;
        errors.set(kind, (errors.get(kind) ?? 0) + 1);
      }
      if (c.kind === 'valid' && o.status === 200) {
        const w = Math.floor(elapsed() / WINDOW_SECONDS);
        (windows[w] ??= []).push(o.ms);
      }
      const reload = reloads[reloads.length - 1];
      if (reload !== undefined && reload.seenAt === null && o.variant === 'champion' && o.version === reload.version) reload.seenAt = Date.now() - reload.t;
    };
    const loop = async () => {
      while (Date.now() < end) {
        const c = order[next++ % order.length]!;
        record(c, await send(agent, base, c));
      }
    };
    const timers: NodeJS.Timeout[] = [];
    timers.push(
      setInterval(() => rss.push({ t: elapsed(), bytes: rssBytes(pid) }), 1000),
      setInterval(() => {
        const version = reloads.length % 2 === 0 ? '2' : '1';
        setAlias(root, 'iris', 'champion', Number(version));
        reloads.push({ t: Date.now(), version, seenAt: null });
      }, RELOAD_SECONDS * 1000),
      setInterval(() => {
        void Promise.all([fetch(`${server!.url}/metrics`), fetch(`${server!.url}/endpoints`)]).then(async (answers) => {
          for (const a of answers) {
            await a.arrayBuffer();
            if (a.status !== 200) errors.set(`scrape: HTTP ${a.status}`, (errors.get(`scrape: HTTP ${a.status}`) ?? 0) + 1);
          }
          scrapes++;
        }, (err: Error) => errors.set(`scrape: ${err.message}`, (errors.get(`scrape: ${err.message}`) ?? 0) + 1));
      }, 5000),
    );
    // slow clients at the default timeouts (10 s for headers, 30 s for a body): opened while they can still be closed before the end
    const openSlow = (first = false) => {
      if (!first && elapsed() > SECONDS - 40) return;
      for (let i = 0; i < 10; i++) {
        const t = trickler(Number(base.port), 'POST /invocations HTTP/1.1\r\nHost: x\r\n', 'X-Slow: a\r\n', 2000);
        slow.push(t.closedAfterMs);
        slowSockets.push(t.socket);
      }
      for (let i = 0; i < 3; i++) {
        const t = trickler(Number(base.port), 'POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n', ' ', 2000);
        slow.push(t.closedAfterMs);
        slowSockets.push(t.socket);
      }
    };
    openSlow(true);
    timers.push(setInterval(openSlow, 10_000));
    await Promise.all(Array.from({ length: CONCURRENCY }, loop));
    for (const t of timers) clearInterval(t);
    // the sockets are only closed by us after this: a close before is the server's
    const slowOutcomes = await Promise.all(slow.map((p) => Promise.race([p, new Promise<number>((r) => setTimeout(() => r(Infinity), 45_000))])));
    const metricsText = await (await fetch(`${server.url}/metrics`)).text();
    agent.destroy();
    server.child.kill('SIGTERM');
    const exit = await server.exited;

    // the checks
    const after = rss.filter((r) => r.t >= WARMUP_SECONDS);
    const rssWarm = after[0]?.bytes ?? NaN;
    const rssEnd = rss[rss.length - 1]?.bytes ?? NaN;
    const rssMax = Math.max(...after.map((r) => r.bytes));
    const p99s = windows.map((w) => percentile([...w].sort((a, b) => a - b), 99));
    const held = p99s.filter((_, i) => (i + 1) * WINDOW_SECONDS > WARMUP_SECONDS && (i + 1) * WINDOW_SECONDS <= SECONDS);
    const median = percentile([...held].sort((a, b) => a - b), 50);
    // Stability as a trend: the machine's other load makes single windows jump; a leak or a slowing server shows as a rise.
    const half = Math.floor(held.length / 2);
    const early = percentile(held.slice(0, half).sort((a, b) => a - b), 50);
    const late = percentile(held.slice(held.length - half).sort((a, b) => a - b), 50);
    const seen = reloads.filter((r) => r.seenAt !== null && r.seenAt <= RELOAD_GRACE_MS).length;
    const judged = reloads.filter((r) => Date.now() - r.t > RELOAD_GRACE_MS || r.seenAt !== null);
    const closedBySlow = slowOutcomes.filter((ms) => ms <= 45_000).length;
    const unexpected = [...errors.values()].reduce((a, b) => a + b, 0);
    checks.push(
      { name: 'no unexpected status or connection error', ok: unexpected === 0, detail: `${unexpected} of ${requests}` },
      { name: 'no 500 of ours (flowgate_internal_errors_total)', ok: metric(metricsText, 'flowgate_internal_errors_total') === 0, detail: String(metric(metricsText, 'flowgate_internal_errors_total')) },
      { name: `every reload answered by the new version within ${RELOAD_GRACE_MS / 1000} s`, ok: judged.length > 0 ? seen === judged.length : SECONDS < RELOAD_SECONDS, detail: `${seen} of ${judged.length}` },
      { name: 'RSS flat: at the end at most 1.3x the RSS after warm-up', ok: rssEnd <= rssWarm * 1.3, detail: `${mb(rssWarm)} → ${mb(rssEnd)} (max ${mb(rssMax)})` },
      {
        name: 'p99 stable: the later half of the windows at most 2x the earlier half (medians), plus 50 ms',
        ok: held.length > 1 && late <= 2 * early + 50,
        detail: `earlier ${early.toFixed(1)} ms, later ${late.toFixed(1)} ms; windows: median ${median.toFixed(1)} ms, max ${Math.max(...held).toFixed(1)} ms`,
      },
      { name: 'every slow client closed by the server within 45 s', ok: closedBySlow === slowOutcomes.length && slowOutcomes.length > 0, detail: `${closedBySlow} of ${slowOutcomes.length}` },
      { name: 'clean exit on SIGTERM', ok: exit.code === 0, detail: `exit ${exit.code ?? exit.signal}` },
    );

    const refusedLines = REFUSAL_REASONS.map((r) => `| ${r} | ${metric(metricsText, 'flowgate_requests_refused_total', `reason="${r}"`)} |`);
    const caseLines = [...byCase.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, e]) => {
        const c = all.find((x) => x.name === name)!;
        return `| ${name} | ${c.kind} | ${c.expect.map((s) => (s === 0 ? 'aborted' : s)).join(', ')} | ${e.sent} | ${[...e.statuses.entries()].map(([s, n]) => `${s === 0 ? 'none' : s}: ${n}`).join(', ')} |`;
      });
    const report = [
      '# Soak results',
      '',
      `Written by \`npm run soak\` (test/soak/soak.ts) on ${new Date().toISOString()}: ${SECONDS} s, ${CONCURRENCY} connections at saturation, ` +
        `a hot reload (@champion moved in the file store) every ${RELOAD_SECONDS} s, warm-up ${WARMUP_SECONDS} s. ` +
        `Machine: ${availableParallelism()} cores, load average ${loadBefore.toFixed(1)} at the start and ${loadavg()[0]!.toFixed(1)} at the end ` +
        `(the load generator runs on the same cores${loadBefore > availableParallelism() ? '; the machine was shared with other work, so latencies are the loaded machine\'s' : ''}).`,
      '',
      '## Checks',
      '',
      '| check | result | detail |',
      '|---|---|---|',
      ...checks.map((c) => `| ${c.name} | ${c.ok ? 'pass' : '**FAIL**'} | ${c.detail} |`),
      '',
      '## Totals',
      '',
      `- requests: ${requests} (${(requests / SECONDS).toFixed(0)}/s), /metrics + /endpoints scrapes: ${scrapes}`,
      `- reloads: ${reloads.length} (flowgate_model_reloads_total: ${metric(metricsText, 'flowgate_model_reloads_total', 'outcome="success"')} successful)`,
      `- slow clients: ${slowOutcomes.length} (closed by the server: ${closedBySlow})`,
      `- shadow requests: ${metric(metricsText, 'flowgate_shadow_requests_total')} (dropped: ${metric(metricsText, 'flowgate_shadow_dropped_total')})`,
      `- RSS: ${mb(rss[0]?.bytes ?? NaN)} at start, ${mb(rssWarm)} after warm-up, ${mb(rssEnd)} at the end, ${mb(rssMax)} at most`,
      '',
      '## Errors by kind',
      '',
      ...(errors.size === 0 ? ['None.'] : ['| kind | count |', '|---|---|', ...[...errors.entries()].map(([k, n]) => `| ${k} | ${n} |`)]),
      '',
      '## p99 of valid requests by window',
      '',
      `| window (${WINDOW_SECONDS} s) | requests | p50 ms | p99 ms |`,
      '|---|---|---|---|',
      ...windows.map((w, i) => {
        const sorted = [...w].sort((a, b) => a - b);
        const label = (i + 1) * WINDOW_SECONDS <= WARMUP_SECONDS ? ' (warm-up)' : (i + 1) * WINDOW_SECONDS > SECONDS ? ' (the last answers, not judged)' : '';
        return `| ${i + 1}${label} | ${w.length} | ${percentile(sorted, 50).toFixed(1)} | ${percentile(sorted, 99).toFixed(1)} |`;
      }),
      '',
      '## flowgate_requests_refused_total at the end',
      '',
      '| reason | count |',
      '|---|---|',
      ...refusedLines,
      '',
      '## Cases',
      '',
      '| case | kind | expected | sent | answered |',
      '|---|---|---|---|---|',
      ...caseLines,
      '',
    ].join('\n');
    mkdirSync(join(RESULTS, '..'), { recursive: true });
    writeFileSync(RESULTS, report);
  } finally {
    for (const s of slowSockets) s.destroy();
    if (server !== undefined && server.child.exitCode === null) server.child.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  }
  const failed = checks.filter((c) => !c.ok);
  console.log(`soak: ${checks.length - failed.length} passed, ${failed.length} failed (${RESULTS})`);
  expect(failed).toEqual([]);
});
