/**
 * The REST client against the 19 responses a real MLflow 2.17.2 tracking server gave
 * (registry-sqlite-server/rest/), served verbatim by an HTTP server in the test. Each
 * request the client makes must be one that was recorded (same method, path, query and
 * JSON body); anything else gets a 599 and fails the test.
 */
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_HTTP_SETTINGS, TrackingServerClient } from '../../src/artifacts/http-client.js';
import { MlflowArtifactsSource } from '../../src/artifacts/mlflow-artifacts.js';
import { RunArtifactsSource } from '../../src/artifacts/run-artifacts.js';
import { MlflowError } from '../../src/errors.js';
import { RestStore } from '../../src/registry/rest-store.js';
import { HAVE_FIXTURES, MLFLOW_REAL, captureLogger } from './fixture.js';

interface Recording {
  request: { method: string; path: string; json_body: unknown };
  response: { status: number; content_type: string; body: string | null; json: unknown };
}

const REST = join(MLFLOW_REAL, 'registry-sqlite-server', 'rest');
const RUN = 'af994cc429ac4dcba782c2dd0dc37530';

/** Method, path and decoded query in order, plus the JSON body: what identifies a request. */
function requestKey(method: string, target: string, body: unknown): string {
  const url = new URL(target, 'http://x');
  return JSON.stringify([method, url.pathname, [...url.searchParams.entries()], body ?? null]);
}

function recording(name: string): Recording {
  return JSON.parse(readFileSync(join(REST, `${name}.json`), 'utf8')) as Recording;
}

describe.skipIf(!HAVE_FIXTURES)('REST client against recorded MLflow responses', () => {
  const served = new Map<string, Recording>();
  const misses: string[] = [];
  let server: http.Server;
  let client: TrackingServerClient;
  let store: RestStore;

  beforeAll(async () => {
    for (const file of readdirSync(REST).filter((f) => f.endsWith('.json'))) {
      const rec = JSON.parse(readFileSync(join(REST, file), 'utf8')) as Recording;
      served.set(requestKey(rec.request.method, rec.request.path, rec.request.json_body), rec);
    }
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const key = requestKey(req.method ?? '', req.url ?? '', text === '' ? null : JSON.parse(text));
        const rec = served.get(key);
        if (rec === undefined) {
          misses.push(key);
          res.writeHead(599).end('no recording for this request');
          return;
        }
        const body = rec.response.body ?? JSON.stringify(rec.response.json);
        res.writeHead(rec.response.status, { 'content-type': rec.response.content_type }).end(body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    client = new TrackingServerClient(url, { ...DEFAULT_HTTP_SETTINGS, maxRetries: 0 }, captureLogger().logger);
    store = new RestStore(client);
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    expect(misses).toEqual([]);
  });

  it('has the 19 recordings', () => expect(served.size).toBe(19));

  it('model-versions/get', async () => {
    expect(await store.getModelVersion('iris-lr', '2')).toEqual({
      name: 'iris-lr',
      version: '2',
      currentStage: 'Production',
      description: 'LogisticRegression(C=1.0)',
      source: `mlflow-artifacts:/1/${RUN}/artifacts/model`,
      runId: RUN,
      status: 'READY',
      aliases: ['champion'],
      tags: { validated: 'true' },
      modelId: null,
    });
  });

  it('get-latest-versions: all stages, one stage, a lower-case stage', async () => {
    expect((await store.getLatestVersions('iris-lr', null)).map((v) => [v.version, v.currentStage])).toEqual([
      ['1', 'Archived'],
      ['2', 'Production'],
      ['3', 'Staging'],
      ['4', 'None'],
    ]);
    expect((await store.getLatestVersions('iris-lr', ['Production'])).map((v) => v.version)).toEqual(['2']);
    expect((await store.getLatestVersions('iris-lr', ['production'])).map((v) => v.version)).toEqual(['2']);
  });

  it('get-latest-versions with a bad stage is the server\'s INVALID_PARAMETER_VALUE', async () => {
    const err = (await store.getLatestVersions('iris-lr', ['Bogus']).catch((e: unknown) => e)) as MlflowError;
    expect(err).toBeInstanceOf(MlflowError);
    expect([err.errorCode, err.status, err.message]).toEqual([
      'INVALID_PARAMETER_VALUE',
      400,
      'Invalid Model Version stage: Bogus. Value must be one of None, Staging, Production, Archived.',
    ]);
  });

  it('registered-models/alias, found and missing', async () => {
    expect(await store.getModelVersionByAlias('iris-lr', 'champion')).toMatchObject({ version: '2', aliases: ['champion'] });
    const err = (await store.getModelVersionByAlias('iris-lr', 'nope').catch((e: unknown) => e)) as MlflowError;
    expect([err.errorCode, err.status, err.message]).toEqual(['INVALID_PARAMETER_VALUE', 400, 'Registered model alias nope not found.']);
  });

  it('a missing version is RESOURCE_DOES_NOT_EXIST (404)', async () => {
    const err = (await store.getModelVersion('iris-lr', '99').catch((e: unknown) => e)) as MlflowError;
    expect([err.errorCode, err.status, err.message]).toEqual(['RESOURCE_DOES_NOT_EXIST', 404, 'Model Version (name=iris-lr, version=99) not found']);
  });

  it('model-versions/get-download-uri', async () => {
    expect(await store.getDownloadUri('iris-lr', '2')).toBe(`mlflow-artifacts:/1/${RUN}/artifacts/model`);
  });

  it('model-versions/search', async () => {
    const versions = await store.searchModelVersions('iris-lr');
    expect(versions.map((v) => [v.version, v.currentStage])).toEqual([
      ['4', 'None'],
      ['3', 'Staging'],
      ['2', 'Production'],
      ['1', 'Archived'],
    ]);
    expect(versions[3]!.tags).toEqual({ note: 'underfit' });
  });

  it('runs/get', async () => {
    expect(await store.getRun(RUN)).toEqual({ runId: RUN, experimentId: '1', artifactUri: `mlflow-artifacts:/1/${RUN}/artifacts` });
  });

  it('artifacts/list of a run directory', async () => {
    const entries = await new RunArtifactsSource(client, RUN, 'model').listDir('model');
    expect(entries.map((e) => e.path)).toEqual([
      'model/MLmodel',
      'model/conda.yaml',
      'model/input_example.json',
      'model/model.pkl',
      'model/python_env.yaml',
      'model/requirements.txt',
      'model/serving_input_example.json',
    ]);
    expect(entries[0]).toEqual({ path: 'model/MLmodel', isDir: false, size: 1079 });
  });

  it('mlflow-artifacts proxy: listing and a file, byte for byte', async () => {
    const source = new MlflowArtifactsSource(client, `1/${RUN}/artifacts/model`);
    const files = await source.list();
    expect(files).toHaveLength(7);
    expect(files.find((f) => f.path === 'model.pkl')).toEqual({ path: 'model.pkl', size: 994 });
    const chunks: Buffer[] = [];
    for await (const chunk of await source.open({ path: 'MLmodel', size: null })) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString('utf8')).toBe(recording('mlflow_artifacts_download_MLmodel').response.body);
  });

  it('registered-models/get and /search parse as JSON; a missing model is RESOURCE_DOES_NOT_EXIST', async () => {
    const got = (await client.getJson('/api/2.0/mlflow/registered-models/get', { name: 'iris-lr' })) as { registered_model: { name: string } };
    expect(got.registered_model.name).toBe('iris-lr');
    const search = (await client.getJson('/api/2.0/mlflow/registered-models/search', { max_results: '100' })) as { registered_models: unknown[] };
    expect(search.registered_models).toHaveLength(4);
    const err = (await client.getJson('/api/2.0/mlflow/registered-models/get', { name: 'no-such-model' }).catch((e: unknown) => e)) as MlflowError;
    expect([err.errorCode, err.status, err.message]).toEqual(['RESOURCE_DOES_NOT_EXIST', 404, 'Registered Model with name=no-such-model not found']);
  });

  it('/health and /version answer plain text', async () => {
    const read = async (path: string): Promise<string> => {
      const chunks: Buffer[] = [];
      for await (const chunk of (await client.getStream(path)).body) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    };
    expect(await read('/health')).toBe('OK');
    expect(await read('/version')).toBe('2.17.2');
  });
});
