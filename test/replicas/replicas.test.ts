/**
 * Three replicas behave as one gateway (issue 13): 3 `flowgate serve` processes behind HAProxy
 * (round-robin, /ping health checks, no retries), one registry (the file store, and the REST test
 * server over a SQLite-backed MLflow registry where the shared fixtures are present), one
 * endpoints file with a sticky A/B split. Shown: sticky keys answer the same variant through any
 * replica; an alias move reaches every replica within poll interval + load time with 0 failed
 * requests and no replica going back; a replica that cannot reach its registry keeps serving and
 * says so in /metrics; the replicas' /metrics add up to what the balancer passed on; a rolling
 * restart (SIGTERM, restart, one at a time) under load fails 0 requests.
 *
 * `npm run test:replicas` runs the full form (10,000 keys, default shutdown delay) and writes the
 * figures to test/replicas/RESULTS.md; `npm test` runs a short form (1,000 keys, 2 s delay).
 */
import { rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAVE_FIXTURES, relocatedCopy, tempDir } from '../registry/fixture.js';
import { startFakeTrackingServer, type FakeTrackingServer } from '../registry/fake-tracking-server.js';
import { copyExampleRegistry, setAlias } from '../helpers/registry.js';
import { failedAccepted, request, startLoad, type Attempt } from '../helpers/load.js';
import {
  CHECK_FALL,
  CHECK_INTERVAL_MS,
  HAVE_HAPROXY,
  logLines,
  scrape,
  startHaproxy,
  startRelay,
  startReplica,
  total,
  until,
  waitStatus,
  type LoadBalancer,
  type Replica,
} from './harness.js';

const FULL = process.env.REPLICAS_FULL === '1';
const KEYS = FULL ? 10_000 : 1_000;
const SHUTDOWN_DELAY = FULL ? 5 : 2;
const POLL_INTERVAL = 1;
const REPLICAS = 3;

if (!HAVE_HAPROXY) console.warn('test/replicas: haproxy not found (apt-get install haproxy), skipping the replica tests');

interface RegistryKind {
  kind: string;
  available: boolean;
  model: string;
  /** champion before and after the move; challenger */
  from: string;
  to: string;
  body: string;
  setUp(dir: string): Promise<{ trackingUris: string[]; move(): void; cutRegistry?(replica: number): Promise<() => Promise<void>>; close(): Promise<void> }>;
}

const KINDS: RegistryKind[] = [
  {
    kind: 'file store',
    available: true,
    model: 'iris',
    from: '1',
    to: '2',
    body: JSON.stringify({ inputs: [[5.1, 3.5, 1.4, 0.2]] }),
    async setUp(dir) {
      const root = copyExampleRegistry(join(dir, 'mlruns'));
      return { trackingUris: Array(REPLICAS).fill(root), move: () => setAlias(root, 'iris', 'champion', 2), close: async () => {} };
    },
  },
  {
    kind: 'REST (tracking server over SQLite)',
    available: HAVE_FIXTURES,
    model: 'iris-lr',
    from: '2',
    to: '3',
    body: JSON.stringify({
      dataframe_split: { columns: ['sepal length (cm)', 'sepal width (cm)', 'petal length (cm)', 'petal width (cm)'], data: [[5.1, 3.5, 1.4, 0.2]] },
    }),
    async setUp(dir) {
      const registry = relocatedCopy('registry-sqlite-server', dir);
      const server: FakeTrackingServer = await startFakeTrackingServer(registry);
      const relays = await Promise.all(Array.from({ length: REPLICAS }, () => startRelay(new URL(server.url))));
      return {
        trackingUris: relays.map((r) => r.url),
        move() {
          const db = new Database(join(registry, 'mlflow.db'));
          db.prepare("UPDATE registered_model_aliases SET version = 3 WHERE name = 'iris-lr' AND alias = 'champion'").run();
          db.close();
        },
        async cutRegistry(replica) {
          await relays[replica]!.cut();
          return () => relays[replica]!.restore();
        },
        async close() {
          for (const r of relays) await r.cut().catch(() => {});
          await server.close();
        },
      };
    },
  },
];

/** Figures for RESULTS.md, by registry kind. */
const results: Record<string, Record<string, string>> = {};

for (const k of KINDS) {
  describe.skipIf(!HAVE_HAPROXY || !k.available).sequential(`3 replicas behind HAProxy, ${k.kind}`, () => {
    const tmp = tempDir('replicas');
    const figures: Record<string, string> = (results[k.kind] = {});
    let registry: Awaited<ReturnType<RegistryKind['setUp']>>;
    let replicas: Replica[] = [];
    let lb: LoadBalancer;
    /** 200 answers to prediction requests through the balancer, all tests so far */
    let answeredThroughLb = 0;
    /** prediction requests sent to a replica directly, by replica */
    const directTo = new Map<string, number>();

    beforeAll(async () => {
      registry = await k.setUp(tmp.dir);
      const config = join(tmp.dir, 'flowgate.yaml');
      writeFileSync(
        config,
        [
          'endpoints:',
          '  iris:',
          '    variants:',
          `      - { name: champion, model: "models:/${k.model}@champion", weight: 50 }`,
          `      - { name: challenger, model: "models:/${k.model}@challenger", weight: 50 }`,
          '    sticky: { header: x-user-id }',
          '',
        ].join('\n'),
      );
      replicas = await Promise.all(
        registry.trackingUris.map((uri, i) =>
          startReplica(
            `r${i}`,
            ['--config', config, '--tracking-uri', uri, '--poll-interval', String(POLL_INTERVAL), '--shutdown-delay', String(SHUTDOWN_DELAY), '--cache-dir', join(tmp.dir, `cache-${i}`)],
            { MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0', MLFLOW_HTTP_REQUEST_TIMEOUT: '2' },
          ),
        ),
      );
      lb = await startHaproxy(tmp.dir, replicas.map((r) => ({ name: r.name, port: r.port })));
      await waitStatus(lb, replicas.map((r) => r.name), 'UP');
    }, 180_000);

    afterAll(async () => {
      await lb?.stop();
      await Promise.all(replicas.map((r) => r.stop()));
      await registry?.close();
      rmSync(tmp.dir, { recursive: true, force: true });
    });

    it(`sticky routing: ${KEYS} keys get the same variant through every replica`, async () => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
      const url = new URL('/invocations', lb.url);
      const seen = new Map<string, { variants: Set<string>; replicas: Set<string> }>();
      const start = performance.now();
      const passes = 3;
      const failed: Attempt[] = [];
      for (let pass = 0; pass < passes; pass++) {
        let next = 0;
        await Promise.all(
          Array.from({ length: 16 }, async () => {
            while (next < KEYS) {
              const key = `user-${next++}`;
              const a = await request(agent, url, k.body, { 'x-user-id': key }, 0);
              if (a.status !== 200) failed.push(a);
              const entry = seen.get(key) ?? { variants: new Set(), replicas: new Set() };
              entry.variants.add(String(a.headers['x-flowgate-variant']));
              entry.replicas.add(String(a.headers['x-replica']));
              seen.set(key, entry);
            }
          }),
        );
      }
      const seconds = (performance.now() - start) / 1000;
      answeredThroughLb += passes * KEYS - failed.length;
      const onSeveral = [...seen.values()].filter((e) => e.replicas.size >= 2).length;
      // Round-robin leaves a key on one replica now and then: ask the replicas it missed directly.
      let direct = 0;
      const missing = [...seen.entries()].flatMap(([key, e]) => replicas.filter((r) => !e.replicas.has(r.name)).map((r) => ({ key, r })));
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          for (let m = missing.pop(); m !== undefined; m = missing.pop()) {
            const a = await request(agent, new URL('/invocations', m.r.process.url), k.body, { 'x-user-id': m.key }, 0);
            if (a.status !== 200) failed.push(a);
            direct++;
            directTo.set(m.r.name, (directTo.get(m.r.name) ?? 0) + 1);
            seen.get(m.key)!.variants.add(String(a.headers['x-flowgate-variant']));
            seen.get(m.key)!.replicas.add(m.r.name);
          }
        }),
      );
      agent.destroy();
      expect(failed).toEqual([]);
      const entries = [...seen.values()];
      const inconsistent = entries.filter((e) => e.variants.size !== 1);
      const champion = entries.filter((e) => e.variants.has('champion')).length / KEYS;
      figures['sticky keys'] = `${KEYS} keys × ${passes} passes through the balancer (${Math.round((passes * KEYS) / seconds)} req/s; ${onSeveral} keys reached 2 or more replicas that way), plus ${direct} direct requests so that every key was answered by all ${REPLICAS} replicas: ${inconsistent.length} keys answered by two variants; champion share ${(champion * 100).toFixed(1)} %`;
      expect(entries.every((e) => e.replicas.size === REPLICAS)).toBe(true);
      expect(inconsistent).toEqual([]);
      expect(onSeveral).toBeGreaterThan(KEYS * 0.6);
      expect(champion).toBeGreaterThan(FULL ? 0.47 : 0.42);
      expect(champion).toBeLessThan(FULL ? 0.53 : 0.58);
    }, 300_000);

    it('the merged /metrics add up: each replica counts what the balancer passed to it, the sum what clients got', async () => {
      const stats = await lb.stats();
      let sum = 0;
      const rows: string[] = [];
      for (const r of replicas) {
        const counted = total(await scrape(r.process.url), 'flowgate_endpoint_requests_total', { endpoint: 'iris', code: '200' });
        const passed = stats.find((s) => s.name === r.name)!.hrsp2xx;
        const direct = directTo.get(r.name) ?? 0;
        rows.push(`${r.name}: ${counted} counted = ${passed} passed by HAProxy + ${direct} direct`);
        expect(counted, r.name).toBe(passed + direct);
        sum += counted;
      }
      const directSum = [...directTo.values()].reduce((a, b) => a + b, 0);
      figures['merged metrics'] = `${rows.join('; ')}; sum ${sum} = ${answeredThroughLb} answers through the balancer + ${directSum} direct`;
      expect(sum).toBe(answeredThroughLb + directSum);
    });

    it('an alias move reaches every replica within poll interval + load time, 0 failed requests, no replica goes back', async () => {
      await waitStatus(lb, replicas.map((r) => r.name), 'UP');
      const load = startLoad({ url: lb.url, body: k.body, headers: { 'x-flowgate-variant': 'champion' }, concurrency: 8, maxRequests: 40_000 });
      await until('answers from every replica', async () => replicas.every((r) => load.attempts.some((a) => a.headers['x-replica'] === r.name)) && load.attempts.length > 300);
      const movedAt = load.now();
      const movedAtWall = Date.now();
      registry.move();
      const switched = () => replicas.every((r) => load.attempts.some((a) => a.headers['x-replica'] === r.name && a.headers['x-flowgate-version'] === k.to));
      await until('every replica serving the new version', async () => switched(), 30_000);
      const settled = load.attempts.length;
      await until('more answers after the switch', async () => load.attempts.length > settled + 300);
      const attempts = await load.stop();
      answeredThroughLb += attempts.filter((a) => a.status === 200).length;
      expect(failedAccepted(attempts)).toEqual([]);
      expect(attempts.every((a) => a.status === 200)).toBe(true);

      const rows: string[] = [];
      for (const r of replicas) {
        const mine = attempts.filter((a) => a.headers['x-replica'] === r.name);
        const firstNew = Math.min(...mine.filter((a) => a.headers['x-flowgate-version'] === k.to).map((a) => a.end));
        const wentBack = mine.filter((a) => a.start > firstNew && a.headers['x-flowgate-version'] !== k.to);
        // the replica's own account: when its poll saw the move, when the loaded version was swapped in
        const seen = logLines(r, new RegExp(`now points at version ${k.to}: loading it$`)).find((l) => l.time >= movedAtWall - 5);
        const swapped = logLines(r, new RegExp(`^now serving ${k.model} version ${k.to}$`)).find((l) => l.time >= movedAtWall - 5);
        expect(seen, `${r.name} logged the poll that saw the move`).toBeDefined();
        expect(swapped, `${r.name} logged the swap`).toBeDefined();
        const pollDelay = (seen!.time - movedAtWall) / 1000;
        const loadTime = (swapped!.time - seen!.time) / 1000;
        const after = (firstNew - movedAt) / 1000;
        rows.push(`${r.name} after ${after.toFixed(2)} s (poll saw it after ${pollDelay.toFixed(2)} s, load ${loadTime.toFixed(2)} s)`);
        expect(wentBack, `${r.name} answered ${k.from} after ${k.to}`).toEqual([]);
        // poll interval + load time, + a margin for late timers and the client on a shared 2-core machine
        expect(after, r.name).toBeLessThan(POLL_INTERVAL + loadTime + 3);
      }
      figures['alias move'] = `${attempts.length} requests under load, ${attempts.filter((a) => a.status !== 200).length} failed; the new version answered through ${rows.join(', ')}; poll interval ${POLL_INTERVAL} s; 0 answers of the old version on a replica after its first new one`;
    }, 120_000);

    it('a replica that cannot reach its registry keeps serving its version and counts poll errors in /metrics', async (ctx) => {
      if (registry.cutRegistry === undefined) return ctx.skip('only the REST registry can be cut for one replica');
      const victim = replicas[2]!;
      await waitStatus(lb, replicas.map((r) => r.name), 'UP');
      const errorsBefore = total(await scrape(victim.process.url), 'flowgate_registry_poll_errors_total');
      const restore = await registry.cutRegistry(2);
      const load = startLoad({ url: lb.url, body: k.body, headers: { 'x-flowgate-variant': 'champion' }, concurrency: 4, maxRequests: 20_000 });
      const errors = await until('poll errors on the cut replica', async () => {
        const n = total(await scrape(victim.process.url), 'flowgate_registry_poll_errors_total');
        return n >= errorsBefore + 2 ? n : undefined;
      }, 30_000, 200);
      // and keep the load on a while the replica is cut off
      const sofar = load.attempts.length;
      await until('answers while the registry is cut', async () => load.attempts.length > sofar + 300);
      const attempts = await load.stop();
      await restore();
      answeredThroughLb += attempts.filter((a) => a.status === 200).length;
      const fromVictim = attempts.filter((a) => a.headers['x-replica'] === victim.name);
      figures['registry unreachable'] = `${victim.name} cut from its registry: flowgate_registry_poll_errors_total ${errorsBefore} → ${errors}; ${fromVictim.length} requests answered by it meanwhile, all version ${k.to}; ${failedAccepted(attempts).length} failed of ${attempts.length}`;
      expect(failedAccepted(attempts)).toEqual([]);
      expect(fromVictim.length).toBeGreaterThan(0);
      expect(fromVictim.every((a) => a.status === 200 && a.headers['x-flowgate-version'] === k.to)).toBe(true);
      expect((await lb.stats()).find((s) => s.name === victim.name)!.status).toBe('UP');
    }, 60_000);

    it('a rolling restart under load (SIGTERM, exit 0, restart, one replica at a time): 0 failed requests', async () => {
      let key = 0;
      const load = startLoad({ url: lb.url, body: k.body, headers: () => ({ 'x-user-id': `u${key++}` }), concurrency: 8, maxRequests: 100_000 });
      await until('load running', async () => load.attempts.length > 200);
      const start = performance.now();
      const restarts: string[] = [];
      for (const r of replicas) {
        const exit = await r.restart();
        expect(exit.code, `${r.name} exit`).toBe(0);
        await waitStatus(lb, [r.name], 'UP');
        restarts.push(`${r.name} drained in ${(exit.drainedMs / 1000).toFixed(1)} s`);
      }
      const seconds = (performance.now() - start) / 1000;
      const attempts = await load.stop();
      const failed = attempts.filter((a) => a.status !== 200);
      figures['rolling restart'] = `${attempts.length} requests over ${seconds.toFixed(1)} s of restarts (shutdown delay ${SHUTDOWN_DELAY} s, health check every ${CHECK_INTERVAL_MS} ms, down after ${CHECK_FALL}): ${failed.length} failed; ${restarts.join(', ')}, each exit 0`;
      expect(failed).toEqual([]);
    }, 300_000);
  });
}

afterAll(() => {
  if (process.env.REPLICAS_RESULTS !== '1') return;
  const lines = [
    '# Replicas behave as one: results',
    '',
    `Written by \`npm run test:replicas\` (test/replicas/replicas.test.ts) on ${new Date().toISOString().slice(0, 10)}: ${REPLICAS} \`flowgate serve\``,
    'processes behind HAProxy (Debian), round-robin, health checks on `/ping`, `retries 0`, on loopback; one registry;',
    `one endpoints file (champion/challenger 50/50, sticky on \`x-user-id\`); poll interval ${POLL_INTERVAL} s.`,
    '',
  ];
  for (const [kind, figures] of Object.entries(results)) {
    if (Object.keys(figures).length === 0) continue;
    lines.push(`## ${kind}`, '');
    for (const [what, figure] of Object.entries(figures)) lines.push(`- **${what}**: ${figure}`);
    lines.push('');
  }
  writeFileSync(join(import.meta.dirname, 'RESULTS.md'), lines.join('\n'));
});
