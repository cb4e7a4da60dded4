/**
 * The live dashboard's data: every 2 s, a point per endpoint and variant (req/s, p50, p99
 * and error rate over the last interval, shadow agreement and feedback metrics since start,
 * weights, versions, the rollout), kept for 15 minutes, and pushed to every open
 * `GET /ui/events` stream as Server-Sent Events (`history` once on connect, then `point`).
 * It reads the endpoints' variant stats, the same totals the rollout gates read.
 */
import type { Gateway } from '../endpoints/gateway.js';
import { windowBetween, type VariantTotals } from '../endpoints/variant-stats.js';
import type { RolloutController } from '../rollout/controller.js';

const SAMPLE_MS = 2_000;
const HISTORY = (15 * 60 * 1000) / SAMPLE_MS;

export interface VariantPoint {
  name: string;
  model_uri: string;
  model: string | null;
  version: string | null;
  weight: number;
  share: number;
  rps: number;
  p50_ms: number | null;
  p99_ms: number | null;
  error_rate: number | null;
  /** since start */
  requests: number;
  shadow_agreement: number | null;
  accuracy: number | null;
  mae: number | null;
  mean_reward: number | null;
}

export interface DashboardPoint {
  time: number;
  endpoints: { name: string; variants: VariantPoint[]; shadows: { name: string; model_uri: string; version: string | null; agreement: number | null; copies: number }[]; rollout: unknown }[];
}

type Listener = (event: string, data: string) => void;

export class Dashboard {
  private readonly history: DashboardPoint[] = [];
  private readonly previous = new Map<string, { at: number; totals: VariantTotals }>();
  private readonly listeners = new Set<Listener>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly gateway: Gateway,
    private readonly rollouts: RolloutController | undefined,
    private readonly now: () => number = Date.now,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), SAMPLE_MS);
    this.timer.unref();
  }

  /** Takes a point now and sends it to every stream. */
  sample(): DashboardPoint {
    const time = this.now();
    const point: DashboardPoint = {
      time,
      endpoints: this.gateway.endpoints.list.map((e) => {
        const weights = e.weights;
        const total = weights.reduce((s, w) => s + w, 0);
        const variants = e.variants.map((v, i): VariantPoint => {
          const totals = e.stats.snapshot(v.name);
          const key = `${e.name}\u0000${v.name}`;
          const before = this.previous.get(key);
          this.previous.set(key, { at: time, totals });
          const recent = windowBetween(before?.totals ?? null, totals);
          const all = windowBetween(null, totals);
          const seconds = before === undefined ? 0 : (time - before.at) / 1000;
          const served = v.model.served.current();
          return {
            name: v.name,
            model_uri: v.uri,
            model: served?.identity.name ?? null,
            version: served?.identity.version ?? null,
            weight: weights[i]!,
            share: total > 0 ? weights[i]! / total : 0,
            rps: seconds > 0 ? recent.requests / seconds : 0,
            p50_ms: recent.p50 === null ? null : recent.p50 * 1000,
            p99_ms: recent.p99 === null ? null : recent.p99 * 1000,
            error_rate: recent.errorRate,
            requests: all.requests,
            shadow_agreement: all.shadowAgreement,
            accuracy: all.accuracy,
            mae: all.mae,
            mean_reward: all.meanReward,
          };
        });
        const shadows = e.shadows
          .filter((s) => !e.variants.some((v) => v.name === s.name))
          .map((s) => {
            const w = windowBetween(null, e.stats.snapshot(s.name));
            return { name: s.name, model_uri: s.uri, version: s.model.served.current()?.identity.version ?? null, agreement: w.shadowAgreement, copies: w.shadowRequests };
          });
        return { name: e.name, variants, shadows, rollout: this.rollouts?.viewIfAny(e.name) ?? null };
      }),
    };
    this.history.push(point);
    if (this.history.length > HISTORY) this.history.shift();
    const data = JSON.stringify(point);
    for (const send of this.listeners) send('point', data);
    return point;
  }

  /** A stream's subscription: the history at once, then every new point; returns the unsubscribe. */
  subscribe(send: Listener): () => void {
    send('history', JSON.stringify(this.history));
    this.listeners.add(send);
    return () => this.listeners.delete(send);
  }

  /** Ends every stream (server shutdown) and stops sampling. */
  close(): void {
    clearInterval(this.timer);
    for (const send of this.listeners) send('close', '{}');
    this.listeners.clear();
  }
}
