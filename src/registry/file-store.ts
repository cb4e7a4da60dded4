/**
 * MLflow's file store (spec §5.4), read-only: the registry under `<root>/models/` and
 * the runs and MLflow 3 logged models under `<root>/<experiment>/`. Look-ups and
 * messages follow mlflow/store/model_registry/file_store.py and tracking/file_store.py.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { joinArtifactUri } from '../artifacts/location.js';
import { MlflowError, notFound } from '../errors.js';
import { Relocator } from './relocate.js';
import type { LoggedModel, ModelVersion, RunInfo, Store } from './types.js';
import { ALL_STAGES, canonicalStage, STAGE_DELETED_INTERNAL, validateAlias, validateRunId } from './uri.js';
import { latestPerStage, latestVersionAlias } from './latest.js';

/** YAML scalars as strings: ids and versions may be written as (big) ints or strings. */
const scalar = z.union([z.string(), z.number(), z.bigint(), z.boolean()]).transform(String);
const optionalScalar = scalar.nullish().transform((v) => v ?? null);

const versionMeta = z.object({
  name: scalar,
  version: scalar,
  current_stage: optionalScalar,
  description: optionalScalar,
  source: optionalScalar,
  storage_location: optionalScalar,
  run_id: optionalScalar,
  status: optionalScalar,
  model_id: optionalScalar,
});

const runMeta = z.object({
  run_id: optionalScalar,
  run_uuid: optionalScalar,
  experiment_id: scalar,
  artifact_uri: scalar,
});

const loggedModelMeta = z.object({
  model_id: scalar,
  experiment_id: scalar,
  name: scalar,
  artifact_location: scalar,
  source_run_id: optionalScalar,
  lifecycle_stage: optionalScalar,
  creation_timestamp: optionalScalar,
});

type VersionMeta = z.infer<typeof versionMeta>;

const TRASH = '.trash';
const MODELS = 'models';

async function readYaml<T>(path: string, schema: z.ZodType<T>): Promise<T> {
  const text = await readFile(path, 'utf8');
  const parsed = schema.safeParse(parseYaml(text, { intAsBigInt: true }));
  if (!parsed.success) {
    throw new MlflowError('INVALID_STATE', `${path} is not a valid MLflow meta.yaml: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

async function listDir(path: string): Promise<string[]> {
  try {
    return await readdir(path);
  } catch {
    return [];
  }
}

async function isDir(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** Tag and alias files: `dir/<key>` holds the value; keys with '/' are subdirectories. */
export async function readKeyFiles(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true, recursive: true });
  } catch {
    return out;
  }
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    out[path.slice(dir.length + 1).split('\\').join('/')] = await readFile(path, 'utf8');
  }
  return out;
}

export class FileStore implements Store {
  readonly serverUri = null;
  private readonly relocator: Relocator;

  constructor(
    readonly uri: string,
    /** Absolute path of the store root (the `mlruns` directory). */
    private readonly root: string,
    cwd: string,
    logger: Logger,
  ) {
    this.relocator = new Relocator([root, dirname(root)], cwd, logger, uri);
  }

  localize(location: string): string {
    return this.relocator.localize(location);
  }

  private checkRoot(): void {
    if (!existsSync(this.root)) {
      throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `MLflow file store ${this.root} (from ${this.uri}) does not exist.`);
    }
  }

  /** `<root>/models/<name>`, after MLflow's name checks; throws when the model is not registered. */
  async modelDir(name: string): Promise<string> {
    this.checkRoot();
    if (name === '') throw new MlflowError('INVALID_PARAMETER_VALUE', "Missing value for required parameter 'name'.");
    if (name.includes('/') || name.includes('\\')) {
      throw new MlflowError('INVALID_PARAMETER_VALUE', `Invalid name: '${name}'. Registered model name cannot contain path separator`);
    }
    if (name.includes('%')) {
      throw new MlflowError('INVALID_PARAMETER_VALUE', `Invalid name: '${name}'. Registered model name cannot contain '%' character`);
    }
    const dir = join(this.root, MODELS, name);
    if (name === '.' || name === '..' || !(await isDir(dir))) throw notFound(`Registered Model with name=${name} not found`);
    return dir;
  }

  private async aliasesOf(modelDir: string): Promise<Record<string, string>> {
    return readKeyFiles(join(modelDir, 'aliases'));
  }

  private async toModelVersion(dir: string, meta: VersionMeta, aliases: Record<string, string>): Promise<ModelVersion> {
    return {
      name: meta.name,
      version: meta.version,
      currentStage: meta.current_stage ?? 'None',
      description: meta.description,
      source: meta.source,
      runId: meta.run_id,
      status: meta.status,
      aliases: Object.entries(aliases)
        .filter(([, v]) => v.trim() === meta.version)
        .map(([a]) => a)
        .sort(),
      tags: await readKeyFiles(join(dir, 'tags')),
      modelId: meta.model_id,
    };
  }

  private async versionMetas(modelDir: string): Promise<{ dir: string; meta: VersionMeta }[]> {
    const out: { dir: string; meta: VersionMeta }[] = [];
    for (const entry of await listDir(modelDir)) {
      if (!entry.startsWith('version-')) continue;
      const dir = join(modelDir, entry);
      if (!existsSync(join(dir, 'meta.yaml'))) continue;
      out.push({ dir, meta: await readYaml(join(dir, 'meta.yaml'), versionMeta) });
    }
    return out.sort((a, b) => Number(a.meta.version) - Number(b.meta.version));
  }

  /** The version's meta.yaml, unless missing or soft-deleted (both "not found" in MLflow). */
  private async versionMeta(name: string, version: string): Promise<{ modelDir: string; dir: string; meta: VersionMeta }> {
    const modelDir = await this.modelDir(name);
    const dir = join(modelDir, `version-${version}`);
    const missing = notFound(`Model Version (name=${name}, version=${version}) not found`);
    if (!existsSync(join(dir, 'meta.yaml'))) throw missing;
    const meta = await readYaml(join(dir, 'meta.yaml'), versionMeta);
    if (meta.current_stage === STAGE_DELETED_INTERNAL) throw missing;
    return { modelDir, dir, meta };
  }

  async getModelVersion(name: string, version: string): Promise<ModelVersion> {
    const { modelDir, dir, meta } = await this.versionMeta(name, version);
    return this.toModelVersion(dir, meta, await this.aliasesOf(modelDir));
  }

  async getLatestVersions(name: string, stages: string[] | null): Promise<ModelVersion[]> {
    const modelDir = await this.modelDir(name);
    const wanted = new Set((stages === null || stages.length === 0 ? [...ALL_STAGES] : stages).map(canonicalStage));
    const all = await this.versionMetas(modelDir);
    const aliases = await this.aliasesOf(modelDir);
    const latest = latestPerStage(all.map((v) => ({ stage: v.meta.current_stage ?? 'None', version: Number(v.meta.version), item: v })));
    const picked = latest.filter((v) => wanted.has(v.meta.current_stage ?? 'None'));
    return Promise.all(picked.map((v) => this.toModelVersion(v.dir, v.meta, aliases)));
  }

  async getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    if (alias.toLowerCase() === 'latest') return latestVersionAlias(this, name);
    validateAlias(alias);
    const modelDir = await this.modelDir(name);
    const version = (await this.aliasesOf(modelDir))[alias];
    if (version === undefined) throw new MlflowError('INVALID_PARAMETER_VALUE', `Registered model alias ${alias} not found.`);
    return this.getModelVersion(name, version.trim());
  }

  async getDownloadUri(name: string, version: string): Promise<string> {
    const { meta } = await this.versionMeta(name, version);
    const uri = meta.storage_location || meta.source;
    if (!uri) throw new MlflowError('INVALID_STATE', `Model Version (name=${name}, version=${version}) has no source`);
    return uri;
  }

  async searchModelVersions(name: string): Promise<ModelVersion[]> {
    const modelDir = await this.modelDir(name);
    const aliases = await this.aliasesOf(modelDir);
    const live = (await this.versionMetas(modelDir)).filter((v) => v.meta.current_stage !== STAGE_DELETED_INTERNAL);
    const versions = await Promise.all(live.map((v) => this.toModelVersion(v.dir, v.meta, aliases)));
    return versions.reverse();
  }

  /** Experiment directories, active first, then deleted ones under .trash (as _find_run_root). */
  private async experimentDirs(): Promise<string[]> {
    this.checkRoot();
    const active = (await listDir(this.root)).filter((e) => e !== TRASH && e !== MODELS && !e.startsWith('.')).map((e) => join(this.root, e));
    const deleted = (await listDir(join(this.root, TRASH))).map((e) => join(this.root, TRASH, e));
    const dirs: string[] = [];
    for (const dir of [...active, ...deleted]) if (existsSync(join(dir, 'meta.yaml'))) dirs.push(dir);
    return dirs;
  }

  async getRun(runId: string): Promise<RunInfo> {
    validateRunId(runId);
    for (const expDir of await this.experimentDirs()) {
      const metaPath = join(expDir, runId, 'meta.yaml');
      if (!existsSync(metaPath)) continue;
      const meta = await readYaml(metaPath, runMeta);
      return { runId: meta.run_id ?? meta.run_uuid ?? runId, experimentId: meta.experiment_id, artifactUri: meta.artifact_uri };
    }
    throw notFound(`Run '${runId}' not found`);
  }

  private async loggedModelsIn(expDir: string): Promise<z.infer<typeof loggedModelMeta>[]> {
    const out: z.infer<typeof loggedModelMeta>[] = [];
    for (const id of await listDir(join(expDir, MODELS))) {
      const metaPath = join(expDir, MODELS, id, 'meta.yaml');
      if (existsSync(metaPath)) out.push(await readYaml(metaPath, loggedModelMeta));
    }
    return out;
  }

  async getLoggedModel(modelId: string): Promise<LoggedModel> {
    for (const expDir of await this.experimentDirs()) {
      const metaPath = join(expDir, MODELS, modelId, 'meta.yaml');
      if (modelId.includes('/') || modelId.includes('\\') || modelId.startsWith('.') || !existsSync(metaPath)) continue;
      const meta = await readYaml(metaPath, loggedModelMeta);
      if (meta.lifecycle_stage === 'deleted') break;
      return toLoggedModel(meta);
    }
    throw notFound(`Model '${modelId}' not found`);
  }

  async findLoggedModel(experimentId: string, name: string, runId: string): Promise<LoggedModel | null> {
    for (const expDir of await this.experimentDirs()) {
      const matches = (await this.loggedModelsIn(expDir)).filter(
        (m) => m.experiment_id === experimentId && m.name === name && m.source_run_id === runId && m.lifecycle_stage !== 'deleted',
      );
      // search_logged_models orders by creation time, newest first
      matches.sort((a, b) => Number(b.creation_timestamp ?? 0) - Number(a.creation_timestamp ?? 0));
      if (matches[0] !== undefined) return toLoggedModel(matches[0]);
    }
    return null;
  }

  async hasRunArtifacts(run: RunInfo, path: string): Promise<boolean> {
    return this.relocator.hasLocal(this.runArtifactUri(run, path));
  }

  runArtifactUri(run: RunInfo, path: string): string {
    return joinArtifactUri(run.artifactUri, path);
  }
}

function toLoggedModel(meta: z.infer<typeof loggedModelMeta>): LoggedModel {
  return {
    modelId: meta.model_id,
    experimentId: meta.experiment_id,
    name: meta.name,
    artifactLocation: meta.artifact_location,
    sourceRunId: meta.source_run_id,
  };
}
