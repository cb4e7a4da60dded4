/**
 * What every registry backend (file store, SQLite, REST) answers, in MLflow's terms.
 * Each backend implements the same look-ups with its own store's semantics and messages.
 */

export interface ModelVersion {
  name: string;
  /** MLflow versions are integers; kept as the decimal string the REST API uses. */
  version: string;
  currentStage: string;
  description: string | null;
  source: string | null;
  runId: string | null;
  status: string | null;
  aliases: string[];
  tags: Record<string, string>;
  /** MLflow 3: the logged model this version was registered from. */
  modelId: string | null;
}

export interface RunInfo {
  runId: string;
  experimentId: string;
  artifactUri: string;
}

/** An MLflow 3 logged model (`models:/m-<id>`). */
export interface LoggedModel {
  modelId: string;
  experimentId: string;
  name: string;
  artifactLocation: string;
  sourceRunId: string | null;
}

/** Model registry look-ups (`MLFLOW_REGISTRY_URI`, else the tracking URI). */
export interface RegistryStore {
  readonly uri: string;
  /** The tracking server `mlflow-artifacts:` and `runs:` locations it returns are relative to; null for local stores. */
  readonly serverUri: string | null;
  getModelVersion(name: string, version: string): Promise<ModelVersion>;
  /** For each requested stage (all four when null), the highest version in it, in the store's order. */
  getLatestVersions(name: string, stages: string[] | null): Promise<ModelVersion[]>;
  getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion>;
  /** `storage_location or source`, as MLflow's get_model_version_download_uri. */
  getDownloadUri(name: string, version: string): Promise<string>;
  /** Every non-deleted version of a registered model, highest first. */
  searchModelVersions(name: string): Promise<ModelVersion[]>;
  /** A stored artifact location made usable here (relocation for local stores; identity otherwise). */
  localize(location: string): string;
}

/** Tracking look-ups: runs and logged models (the tracking URI). */
export interface TrackingStore {
  readonly uri: string;
  readonly serverUri: string | null;
  getRun(runId: string): Promise<RunInfo>;
  getLoggedModel(modelId: string): Promise<LoggedModel>;
  /** MLflow 3: the logged model a run produced under `name` (runs:/<run>/<name> falls back to it). */
  findLoggedModel(experimentId: string, name: string, runId: string): Promise<LoggedModel | null>;
  /** Whether the run has artifacts under `path` (a directory or file). */
  hasRunArtifacts(run: RunInfo, path: string): Promise<boolean>;
  /** The URI the artifact layer reads a run's artifacts from (a local path, or runs:/ via the server). */
  runArtifactUri(run: RunInfo, path: string): string;
  localize(location: string): string;
}

export type Store = RegistryStore & TrackingStore;
