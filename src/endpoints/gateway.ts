/**
 * The endpoints served now. At start the table is up at once and its models load in the
 * background (`ready` says when they are in). A new spec (a reloaded config file) is
 * applied whole or not at all: every model it names is loaded first (models it shares with
 * the current spec are reused, not reloaded), then the endpoint table is swapped in one
 * assignment, and models no endpoint names anymore are retired once their requests drain.
 * A spec that cannot load leaves the current one serving.
 */
import type { Logger } from 'pino';
import type { GatewaySpec, ModelUse } from './config.js';
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
  /** set by a shutdown: not ready any more, so load balancers take this replica out */
  private draining = false;
  /** applies run one after the other */
  private queue: Promise<unknown> = Promise.resolve();
  /**
   * Resolves once every model of the first spec serves; rejects with the first FirstLoadError
   * (a first load retrying cannot fix). Other failures are retried and never settle it.
   */
  readonly firstLoad: Promise<void>;

  private constructor(
    private readonly pool: ModelPool,
    private readonly logger: Logger,
    built: Built,
  ) {
    this.table = built.table;
    this.models = built.models;
    this.firstLoad = Promise.all(built.models.map((m) => m.follower.ready)).then(() => undefined);
    this.firstLoad.catch(() => undefined);
  }

  /** Serves `spec` at once; its models load in the background (see firstLoad). */
  static start(spec: GatewaySpec, pool: ModelPool, logger: Logger): Gateway {
    return new Gateway(pool, logger, build(spec, pool, null));
  }

  get endpoints(): EndpointTable {
    return this.table;
  }

  /** Every variant of every endpoint has a model loaded. */
  ready(): boolean {
    return !this.draining && this.table.list.every((e) => e.ready());
  }

  /** From now on not ready (/ping and V2 ready answer 503); requests are still served. */
  beginDrain(): void {
    this.draining = true;
  }

  /** Serves `spec` from now on, or throws (a GatewayLoadError) and keeps serving the current one. */
  apply(spec: GatewaySpec): Promise<void> {
    const run = this.queue.then(async () => {
      const built = await buildLoaded(spec, this.pool, this.table);
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

function uses(spec: GatewaySpec): { where: string; uri: string; use: ModelUse }[] {
  const out: { where: string; uri: string; use: ModelUse }[] = [];
  for (const e of spec.endpoints) {
    for (const v of e.variants) out.push({ where: `endpoint ${e.name}, variant ${v.name}`, uri: v.model, use: v });
    for (const s of e.shadows) out.push({ where: `endpoint ${e.name}, shadow ${s.name}`, uri: s.model, use: s });
  }
  return out;
}

/** The table of `spec`, taking a pool reference per use; models still loading serve nothing yet. */
function build(spec: GatewaySpec, pool: ModelPool, previous: EndpointTable | null): Built {
  const models = uses(spec).map((u) => pool.acquire(u.use));
  const byUri = new Map(models.map((m) => [m.key, m]));
  const list = spec.endpoints.map((e) => {
    const kept = carriedOver(e, previous);
    return new Endpoint(e, byUri, kept.stats, kept.weights, kept.feedback);
  });
  const byName = new Map(list.map((e) => [e.name, e]));
  return { models, table: { list, byName, defaultEndpoint: byName.get(spec.defaultEndpoint)! } };
}

/** build, once every model serves; on a failure the references are released and a GatewayLoadError thrown. */
async function buildLoaded(spec: GatewaySpec, pool: ModelPool, previous: EndpointTable | null): Promise<Built> {
  const all = uses(spec);
  const built = build(spec, pool, previous);
  const results = await Promise.allSettled(built.models.map((m) => m.follower.settled()));
  const failures: { where: string; uri: string; error: Error }[] = [];
  results.forEach((r, i) => {
    if (r.status === 'rejected') failures.push({ where: all[i]!.where, uri: all[i]!.uri, error: r.reason as Error });
  });
  if (failures.length > 0) {
    await Promise.all(built.models.map((m) => pool.release(m)));
    // One model (`-m URI`): its own error says it all.
    throw all.length === 1 ? failures[0]!.error : new GatewayLoadError(failures);
  }
  return built;
}

async function retire(table: EndpointTable, models: FollowedModel[], pool: ModelPool): Promise<void> {
  await Promise.all(table.list.flatMap((e) => e.shadows.map((s) => s.queue.close())));
  await Promise.all(models.map((m) => pool.release(m)));
}
