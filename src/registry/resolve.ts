/**
 * Model URI → the version it points at now and where its files are (spec §5.1–5.3),
 * picking versions exactly as MLflow's ModelsArtifactRepository / RunsArtifactRepository do.
 */
import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import { fileUriToPath, joinArtifactUri, trackingServerClient } from '../artifacts/index.js';
import { MlflowError } from '../errors.js';
import { FileStore } from './file-store.js';
import { logOnce } from './log-once.js';
import type { RegistryOptions } from './options.js';
import { RestStore } from './rest-store.js';
import { SqliteStore } from './sqlite-store.js';
import { defaultTrackingUri, parseStoreUri } from './store-uri.js';
import type { ModelVersion, RegistryStore, Store } from './types.js';
import { parseModelsUri, parseRunsUri, uriScheme, type ModelsUri } from './uri.js';

export interface ModelVersionRef {
  /** The URI as given. */
  uri: string;
  /** Registered model name and version; null for runs:/, logged models and plain locations. */
  name: string | null;
  version: string | null;
  stage: string | null;
  aliases: string[];
  /** Where MLflow says the model comes from (the version's source, the run's artifact URI...). */
  source: string | null;
  /** The location flowgate reads the files from (storage location, relocated path...). */
  artifactUri: string;
  runId: string | null;
  /** MLflow 3 logged model id (models:/m-<id>), when known. */
  modelId: string | null;
  /** The tracking URI `mlflow-artifacts:` and `runs:` artifact URIs are read through. */
  trackingUri: string | null;
}

export interface Stores {
  tracking: Store;
  registry: Store;
  trackingUri: string;
  cwd: string;
  logger: Logger;
}

/** Guards against a registry whose sources point at each other (models:/ → models:/ ...). */
const MAX_INDIRECTIONS = 4;

function openStore(uri: string, opts: RegistryOptions): Store {
  const parsed = parseStoreUri(uri, opts.cwd);
  switch (parsed.kind) {
    case 'file':
      return new FileStore(uri, parsed.root, opts.cwd, opts.logger);
    case 'sqlite':
      return new SqliteStore(uri, parsed.path, opts.cwd, opts.logger);
    case 'rest':
      return new RestStore(trackingServerClient(parsed.baseUrl, opts.http, opts.logger));
  }
}

/** The tracking store, and the registry store (MLFLOW_REGISTRY_URI, else the same one). */
export function openStores(opts: RegistryOptions): Stores {
  const trackingUri = opts.trackingUri ?? defaultTrackingUri(opts.cwd);
  const tracking = openStore(trackingUri, opts);
  const registryUri = opts.registryUri ?? trackingUri;
  const registry = registryUri === trackingUri ? tracking : openStore(registryUri, opts);
  return { tracking, registry, trackingUri, cwd: opts.cwd, logger: opts.logger };
}

interface Location {
  source: string;
  artifactUri: string;
  trackingUri: string;
  runId: string | null;
  modelId: string | null;
}

/** The highest version among the latest per stage (_get_latest_model_version). */
async function latestVersion(registry: RegistryStore, name: string, stage: string | null): Promise<string> {
  const latest = await registry.getLatestVersions(name, stage === null ? null : [stage]);
  if (latest.length === 0) {
    throw new MlflowError('INTERNAL_ERROR', `No versions of model with name '${name}'${stage === null ? '' : ` and stage '${stage}'`} found`);
  }
  return String(Math.max(...latest.map((v) => Number(v.version))));
}

async function pickVersion(registry: RegistryStore, parsed: Exclude<ModelsUri, { kind: 'logged-model' }>): Promise<ModelVersion> {
  switch (parsed.kind) {
    case 'version':
      return registry.getModelVersion(parsed.name, parsed.version);
    case 'alias':
      return registry.getModelVersionByAlias(parsed.name, parsed.alias);
    case 'stage':
      return registry.getModelVersion(parsed.name, await latestVersion(registry, parsed.name, parsed.stage));
    case 'latest':
      return registry.getModelVersion(parsed.name, await latestVersion(registry, parsed.name, null));
  }
}

/** `runs:/<run>/<path>`; MLflow 3 models live outside the run, found by name (RunsArtifactRepository). */
async function runLocation(uri: string, stores: Stores): Promise<Location> {
  const { runId, path } = parseRunsUri(uri);
  const tracking = stores.tracking;
  const trackingUri = tracking.serverUri ?? stores.trackingUri;
  const run = await tracking.getRun(runId);
  if (path !== '' && !(await tracking.hasRunArtifacts(run, path))) {
    const [name, ...rest] = path.split('/');
    const model = await tracking.findLoggedModel(run.experimentId, name!, runId);
    if (model !== null) {
      const source = joinArtifactUri(model.artifactLocation, rest.join('/'));
      return { source, artifactUri: tracking.localize(source), trackingUri, runId, modelId: model.modelId };
    }
  }
  const source = joinArtifactUri(run.artifactUri, path);
  return { source, artifactUri: tracking.localize(tracking.runArtifactUri(run, path)), trackingUri, runId, modelId: null };
}

/**
 * A tracking server without an artifact proxy hands out paths on its own disk. When such a
 * path is not on this machine but lies under the version's run, the server's run-artifact
 * endpoints can still serve it (MLflow's client would fail here).
 */
async function throughServerRun(where: Location, store: Store, runId: string | null, stores: Stores): Promise<Location> {
  if (store.serverUri === null || runId === null) return where;
  const scheme = uriScheme(where.artifactUri);
  if ((scheme !== null && scheme !== 'file') || existsSync(fileUriToPath(where.artifactUri, stores.cwd))) return where;
  const run = await store.getRun(runId);
  const root = run.artifactUri.replace(/\/+$/, '');
  if (root === '' || !where.artifactUri.startsWith(`${root}/`)) return where;
  const artifactUri = store.runArtifactUri(run, where.artifactUri.slice(root.length + 1));
  logOnce(
    stores.logger,
    'info',
    `server-run\n${store.uri}\n${where.artifactUri}`,
    { stored: where.artifactUri, using: artifactUri },
    "artifact path is on the tracking server's disk; reading it through the server",
  );
  return { ...where, artifactUri };
}

/** A download URI from a store: local, remote, or itself a models:/ or runs:/ URI (MLflow 3 sources). */
async function follow(uri: string, store: Store, stores: Stores, depth: number, runId: string | null): Promise<Location> {
  const scheme = uriScheme(uri);
  if (scheme === 'models' || scheme === 'runs') {
    if (depth >= MAX_INDIRECTIONS) throw new MlflowError('INVALID_STATE', `Too many models:/ or runs:/ indirections resolving ${uri}`);
    if (scheme === 'runs') return runLocation(uri, stores);
    const ref = await resolveUri(uri, stores, depth + 1);
    return { source: uri, artifactUri: ref.artifactUri, trackingUri: ref.trackingUri ?? stores.trackingUri, runId: ref.runId, modelId: ref.modelId };
  }
  const where = { source: uri, artifactUri: store.localize(uri), trackingUri: store.serverUri ?? stores.trackingUri, runId: null, modelId: null };
  return throughServerRun(where, store, runId, stores);
}

async function resolveUri(uri: string, stores: Stores, depth: number): Promise<ModelVersionRef> {
  if (uriScheme(uri) === 'runs') {
    return { uri, name: null, version: null, stage: null, aliases: [], ...(await runLocation(uri, stores)) };
  }
  const parsed = parseModelsUri(uri);
  if (parsed.kind === 'logged-model') {
    const model = await stores.tracking.getLoggedModel(parsed.modelId);
    const where = await follow(model.artifactLocation, stores.tracking, stores, depth, null);
    return { uri, name: null, version: null, stage: null, aliases: [], ...where, runId: model.sourceRunId, modelId: model.modelId };
  }
  const mv = await pickVersion(stores.registry, parsed);
  const where = await follow(await stores.registry.getDownloadUri(mv.name, mv.version), stores.registry, stores, depth, mv.runId);
  return {
    uri,
    name: mv.name,
    version: mv.version,
    stage: mv.currentStage,
    aliases: mv.aliases,
    source: mv.source,
    artifactUri: where.artifactUri,
    runId: mv.runId ?? where.runId,
    modelId: mv.modelId ?? where.modelId,
    trackingUri: where.trackingUri,
  };
}

/** A `models:/` or `runs:/` URI through the stores. */
export async function resolveStoreUri(uri: string, stores: Stores): Promise<ModelVersionRef> {
  return resolveUri(uri, stores, 0);
}
