/**
 * The endpoints served now. A new spec (a reloaded config file) is applied whole or not at
 * all: every model it names is loaded first (models it shares with the current spec are
 * reused, not reloaded), then the endpoint table is swapped in one assignment, and models
 * no endpoint names anymore are retired once their requests drain. A spec that cannot load
 * leaves the current one serving.
 */
import type { Logger } from 'pino';
import type { GatewaySpec } from './config.js';
import { Endpoint } from './endpoint.js';
import type { FollowedModel, ModelPool } from './model-pool.js';
import type { FeedbackLog } from './feedback.js';
import type { VariantStats } from './variant-stats.js';

export interface EndpointTable {
  readonly list: readonly Endpoint[];
  readonly byName: ReadonlyMap<string, Endpoint>;
  readonly defaultEndpoint: Endpoint;
}

/** A spec whose models could not all be loaded. */
export class GatewayLoadError extends Error {
  constructor(readonly failures: { where: string; uri: string; error: Error }[]) {
    super(`cannot load ${failures.map((f) => `${f.where} (${f.uri}): ${f.error.message}`).join('; ')}`);
    this.name = 'GatewayLoadError';
  }
}

export class Gateway {
  private table: EndpointTable;
  private models: FollowedModel[];
  /** applies run one after the other */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly pool: ModelPool,
    private readonly logger: Logger,
    built: Built,
  ) {
    this.table = built.table;
    this.models = built.models;
  }

  static async start(spec: GatewaySpec, pool: ModelPool, logger: Logger): Promise<Gateway> {
    return new Gateway(pool, logger, await build(spec, pool, null));
  }

  get endpoints(): EndpointTable {
    return this.table;
  }

  /** Every variant of every endpoint has a model loaded. */
  ready(): boolean {
    return this.table.list.every((e) => e.ready());
  }

  /** Serves `spec` from now on, or throws (a GatewayLoadError) and keeps serving the current one. */
  apply(spec: GatewaySpec): Promise<void> {
    const run = this.queue.then(async () => {
      const built = await build(spec, this.pool, this.table);
      const previous = { table: this.table, models: this.models };
      this.table = built.table;
      this.models = built.models;
      this.logger.info({ endpoints: built.table.list.map((e) => e.name), default: built.table.defaultEndpoint.name }, 'endpoints reloaded');
      await retire(previous.table, previous.models, this.pool);
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    await this.queue;
    await retire(this.table, this.models, this.pool);
  }
}

interface Built {
  table: EndpointTable;
  /** one entry per reference taken from the pool */
  models: FollowedModel[];
}

/**
 * An endpoint kept across a reload (same name) keeps its variant stats, and a rollout its
 * weights when the variants are the same, so a reload neither resets a rollout's window
 * nor moves its traffic.
 */
function carriedOver(
  e: GatewaySpec['endpoints'][number],
  previous: EndpointTable | null,
): { stats?: VariantStats; weights?: readonly number[]; feedback?: FeedbackLog | null } {
  const before = previous?.byName.get(e.name);
  if (before === undefined) return {};
  // remembered answers stay, unless the capacity or task changed
  const feedback = before.feedback !== null && e.feedback !== null && JSON.stringify(before.feedback.spec) === JSON.stringify(e.feedback) ? { feedback: before.feedback } : {};
  const sameVariants = before.variants.length === e.variants.length && before.variants.every((v, i) => v.name === e.variants[i]!.name);
  const sameRollout = before.rollout !== null && e.rollout !== null && before.rollout.to === e.rollout.to && before.rollout.from === e.rollout.from;
  return { stats: before.stats, ...feedback, ...(sameVariants && sameRollout ? { weights: before.weights } : {}) };
}

async function build(spec: GatewaySpec, pool: ModelPool, previous: EndpointTable | null): Promise<Built> {
  const uses: { where: string; uri: string }[] = [];
  for (const e of spec.endpoints) {
    for (const v of e.variants) uses.push({ where: `endpoint ${e.name}, variant ${v.name}`, uri: v.model });
    for (const s of e.shadows) uses.push({ where: `endpoint ${e.name}, shadow ${s.name}`, uri: s.model });
  }
  const results = await Promise.allSettled(uses.map((u) => pool.acquire(u.uri)));
  const models: FollowedModel[] = [];
  const failures: { where: string; uri: string; error: Error }[] = [];
  results.forEach((r, i) => {
    if (r.status === 'fulfilled') models.push(r.value);
    else failures.push({ ...uses[i]!, error: r.reason as Error });
  });
  if (failures.length > 0) {
    await Promise.all(models.map((m) => pool.release(m)));
    // One model (`-m URI`): its own error says it all.
    throw uses.length === 1 ? failures[0]!.error : new GatewayLoadError(failures);
  }
  const byUri = new Map(models.map((m) => [m.uri, m]));
  const list = spec.endpoints.map((e) => {
    const kept = carriedOver(e, previous);
    return new Endpoint(e, byUri, kept.stats, kept.weights, kept.feedback);
  });
  const byName = new Map(list.map((e) => [e.name, e]));
  return { models, table: { list, byName, defaultEndpoint: byName.get(spec.defaultEndpoint)! } };
}

async function retire(table: EndpointTable, models: FollowedModel[], pool: ModelPool): Promise<void> {
  await Promise.all(table.list.flatMap((e) => e.shadows.map((s) => s.queue.close())));
  await Promise.all(models.map((m) => pool.release(m)));
}
