/**
 * An MLflow tracking server over its REST API (spec §5.7). The server applies its own
 * store's rules (version picking, messages); this client only asks and maps the JSON.
 */
import { z } from 'zod';
import type { TrackingServerClient } from '../artifacts/http-client.js';
import { joinArtifactUri } from '../artifacts/location.js';
import { RunArtifactsSource } from '../artifacts/run-artifacts.js';
import { MlflowError } from '../errors.js';
import type { LoggedModel, ModelVersion, RunInfo, Store } from './types.js';
import { validateRunId } from './uri.js';

const API = '/api/2.0/mlflow';

const idLike = z.union([z.string(), z.number()]).transform(String);

const modelVersionJson = z.object({
  name: z.string(),
  version: idLike,
  current_stage: z.string().optional(),
  description: z.string().optional(),
  source: z.string().optional(),
  run_id: z.string().optional(),
  status: z.string().optional(),
  tags: z.array(z.object({ key: z.string(), value: z.string().optional() })).optional(),
  aliases: z.array(z.string()).optional(),
  model_id: z.string().optional(),
});

const oneVersion = z.object({ model_version: modelVersionJson });
const versionList = z.object({ model_versions: z.array(modelVersionJson).optional(), next_page_token: z.string().optional() });
const downloadUri = z.object({ artifact_uri: z.string() });
const runJson = z.object({
  run: z.object({
    info: z.object({
      run_id: z.string().optional(),
      run_uuid: z.string().optional(),
      experiment_id: idLike,
      artifact_uri: z.string().optional(),
    }),
  }),
});
const loggedModelInfo = z.object({
  model_id: z.string(),
  experiment_id: idLike,
  name: z.string(),
  artifact_uri: z.string(),
  source_run_id: z.string().optional(),
});
const loggedModelJson = z.object({ model: z.object({ info: loggedModelInfo }) });
const loggedModelSearch = z.object({
  models: z.array(z.object({ info: loggedModelInfo })).optional(),
  next_page_token: z.string().optional(),
});

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new MlflowError('INTERNAL_ERROR', `Unexpected ${what} answer from the tracking server: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

function toModelVersion(mv: z.infer<typeof modelVersionJson>): ModelVersion {
  return {
    name: mv.name,
    version: mv.version,
    currentStage: mv.current_stage ?? 'None',
    description: mv.description ?? null,
    source: mv.source ?? null,
    runId: mv.run_id === undefined || mv.run_id === '' ? null : mv.run_id,
    status: mv.status ?? null,
    aliases: [...(mv.aliases ?? [])].sort(),
    tags: Object.fromEntries((mv.tags ?? []).map((t) => [t.key, t.value ?? ''])),
    modelId: mv.model_id ?? null,
  };
}

function toLoggedModel(info: z.infer<typeof loggedModelInfo>): LoggedModel {
  return {
    modelId: info.model_id,
    experimentId: info.experiment_id,
    name: info.name,
    artifactLocation: info.artifact_uri,
    sourceRunId: info.source_run_id ?? null,
  };
}

/** A filter string literal: MLflow's search grammar takes single or double quotes. */
function quote(value: string): string {
  return value.includes("'") ? `"${value}"` : `'${value}'`;
}

/** The endpoint is missing on this server version (or method): try the next way. */
function isMissingEndpoint(err: unknown): boolean {
  return err instanceof MlflowError && (err.errorCode === 'ENDPOINT_NOT_FOUND' || err.status === 405);
}

export class RestStore implements Store {
  readonly uri: string;
  readonly serverUri: string;

  constructor(private readonly client: TrackingServerClient) {
    this.uri = client.baseUrl;
    this.serverUri = client.baseUrl;
  }

  localize(location: string): string {
    return location;
  }

  async getModelVersion(name: string, version: string): Promise<ModelVersion> {
    const answer = await this.client.getJson(`${API}/model-versions/get`, { name, version });
    return toModelVersion(parse(oneVersion, answer, 'model-versions/get').model_version);
  }

  async getLatestVersions(name: string, stages: string[] | null): Promise<ModelVersion[]> {
    const body = stages === null ? { name } : { name, stages };
    let answer: unknown;
    try {
      answer = await this.client.postJson(`${API}/registered-models/get-latest-versions`, body);
    } catch (err) {
      // MLflow's client falls back to the GET form of this endpoint.
      if (!isMissingEndpoint(err)) throw err;
      answer = await this.client.getJson(`${API}/registered-models/get-latest-versions`, { name, stages: stages ?? undefined });
    }
    return (parse(versionList, answer, 'get-latest-versions').model_versions ?? []).map(toModelVersion);
  }

  async getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    const answer = await this.client.getJson(`${API}/registered-models/alias`, { name, alias });
    return toModelVersion(parse(oneVersion, answer, 'registered-models/alias').model_version);
  }

  async getDownloadUri(name: string, version: string): Promise<string> {
    const answer = await this.client.getJson(`${API}/model-versions/get-download-uri`, { name, version });
    return parse(downloadUri, answer, 'get-download-uri').artifact_uri;
  }

  async searchModelVersions(name: string): Promise<ModelVersion[]> {
    const versions: ModelVersion[] = [];
    let pageToken: string | undefined;
    do {
      const answer = await this.client.getJson(`${API}/model-versions/search`, { filter: `name=${quote(name)}`, page_token: pageToken });
      const page = parse(versionList, answer, 'model-versions/search');
      versions.push(...(page.model_versions ?? []).map(toModelVersion));
      pageToken = page.next_page_token === '' ? undefined : page.next_page_token;
    } while (pageToken !== undefined);
    return versions.sort((a, b) => Number(b.version) - Number(a.version));
  }

  async getRun(runId: string): Promise<RunInfo> {
    validateRunId(runId);
    const info = parse(runJson, await this.client.getJson(`${API}/runs/get`, { run_id: runId }), 'runs/get').run.info;
    return { runId: info.run_id ?? info.run_uuid ?? runId, experimentId: info.experiment_id, artifactUri: info.artifact_uri ?? '' };
  }

  async getLoggedModel(modelId: string): Promise<LoggedModel> {
    const answer = await this.client.getJson(`${API}/logged-models/${encodeURIComponent(modelId)}`);
    return toLoggedModel(parse(loggedModelJson, answer, 'logged-models/get').model.info);
  }

  async findLoggedModel(experimentId: string, name: string, runId: string): Promise<LoggedModel | null> {
    let pageToken: string | undefined;
    try {
      do {
        const answer = await this.client.postJson(`${API}/logged-models/search`, {
          experiment_ids: [experimentId],
          filter: `name = ${quote(name)}`,
          ...(pageToken === undefined ? {} : { page_token: pageToken }),
        });
        const page = parse(loggedModelSearch, answer, 'logged-models/search');
        const hit = (page.models ?? []).find((m) => m.info.source_run_id === runId);
        if (hit !== undefined) return toLoggedModel(hit.info);
        pageToken = page.next_page_token === '' ? undefined : page.next_page_token;
      } while (pageToken !== undefined);
    } catch (err) {
      // MLflow 2.x servers have no logged models.
      if (isMissingEndpoint(err)) return null;
      throw err;
    }
    return null;
  }

  async hasRunArtifacts(run: RunInfo, path: string): Promise<boolean> {
    return (await new RunArtifactsSource(this.client, run.runId, path).listDir(path)).length > 0;
  }

  /** Run artifacts are read through the server's run-artifact endpoints, whatever store backs them. */
  runArtifactUri(run: RunInfo, path: string): string {
    return joinArtifactUri(`runs:/${run.runId}`, path);
  }
}
