/**
 * Runs the rollouts of the endpoints served now: every poll, for each endpoint with a
 * rollout policy, reads the shared record from the registry's tags, decides where the
 * rollout stands (state.ts) on this replica's window of the current step, writes back what
 * changed (a start, a step advance, a failure, a promotion), and sets the endpoint's
 * weights. A failure this replica sees takes its traffic back at once, before the tag is
 * written; the other replicas follow on their next poll. Operators pause, resume and
 * abort through the same tags, so every replica obeys whichever one was asked.
 */
import { Gauge } from 'prom-client';
import type { Logger } from 'pino';
import type { RolloutSpec } from '../endpoints/config.js';
import type { Endpoint, Variant } from '../endpoints/endpoint.js';
import type { Gateway } from '../endpoints/gateway.js';
import { windowBetween, type VariantTotals } from '../endpoints/variant-stats.js';
import { MlflowError } from '../errors.js';
import type { Metrics } from '../metrics.js';
import type { RegistryEditor } from '../registry/editor.js';
import { failureTag, readTags, recordTag, tagKeys, type RolloutFailure, type RolloutRecord } from './record.js';
import { decide, PHASES, rolloutWeights, type RolloutAction, type RolloutStatus } from './state.js';

export interface RolloutView extends RolloutStatus {
  endpoint: string;
  from: string;
  to: string;
  registered_model: string;
  alias: string;
  steps: number[];
  step_seconds: number;
  gates: RolloutSpec['gates'];
  /** the last registry read failed: decisions run on the last state read */
  registry_error: string | null;
}

interface Runtime {
  shared: { record: RolloutRecord | null; failure: RolloutFailure | null } | null;
  /** a failure decided here and not yet written to the registry */
  pendingFailure: RolloutFailure | null;
  window: { key: string; from: VariantTotals; to: VariantTotals } | null;
  status: RolloutStatus | null;
  registryError: string | null;
  /** ticks and operator commands run one after the other */
  queue: Promise<unknown>;
}

export interface ControllerOptions {
  gateway: Gateway;
  editor: RegistryEditor;
  metrics: Metrics;
  logger: Logger;
  now?: () => number;
}

const versionOf = (v: Variant): string | null => v.model.served.current()?.identity.version ?? null;

/** Identifies a step of a rollout: a new key starts a new window of observations. */
const windowKey = (r: RolloutRecord | null): string => (r === null ? '' : `${r.fromVersion}>${r.toVersion}#${r.step}@${r.stepStartedAt}`);

export class RolloutController {
  private readonly runtimes = new Map<string, Runtime>();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly now: () => number;
  private readonly stepGauge: Gauge<'endpoint'>;
  private readonly stateGauge: Gauge<'endpoint' | 'state'>;
  private readonly shareGauge: Gauge<'endpoint'>;
  private readonly gateGauge: Gauge<'endpoint' | 'gate'>;

  constructor(private readonly options: ControllerOptions) {
    this.now = options.now ?? Date.now;
    const registers = [options.metrics.registry];
    this.stepGauge = new Gauge({ name: 'flowgate_rollout_step', help: 'Index of the rollout step an endpoint is at (-1 when no step runs)', labelNames: ['endpoint'], registers });
    this.stateGauge = new Gauge({ name: 'flowgate_rollout_state', help: 'The state of an endpoint\'s rollout (1 for the current one)', labelNames: ['endpoint', 'state'], registers });
    this.shareGauge = new Gauge({ name: 'flowgate_rollout_traffic_percent', help: 'Percent of an endpoint\'s traffic its rollout sends to the new version', labelNames: ['endpoint'], registers });
    this.gateGauge = new Gauge({
      name: 'flowgate_rollout_gate_value',
      help: 'Figures of the current rollout step on this replica: requests, error_rate, p99_ratio, shadow_agreement, reward_delta, accuracy_delta',
      labelNames: ['endpoint', 'gate'],
      registers,
    });
  }

  /** Endpoints served now that have a rollout policy. */
  private endpoints(): Endpoint[] {
    return this.options.gateway.endpoints.list.filter((e) => e.rollout !== null);
  }

  start(): void {
    const loop = async () => {
      await this.tickAll();
      if (this.stopped) return;
      const intervals = this.endpoints().map((e) => e.rollout!.pollSeconds);
      this.timer = setTimeout(() => void loop(), Math.min(5, ...intervals) * 1000);
      this.timer.unref();
    };
    void loop();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
  }

  /** One decision for every rollout endpoint (the poll loop; tests call it directly). */
  async tickAll(): Promise<void> {
    const live = this.endpoints();
    for (const name of this.runtimes.keys()) if (!live.some((e) => e.name === name)) this.runtimes.delete(name);
    await Promise.all(live.map((e) => this.serialized(e.name, () => this.tick(e.name))));
  }

  private runtime(name: string): Runtime {
    let r = this.runtimes.get(name);
    if (r === undefined) {
      r = { shared: null, pendingFailure: null, window: null, status: null, registryError: null, queue: Promise.resolve() };
      this.runtimes.set(name, r);
    }
    return r;
  }

  private serialized<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const r = this.runtime(name);
    const run = r.queue.then(fn);
    r.queue = run.catch(() => undefined);
    return run;
  }

  private endpoint(name: string): Endpoint {
    const e = this.options.gateway.endpoints.byName.get(name);
    if (e === undefined || e.rollout === null) {
      const names = this.endpoints().map((x) => x.name);
      throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `Endpoint '${name}' has no rollout (endpoints with one: ${names.length === 0 ? 'none' : names.join(', ')}).`);
    }
    return e;
  }

  private async readShared(e: Endpoint, r: Runtime): Promise<void> {
    try {
      const tags = await this.options.editor.getRegisteredModelTags(e.rollout!.registeredModel);
      r.shared = readTags(e.name, tags);
      r.registryError = null;
    } catch (err) {
      if (r.registryError === null) this.options.logger.warn({ endpoint: e.name, error: (err as Error).message }, 'rollout: cannot read the rollout state from the registry; keeping the last state read');
      r.registryError = (err as Error).message;
    }
  }

  private async tick(name: string): Promise<void> {
    const e = this.options.gateway.endpoints.byName.get(name);
    if (e === undefined || e.rollout === null) return;
    const policy = e.rollout;
    const r = this.runtime(name);
    await this.readShared(e, r);
    if (r.shared === null) {
      this.apply(e, r, { phase: 'idle', step: null, percent: 0, shadow: false, fromVersion: null, toVersion: null, stepEndsAt: null, reason: 'the rollout state has not been read from the registry yet', figures: null });
      return;
    }
    const from = e.variantNamed(policy.from);
    const to = e.variantNamed(policy.to);
    const now = this.now();
    // A failure decided here and not written yet wins over an older one read from the registry.
    const shared = { record: r.shared.record, failure: r.pendingFailure ?? r.shared.failure };
    const key = windowKey(shared.record);
    if (r.window === null || r.window.key !== key) r.window = { key, from: e.stats.snapshot(from.name), to: e.stats.snapshot(to.name) };
    const observed = {
      now,
      fromVersion: versionOf(from),
      toVersion: versionOf(to),
      from: windowBetween(r.window.from, e.stats.snapshot(from.name)),
      to: windowBetween(r.window.to, e.stats.snapshot(to.name)),
    };
    const { status, action } = decide(policy, shared, observed);
    if (action.kind === 'succeed') {
      // Succeeded once written (the alias moved): until then, the last step goes on.
      const written = await this.write(e, r, action);
      this.apply(e, r, written ? status : { ...status, phase: 'running', step: policy.steps.length - 1 });
      return;
    }
    // Traffic first: a failure takes effect here before it is written.
    this.apply(e, r, status);
    if (action.kind === 'none' && r.pendingFailure !== null) {
      await this.write(e, r, { kind: 'fail', failure: r.pendingFailure, why: r.pendingFailure.reason });
    } else {
      await this.write(e, r, action);
    }
  }

  /** Weights, metrics, and a log line when the phase or step changed. */
  private apply(e: Endpoint, r: Runtime, status: RolloutStatus): void {
    const policy = e.rollout!;
    e.setWeights(rolloutWeights(policy, e.variants, status.percent), status.shadow);
    const before = r.status;
    r.status = status;
    if (before === null || before.phase !== status.phase || before.step !== status.step || before.toVersion !== status.toVersion) {
      const log = status.phase === 'failed' || status.phase === 'aborted' ? this.options.logger.warn.bind(this.options.logger) : this.options.logger.info.bind(this.options.logger);
      log(
        {
          endpoint: e.name,
          phase: status.phase,
          step: status.step,
          percent: status.percent,
          from: { variant: policy.from, version: status.fromVersion },
          to: { variant: policy.to, version: status.toVersion },
          reason: status.reason,
          figures: before?.figures ?? status.figures,
        },
        `rollout ${e.name}: ${status.phase}${status.step === null ? '' : ` step ${status.step} (${status.percent} % to ${policy.to})`}${status.reason ? `: ${status.reason}` : ''}`,
      );
    }
    this.stepGauge.set({ endpoint: e.name }, status.step ?? -1);
    this.shareGauge.set({ endpoint: e.name }, status.percent);
    for (const phase of PHASES) this.stateGauge.set({ endpoint: e.name, state: phase }, phase === status.phase ? 1 : 0);
    const f = status.figures;
    if (f !== null) {
      this.gateGauge.set({ endpoint: e.name, gate: 'requests' }, f.requests);
      const values = [['error_rate', f.errorRate], ['p99_ratio', f.p99Ratio], ['shadow_agreement', f.shadowAgreement], ['reward_delta', f.rewardDelta], ['accuracy_delta', f.accuracyDelta]] as const;
      for (const [gate, value] of values) {
        if (value !== null) this.gateGauge.set({ endpoint: e.name, gate }, value);
      }
    }
  }

  private summary(e: Endpoint, text: string): Promise<void> {
    return this.options.editor.setRegisteredModelTag(e.rollout!.registeredModel, tagKeys(e.name).summary, text.slice(0, 5000));
  }

  /** Writes what `action` changed to the registry; false when it could not (retried on the next poll). */
  private async write(e: Endpoint, r: Runtime, action: RolloutAction): Promise<boolean> {
    if (action.kind === 'none') return true;
    const policy = e.rollout!;
    const editor = this.options.editor;
    const keys = tagKeys(e.name);
    const model = policy.registeredModel;
    try {
      switch (action.kind) {
        case 'start':
        case 'advance': {
          // Narrow the race with other replicas: write only over the state this decision read.
          const current = readTags(e.name, await editor.getRegisteredModelTags(model));
          if (JSON.stringify(current.record) !== JSON.stringify(r.shared?.record ?? null)) return false;
          await editor.setRegisteredModelTag(model, keys.record, recordTag(action.record));
          // The new step's window starts now, not at the next poll.
          r.window = { key: windowKey(action.record), from: e.stats.snapshot(policy.from), to: e.stats.snapshot(policy.to) };
          await this.summary(e, `${action.kind === 'start' ? 'started' : 'running'}: step ${action.record.step} (${policy.steps[action.record.step]} % to version ${action.record.toVersion}); ${action.why}`);
          r.shared = { ...current, record: action.record };
          break;
        }
        case 'succeed': {
          if (policy.onSuccess === 'promote') {
            await editor.setRegisteredModelAlias(model, policy.fromAlias, action.record.toVersion);
            this.options.logger.info({ endpoint: e.name, model, alias: policy.fromAlias, version: action.record.toVersion }, `rollout ${e.name}: promoted: ${model}@${policy.fromAlias} → version ${action.record.toVersion}`);
          }
          await editor.setRegisteredModelTag(model, keys.record, recordTag(action.record));
          await this.summary(e, `succeeded: version ${action.record.toVersion}${policy.onSuccess === 'promote' ? ` is now @${policy.fromAlias}` : ''}; ${action.why}`);
          r.shared = { ...(r.shared ?? { failure: null }), record: action.record };
          break;
        }
        case 'fail': {
          r.pendingFailure = action.failure;
          await editor.setRegisteredModelTag(model, keys.failure, failureTag(action.failure));
          await this.summary(e, `${action.failure.state}: version ${action.failure.toVersion} rolled back; ${action.why}`);
          r.shared = { ...(r.shared ?? { record: null }), failure: action.failure };
          r.pendingFailure = null;
          break;
        }
      }
      return true;
    } catch (err) {
      this.options.logger.error({ endpoint: e.name, action: action.kind, error: (err as Error).message }, `rollout ${e.name}: cannot write ${action.kind} to the registry; retrying on the next poll`);
      return false;
    }
  }

  /** Where the rollout of `name` stands on this replica. */
  view(name: string): RolloutView {
    const e = this.endpoint(name);
    const policy = e.rollout!;
    const r = this.runtime(name);
    const status = r.status ?? { phase: 'idle', step: null, percent: 0, shadow: false, fromVersion: null, toVersion: null, stepEndsAt: null, reason: 'not checked yet', figures: null };
    return {
      endpoint: name,
      from: policy.from,
      to: policy.to,
      registered_model: policy.registeredModel,
      alias: policy.fromAlias,
      steps: policy.steps,
      step_seconds: policy.stepSeconds,
      gates: policy.gates,
      registry_error: r.registryError,
      ...status,
    };
  }

  /** The view of `name` on this replica, or null when it has no rollout. */
  viewIfAny(name: string): RolloutView | null {
    const e = this.options.gateway.endpoints.byName.get(name);
    return e === undefined || e.rollout === null ? null : this.view(name);
  }

  /** Operator commands: written to the registry, so every replica obeys; then applied here. */
  command(name: string, verb: 'pause' | 'resume' | 'abort'): Promise<RolloutView> {
    const e = this.endpoint(name);
    return this.serialized(name, async () => {
      const policy = e.rollout!;
      const r = this.runtime(name);
      const editor = this.options.editor;
      const { record, failure } = readTags(name, await editor.getRegisteredModelTags(policy.registeredModel));
      const active = record !== null && (record.state === 'running' || record.state === 'paused') && !(failure !== null && failure.fromVersion === record.fromVersion && failure.toVersion === record.toVersion);
      if (!active) throw new MlflowError('INVALID_STATE', `Endpoint '${name}' has no rollout in progress to ${verb} (it is ${r.status?.phase ?? 'idle'}).`);
      const now = this.now();
      const keys = tagKeys(name);
      if (verb === 'abort') {
        const aborted: RolloutFailure = { fromVersion: record.fromVersion, toVersion: record.toVersion, state: 'aborted', reason: 'aborted by an operator', at: now };
        await editor.setRegisteredModelTag(policy.registeredModel, keys.failure, failureTag(aborted));
        await this.summary(e, `aborted: version ${record.toVersion} rolled back by an operator`);
      } else if (verb === 'pause' && record.state === 'running') {
        await editor.setRegisteredModelTag(policy.registeredModel, keys.record, recordTag({ ...record, state: 'paused', pausedAt: now }));
        await this.summary(e, `paused at step ${record.step} (${policy.steps[record.step]} % to version ${record.toVersion}) by an operator`);
      } else if (verb === 'resume' && record.state === 'paused') {
        const resumed = { ...record, state: 'running' as const, stepStartedAt: record.stepStartedAt + (now - (record.pausedAt ?? now)), pausedAt: null };
        await editor.setRegisteredModelTag(policy.registeredModel, keys.record, recordTag(resumed));
        await this.summary(e, `running: step ${record.step} (${policy.steps[record.step]} % to version ${record.toVersion}), resumed by an operator`);
      }
      this.options.logger.info({ endpoint: name, command: verb }, `rollout ${name}: ${verb} requested by an operator`);
      await this.tick(name);
      return this.view(name);
    });
  }
}
