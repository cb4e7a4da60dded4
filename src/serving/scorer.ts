/**
 * The request path, written once for every protocol (as MLServer's DataPlane is for REST
 * and gRPC): route → bounded queue → lease the version → deadline → parse → decode →
 * enforce → predict → encode → metrics → shadows. Protocols plug in as codecs (codec.ts);
 * the HTTP routes only read the body, find the endpoint and render the outcome in their
 * protocol's shape. The pipeline runs inline, or for a large body of a CPU-bound model (or
 * any body of one only its replicas hold) on a replica thread (replicas.ts), which a missed
 * deadline recycles.
 *
 * Failures are typed: an MlflowError is the request's fault (or a state such as "not
 * loaded yet") and keeps its code; a Timeout is DEADLINE_EXCEEDED; anything else is our
 * own bug: INTERNAL_ERROR, logged with its stack and counted in flowgate_internal_errors_total.
 */
import type { Logger } from 'pino';
import { MlflowError } from '../errors.js';
import type { GaugeSeries } from '../metric-series.js';
import type { Metrics } from '../metrics.js';
import { payloadSize, runPipeline, type BytesPayload, type Codec, type DecodedRequest, type PipelineResult, type RequestPayload, type ResponsePayload } from './codec.js';
import { Timeout, withDeadline } from './deadline.js';
import type { Lease, LoadedVersion } from './loaded-version.js';
import type { ServedModel } from './served-model.js';
import type { HeaderReader, ScoringEndpoint, ScoringShadow, ScoringVariant } from './scoring-endpoint.js';
import { observeVariant } from './variant-metrics.js';
import { bindTraceContext, traced } from '../tracing.js';

export interface ScoreRequest<P, D extends DecodedRequest> {
  endpoint: ScoringEndpoint;
  codec: Codec<P, D>;
  /** as read (bytes), or as text (`flowgate predict`, tests) */
  body: RequestPayload;
  header: HeaderReader;
  requestId: string;
  /** the registry version the request names (V2 `versions/{v}`) */
  pinned?: string | undefined;
}

/** Who answered: the variant and the version (null when the request failed before one was chosen). */
export interface Answered {
  variant: ScoringVariant;
  version: LoadedVersion;
}

export type ScoreOutcome =
  | { ok: true; body: ResponsePayload; answered: Answered }
  | { ok: false; error: MlflowError; answered: Answered | null };

export interface ScorerOptions {
  metrics: Metrics;
  logger: Logger;
  timeoutSeconds: number;
  /** requests in flight per served model (running or waiting for a thread) before 503s */
  maxQueue: number;
}

/**
 * Bodies from this size on run on a replica thread when their version has replicas
 * (CPU-bound flavors with -w N ≥ 1); smaller ones are scored inline, where the hop to a
 * thread would cost more than it frees (measured in bench/README.md).
 */
const INLINE_MAX_BYTES = 16 * 1024;

/**
 * A request body: its bytes as read, turned into text and parsed on the main thread at most
 * once, and only when a step there needs it. A replica thread takes the bytes over (their
 * buffer is transferred, not copied) and decodes them itself.
 */
class RequestBody<P> {
  private parsed: { value: P } | null = null;
  /** null once handed over to a replica thread */
  private payload: RequestPayload | null;
  /** its size: bytes as read (characters for a body given as text) */
  readonly size: number;

  constructor(
    payload: RequestPayload,
    private readonly codec: Codec<P, DecodedRequest>,
  ) {
    this.payload = payload;
    this.size = payloadSize(payload);
  }

  get(wantDoc: boolean): P {
    if (this.parsed === null) {
      if (this.payload === null) throw new Error('the request body was handed to a replica thread and is not on the main thread anymore');
      this.parsed = { value: this.codec.parse(this.payload, wantDoc) };
    }
    return this.parsed.value;
  }

  /**
   * The bytes for a replica thread, in a buffer of their own for it to take over. `keep`: the
   * main thread needs the body again (shadows), so the thread gets a copy; otherwise the body
   * is given away (the buffer as read when it holds exactly the body) and no longer readable here.
   */
  forThread(keep: boolean): BytesPayload {
    const payload = this.payload;
    if (payload === null) throw new Error('the request body was handed to a replica thread and is not on the main thread anymore');
    if (typeof payload === 'string') return { bytes: new TextEncoder().encode(payload) };
    const bytes = payload.bytes;
    const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
    if (keep || !whole) return { ...payload, bytes: bytes.slice() };
    this.payload = null;
    return payload;
  }
}

interface Work {
  done: Promise<PipelineResult>;
  /** frees the work's compute when nobody waits for it anymore */
  abandon(): void;
}

export class Scorer {
  /** requests in flight per served model: the bounded queue */
  private readonly inFlight = new WeakMap<ServedModel, number>();

  /** flowgate_queue_depth's series per variant, held so a request adds a number */
  private readonly depthSeries = new WeakMap<ScoringVariant, GaugeSeries>();

  constructor(private readonly options: ScorerOptions) {}

  private queueDepth(variant: ScoringVariant): GaugeSeries {
    let series = this.depthSeries.get(variant);
    if (series === undefined) {
      series = this.options.metrics.queueDepth.with({ ...variant.labels, model: variant.model.served.name });
      this.depthSeries.set(variant, series);
    }
    return series;
  }

  async score<P, D extends DecodedRequest>(request: ScoreRequest<P, D>): Promise<ScoreOutcome> {
    const started = performance.now();
    const { endpoint, codec } = request;
    const body = new RequestBody(request.body, codec);
    let variant: ScoringVariant;
    try {
      // Only a sticky key in the body makes the main thread parse it before routing.
      const doc = endpoint.stickyPath !== null ? codec.routingDoc(body.get(true)) : undefined;
      variant = traced('route', () => (request.pinned !== undefined ? endpoint.pinnedVariant(request.pinned) : endpoint.route(request.header, doc)), {
        'flowgate.endpoint': endpoint.name,
      });
    } catch (err) {
      return { ok: false, error: this.failure(err, request.requestId), answered: null };
    }
    const served = variant.model.served;
    const queued = this.inFlight.get(served) ?? 0;
    if (queued >= this.options.maxQueue) {
      this.options.metrics.queueFull.inc({ model: served.name });
      this.options.metrics.refuse('queue_full');
      const error = new MlflowError('TEMPORARILY_UNAVAILABLE', `Model '${served.name}' has ${queued} requests in flight, its queue's bound (--max-queue): retry later.`);
      return { ok: false, error, answered: null };
    }
    const lease = served.acquire();
    if (lease === null) {
      return { ok: false, error: new MlflowError('TEMPORARILY_UNAVAILABLE', `Model '${endpoint.name}' is not loaded yet.`), answered: null };
    }
    this.inFlight.set(served, queued + 1);
    const depth = this.queueDepth(variant);
    depth.inc();
    const version = lease.version;
    const shadowed = endpoint.shadows.length > 0;
    const deadline = started + this.options.timeoutSeconds * 1000;
    const work = this.execute(version, codec, body, endpoint.name, shadowed || endpoint.remembersPredictions, variant.name, shadowed, deadline);
    // The lease (and the queue's place) holds until the work has ended, even when the deadline answered first.
    const ended = () => {
      lease.release();
      this.inFlight.set(served, this.inFlight.get(served)! - 1);
      depth.dec();
    };
    work.done.then(ended, ended);
    const answered = { variant, version };
    let outcome: ScoreOutcome;
    try {
      const { body: answer, predictions } = await withDeadline(this.options.timeoutSeconds * 1000, work.done, started);
      outcome = { ok: true, body: answer, answered };
      if (shadowed) this.sendToShadows(endpoint, codec, body, predictions!, request.requestId);
      if (endpoint.remembersPredictions) endpoint.answered(request.requestId, variant.name, version.identity.version, predictions!);
    } catch (err) {
      if (err instanceof Timeout) work.abandon();
      outcome = { ok: false, error: this.failure(err, request.requestId), answered };
    }
    const status = outcome.ok ? 200 : outcome.error.status;
    const seconds = (performance.now() - started) / 1000;
    observeVariant(this.options.metrics, variant, version, status, seconds, outcome.ok ? null : outcome.error.errorCode);
    endpoint.observed(variant.name, seconds, !outcome.ok);
    return outcome;
  }

  /** The pipeline on `version`: on a replica thread for a large body when it has replicas, else inline. */
  /**
   * `keepBody`: the body is needed again after this (shadows), so a replica thread gets a copy of it.
   * `deadline`: the performance.now() past which nobody waits for the answer (a batcher drops it unrun).
   */
  private execute<P, D extends DecodedRequest>(
    version: LoadedVersion,
    codec: Codec<P, D>,
    body: RequestBody<P>,
    endpoint: string,
    wantPredictions: boolean,
    variant: string,
    keepBody: boolean,
    deadline = Infinity,
  ): Work {
    if (version.offloads && (body.size >= INLINE_MAX_BYTES || !version.inline)) {
      return version.offload(codec.name, body.forThread(keepBody), endpoint, wantPredictions);
    }
    const done = (async () => runPipeline(codec, body.get(false), version, endpoint, wantPredictions, variant, deadline))();
    return { done, abandon: () => undefined }; // inline work is small: it ends on its own
  }

  /** The typed error of a failure: an MlflowError as it is, a timeout, or our own bug. */
  private failure(err: unknown, requestId: string): MlflowError {
    if (err instanceof MlflowError) return err;
    if (err instanceof Timeout) return new MlflowError('DEADLINE_EXCEEDED', 'Request processing time exceeded limit');
    this.options.metrics.internalErrors.inc();
    this.options.logger.error({ err, reqId: requestId }, 'internal error while scoring a request');
    return new MlflowError('INTERNAL_ERROR', `Internal error: ${(err as Error)?.message ?? String(err)}`);
  }

  /** Offers an answered request to every shadow that samples it; outcomes go to metrics and logs only. */
  private sendToShadows<P, D extends DecodedRequest>(endpoint: ScoringEndpoint, codec: Codec<P, D>, body: RequestBody<P>, primary: string, requestId: string): void {
    const { metrics } = this.options;
    for (const shadow of endpoint.shadows) {
      if (shadow.sample < 1 && Math.random() >= shadow.sample) continue;
      const accepted = shadow.queue.offer(
        bindTraceContext(() => traced('shadow', () => this.runShadow(shadow, endpoint, codec, body, primary, requestId), { 'flowgate.variant': shadow.name })),
      );
      if (!accepted) metrics.shadowDropped.with(shadow.labels).inc();
    }
  }

  private async runShadow<P, D extends DecodedRequest>(
    shadow: ScoringShadow,
    scoring: ScoringEndpoint,
    codec: Codec<P, D>,
    body: RequestBody<P>,
    primary: string,
    requestId: string,
  ): Promise<void> {
    const { metrics, logger } = this.options;
    const endpoint = scoring.name;
    const lease: Lease | null = shadow.model.served.acquire();
    const started = performance.now();
    let outcome: 'agree' | 'disagree' | 'error';
    let error: string | undefined;
    try {
      if (lease === null) throw new Error('the shadow model is not loaded');
      const { predictions } = await this.execute(lease.version, codec, body, endpoint, true, shadow.name, true).done;
      outcome = predictions === primary ? 'agree' : 'disagree';
    } catch (err) {
      outcome = 'error';
      error = (err as Error).message;
    } finally {
      lease?.release();
    }
    const seconds = (performance.now() - started) / 1000;
    metrics.shadowRequests.with({ ...shadow.labels, outcome }).inc();
    scoring.observedShadow(shadow.name, outcome);
    metrics.shadowLatency.with(shadow.labels).observe(seconds);
    logger.info(
      {
        reqId: requestId,
        endpoint,
        shadow: shadow.name,
        model: lease?.version.identity.name,
        version: lease?.version.identity.version ?? '',
        ms: Math.round(seconds * 1e6) / 1e3,
        outcome,
        error,
      },
      'shadow',
    );
  }
}
