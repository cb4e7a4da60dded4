/**
 * Follows a model URI: loads its first version (in the background: the server answers
 * /health meanwhile), then re-resolves the URI every poll interval and, when a stage or
 * alias points at another version, downloads, loads and warms the new version up before
 * swapping it in. The served version keeps serving through every failure.
 *
 * A version that fails to load is retried with capped exponential backoff while the
 * registry is still polled at the regular interval, so a fixed version is picked up at
 * once. Its error is logged with the stack once, then as a one-line reminder, and is
 * shown as the pending version (GET /endpoints, flowgate_model_pending).
 */
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import type { RuntimeOptions } from '../model/flavor.js';
import { traced } from '../tracing.js';
import {
  fetchModelFiles,
  lastKnownModel,
  modelCachePath,
  rememberModel,
  resolveModelVersion,
  type ModelVersionRef,
  type ProgressCallback,
  type RegistryOptions,
} from '../registry/index.js';
import { parseModelsUri, uriScheme } from '../registry/uri.js';
import { LoadedVersion, type ModelIdentity } from './loaded-version.js';
import type { ReplicaPool } from './replicas.js';
import type { ServedModel } from './served-model.js';
import { warmUp } from './warmup.js';

export interface FollowerOptions {
  uri: string;
  served: ServedModel;
  registry: RegistryOptions;
  intervalSeconds: number;
  logger: Logger;
  metrics: Metrics;
  /** the serving replica threads (-w N), which load CPU-bound versions too */
  replicas: ReplicaPool | null;
  /** how its versions are run */
  runtime?: RuntimeOptions;
  /** download progress of the first load */
  onProgress?: ProgressCallback;
  /** after each swap (the old version has been released) */
  onSwap?: () => void;
}

/** Retries of a failing version or registry: 1 s, 2 s, 4 s ... up to this. */
export const MAX_RETRY_SECONDS = 60;

/** The version a follower is trying to serve next. */
export interface PendingVersion {
  /** registry version; null for a plain location, or when the URI does not resolve */
  version: string | null;
  state: 'loading' | 'failed';
  /** the last failure, one line */
  error: string | null;
  /** failed attempts so far */
  failures: number;
  since: Date;
  nextRetry: Date | null;
}

export function identityOf(ref: ModelVersionRef, localPath: string): ModelIdentity {
  const fallbackName = localPath.split(/[\\/]/).filter(Boolean).pop() ?? localPath;
  return { name: ref.name ?? fallbackName, version: ref.version, uri: ref.uri, localPath };
}

/** Load and warm up the version whose files are at `localPath`. */
export const loadVersion = (ref: ModelVersionRef, localPath: string, logger: Logger, replicas: ReplicaPool | null, runtime?: RuntimeOptions, metrics?: Metrics): Promise<LoadedVersion> =>
  traced('model.load', () => loadVersionNow(ref, localPath, logger, replicas, runtime, metrics), { 'flowgate.model_uri': ref.uri, 'flowgate.model': ref.name ?? '', 'flowgate.version': ref.version ?? '' });

async function loadVersionNow(ref: ModelVersionRef, localPath: string, logger: Logger, replicas: ReplicaPool | null, runtime?: RuntimeOptions, metrics?: Metrics): Promise<LoadedVersion> {
  const version = await LoadedVersion.load(identityOf(ref, localPath), logger, replicas, runtime, metrics ?? null);
  try {
    await warmUp(version);
  } catch (err) {
    await version.retire();
    throw new Error(`warm-up with the model's input example failed: ${(err as Error).message}`, { cause: err });
  }
  return version;
}

/** A URI that always names the same files: a version number, a run, a logged model, a path. */
function isPinned(uri: string): boolean {
  if (uriScheme(uri) !== 'models') return true;
  try {
    const kind = parseModelsUri(uri).kind;
    return kind === 'version' || kind === 'logged-model';
  } catch {
    return true;
  }
}

function firstLine(err: unknown): string {
  return ((err as Error)?.message ?? String(err)).split('\n')[0]!.slice(0, 500);
}

function sameVersion(a: ModelVersionRef, b: ModelVersionRef): boolean {
  return a.version === b.version && a.artifactUri === b.artifactUri;
}

function retrySeconds(failures: number): number {
  return Math.min(MAX_RETRY_SECONDS, 2 ** Math.max(0, failures - 1));
}

/** A first load that cannot succeed by retrying: `flowgate serve` exits on it. */
export class FirstLoadError extends Error {
  constructor(
    readonly uri: string,
    cause: unknown,
  ) {
    super((cause as Error)?.message ?? String(cause), { cause });
    this.name = 'FirstLoadError';
  }
}

export class Follower {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** what the URI resolved to when the served version was chosen; null before the first load */
  private servedRef: ModelVersionRef | null = null;
  private pendingVersion: PendingVersion | null = null;
  /** which version pendingVersion is about (null: the URI did not resolve) */
  private pendingRef: ModelVersionRef | null = null;
  /** the local directory of the pending version, once known */
  private pendingPath: string | null = null;
  private registryFailures = 0;
  /** the registry has answered this URI at least once */
  private resolvedOnce = false;
  private lastError: unknown = null;
  private running: Promise<void> | null = null;
  private pendingLabels: Record<string, string> | null = null;
  private settleReady!: { resolve: () => void; reject: (err: Error) => void };
  /**
   * Resolves at the first successful load; rejects (once) when the first load fails in a
   * way retrying cannot fix: the registry cannot be asked on the first attempt (wrong URI,
   * server down, model unknown) and nothing is cached, or a pinned URI's files cannot be loaded.
   */
  readonly ready: Promise<void>;

  constructor(private readonly options: FollowerOptions) {
    this.ready = new Promise<void>((resolve, reject) => (this.settleReady = { resolve, reject }));
    this.ready.catch(() => undefined);
  }

  /** Starts the first load now; polling follows every interval (0: no polling once loaded). */
  start(): void {
    void this.poll();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.setPendingMetric(null);
  }

  /** The version being loaded or failing to load, if any. */
  pending(): PendingVersion | null {
    return this.pendingVersion;
  }

  /** Local directories this follower reads: the served version's and the pending one's. */
  filesInUse(): string[] {
    const paths = [this.options.served.current()?.identity.localPath, this.pendingPath];
    return paths.filter((p): p is string => typeof p === 'string');
  }

  /**
   * Resolves once a version is served; rejects with the error of the latest attempt when no
   * version is served and that attempt failed.
   */
  async settled(): Promise<void> {
    while (this.running !== null) await this.running;
    if (this.options.served.current() === null) throw this.lastError instanceof Error ? this.lastError : new Error(String(this.lastError));
  }

  /** One poll (or first-load attempt): returns after a swap, a failure, or nothing to do. */
  poll(): Promise<void> {
    this.running ??= this.attempt().finally(() => (this.running = null));
    return this.running;
  }

  private get model(): string {
    return this.options.served.current()?.identity.name ?? this.options.served.name;
  }

  private schedule(seconds: number): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const interval = this.options.intervalSeconds;
    // Without polling, only a first load is retried.
    if (this.stopped || (interval <= 0 && this.servedRef !== null)) return;
    this.timer = setTimeout(() => void this.poll(), (interval > 0 ? Math.min(interval, seconds) : seconds) * 1000);
    this.timer.unref();
  }

  /** One resolve (and, when the URI moved, download and load) in a span: the first load's, or a poll's. */
  private attempt(): Promise<void> {
    return traced(this.servedRef === null ? 'registry.resolve' : 'registry.poll', () => this.attemptNow(), { 'flowgate.model_uri': this.options.uri });
  }

  private async attemptNow(): Promise<void> {
    if (this.stopped) return;
    const { uri, registry } = this.options;
    const first = this.servedRef === null;
    let ref: ModelVersionRef;
    let localPath: string | null = null;
    try {
      ref = await resolveModelVersion(uri, registry);
      this.registryFailures = 0;
      this.resolvedOnce = true;
    } catch (err) {
      const last = first ? await lastKnownModel(uri, registry, err) : null;
      if (last === null) return this.registryFailed(err, first);
      ref = last;
      localPath = last.localPath;
    }
    if (this.servedRef !== null && sameVersion(ref, this.servedRef)) {
      this.setPending(null, null);
      return this.schedule(this.options.intervalSeconds);
    }
    const pending = this.pendingVersion;
    const again = pending !== null && this.pendingRef !== null && sameVersion(ref, this.pendingRef);
    if (again && pending.state === 'failed' && pending.nextRetry !== null && pending.nextRetry.getTime() > Date.now()) {
      // Still backing off this version: the registry was asked only to see whether the URI moved.
      return this.schedule((pending.nextRetry.getTime() - Date.now()) / 1000);
    }
    await this.load(ref, localPath, again ? pending.failures : 0, first);
  }

  private async load(ref: ModelVersionRef, knownPath: string | null, failures: number, first: boolean): Promise<void> {
    const { uri, served, logger, metrics, registry } = this.options;
    const since = failures > 0 ? this.pendingVersion!.since : new Date();
    this.setPending(ref, { version: ref.version, state: 'loading', error: null, failures, since, nextRetry: null });
    this.pendingPath = knownPath ?? modelCachePath(ref, registry);
    if (!first) logger.info({ uri, from: this.servedRef?.version, to: ref.version }, `${uri} now points at version ${ref.version}: loading it`);
    const started = process.hrtime.bigint();
    let stage: 'fetch' | 'load' = 'fetch';
    let next: LoadedVersion;
    try {
      const localPath = knownPath ?? (await fetchModelFiles(ref, registry, first ? this.options.onProgress : undefined));
      this.pendingPath = localPath;
      stage = 'load';
      next = await loadVersion(ref, localPath, logger, this.options.replicas, this.options.runtime, metrics);
      if (knownPath === null) await rememberModel(uri, registry, { ...ref, localPath });
    } catch (err) {
      return this.loadFailed(ref, err, failures + 1, since, first, first && stage === 'load' && isPinned(uri));
    }
    if (this.stopped) return void (await next.retire());
    metrics.loadSeconds.observe({ model: next.identity.name }, Number(process.hrtime.bigint() - started) / 1e9);
    const previous = served.current();
    this.servedRef = ref;
    this.lastError = null;
    this.setPending(null, null);
    // A first load is not a reload: its failures show in flowgate_model_pending.
    if (!first) metrics.reloads.inc({ model: next.identity.name, outcome: 'success' });
    if (!first || failures > 0) logger.info({ uri, version: ref.version, flavor: next.flavor }, `now serving ${next.identity.name} version ${ref.version}`);
    this.schedule(this.options.intervalSeconds);
    await served.swap(next);
    if (previous !== null) metrics.forgetVersion(previous);
    metrics.markServed(next);
    this.settleReady.resolve();
    this.options.onSwap?.();
  }

  private loadFailed(ref: ModelVersionRef, err: unknown, failures: number, since: Date, first: boolean, fatal: boolean): void {
    const { uri, logger, metrics } = this.options;
    this.lastError = err;
    if (!first) metrics.reloads.inc({ model: this.model, outcome: 'failure' });
    const wait = retrySeconds(failures);
    const serving = this.servedRef === null ? 'nothing is served yet' : `still serving version ${this.servedRef.version ?? '(path)'}`;
    const what = `version ${ref.version ?? ref.artifactUri} of ${uri}`;
    if (failures === 1) {
      logger.error({ err, uri, version: ref.version }, `cannot load ${what}; ${serving}; retrying in ${wait} s, then backing off up to ${MAX_RETRY_SECONDS} s`);
    } else {
      logger.warn({ uri, version: ref.version, failures, error: firstLine(err) }, `still cannot load ${what} (${failures} attempts): ${firstLine(err)}; ${serving}; next retry in ${wait} s`);
    }
    this.setPending(ref, { version: ref.version, state: 'failed', error: firstLine(err), failures, since, nextRetry: new Date(Date.now() + wait * 1000) });
    if (fatal) this.settleReady.reject(new FirstLoadError(uri, err));
    this.schedule(wait);
  }

  private registryFailed(err: unknown, first: boolean): void {
    const { uri, logger, metrics } = this.options;
    this.lastError = err;
    this.registryFailures++;
    metrics.pollErrors.inc({ model: this.model });
    const wait = retrySeconds(this.registryFailures);
    const serving = this.servedRef === null ? 'nothing is served yet' : `still serving version ${this.servedRef.version ?? '(path)'}`;
    if (this.registryFailures === 1) {
      logger.warn({ err, uri }, `cannot resolve ${uri} in the registry; ${serving}; retrying in ${wait} s`);
    } else {
      logger.warn({ uri, failures: this.registryFailures, error: firstLine(err) }, `registry still failing for ${uri} (${this.registryFailures} attempts): ${firstLine(err)}; ${serving}; next retry in ${wait} s`);
    }
    if (first) {
      const since = this.pendingVersion?.since ?? new Date();
      this.setPending(null, { version: null, state: 'failed', error: firstLine(err), failures: this.registryFailures, since, nextRetry: new Date(Date.now() + wait * 1000) });
      // The registry never answered this URI: a wrong URI, server or credentials, not a blip to wait out.
      if (!this.resolvedOnce) this.settleReady.reject(new FirstLoadError(uri, err));
    }
    this.schedule(wait);
  }

  private setPending(ref: ModelVersionRef | null, pending: PendingVersion | null): void {
    this.pendingRef = ref;
    this.pendingVersion = pending;
    if (pending === null) this.pendingPath = null;
    this.setPendingMetric(pending);
  }

  private setPendingMetric(pending: PendingVersion | null): void {
    const gauge = this.options.metrics.pendingVersions;
    if (this.pendingLabels !== null) gauge.remove(this.pendingLabels);
    this.pendingLabels = pending === null ? null : { uri: this.options.uri, version: pending.version ?? '', state: pending.state };
    if (this.pendingLabels !== null) gauge.set(this.pendingLabels, 1);
  }
}
