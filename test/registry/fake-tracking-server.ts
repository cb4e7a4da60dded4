/**
 * A small fake MLflow tracking server for tests, built from a copy of the
 * `registry-sqlite-server` fixture (its mlflow.db and artifacts/ directory), or of
 * `registry-sqlite` to play a server without an artifact proxy whose artifact paths are on
 * its own disk (`serverPaths` maps the recorded prefix to where the copy is).
 *
 * What it emulates, and only that: the read endpoints flowgate uses, with MLflow 2.17's
 * semantics and messages as recorded in the fixture's rest/ responses —
 * get-latest-versions (POST and GET), model-versions/get, get-download-uri,
 * registered-models/alias (incl. the `latest` quirk of the SQL store), model-versions/search,
 * runs/get, artifacts/list, /get-artifact and the mlflow-artifacts proxy (list, download).
 * With `writable`, also the registry writes rollouts make, as MLflow's SqlAlchemyStore does
 * them (rows merged, no last_updated_time change) and its handlers answer them (`{}`):
 * registered-models/set-tag (POST), delete-tag (DELETE, JSON body), alias (POST, DELETE),
 * and registered-models/get to read the tags back, in the recorded answer's shape.
 * It is not MLflow: no search grammar beyond `name='x'`, no pagination.
 * Knobs let tests demand auth, inject 5xx answers and see the requests made.
 */
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize, sep } from 'node:path';
import Database from 'better-sqlite3';

const STAGES = ['None', 'Staging', 'Production', 'Archived'];

interface VersionRow {
  name: string;
  version: number;
  creation_time: number;
  last_updated_time: number;
  current_stage: string;
  description: string | null;
  source: string | null;
  run_id: string | null;
  status: string | null;
  run_link: string | null;
  storage_location: string | null;
}

export interface FakeServerOptions {
  /** `Authorization` header value every request must carry (401 otherwise). */
  requireAuthorization?: string;
  /** Answer this many requests with 503 before serving normally. */
  failFirst?: number;
  /** Server-local artifact paths: the prefix recorded in the database → the copy's directory. */
  serverPaths?: { from: string; to: string };
  /** Accept registry writes into the copy's mlflow.db (read-only otherwise). */
  writable?: boolean;
}

export interface FakeTrackingServer {
  url: string;
  requests: { method: string; url: string; authorization: string | undefined; traceparent?: string | undefined; body: string }[];
  close(): Promise<void>;
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function startFakeTrackingServer(registryDir: string, options: FakeServerOptions = {}): Promise<FakeTrackingServer> {
  const db = new Database(join(registryDir, 'mlflow.db'), { readonly: options.writable !== true, fileMustExist: true, timeout: 10_000 });
  const artifactRoot = join(registryDir, 'artifacts');
  const requests: FakeTrackingServer['requests'] = [];
  let failures = options.failFirst ?? 0;

  const modelExists = (name: string): void => {
    if (db.prepare('SELECT 1 FROM registered_models WHERE name = ?').get(name) === undefined) {
      throw new ApiError(404, 'RESOURCE_DOES_NOT_EXIST', `Registered Model with name=${name} not found`);
    }
  };
  const rows = (name: string): VersionRow[] =>
    db.prepare("SELECT * FROM model_versions WHERE name = ? AND current_stage != 'Deleted_Internal' ORDER BY version").all(name) as VersionRow[];
  const row = (name: string, version: string): VersionRow => {
    const found = rows(name).find((r) => String(r.version) === version);
    if (found === undefined) throw new ApiError(404, 'RESOURCE_DOES_NOT_EXIST', `Model Version (name=${name}, version=${version}) not found`);
    return found;
  };
  const aliasesOf = (r: VersionRow): string[] =>
    (db.prepare('SELECT alias FROM registered_model_aliases WHERE name = ? AND version = ?').all(r.name, r.version) as { alias: string }[]).map((a) => a.alias);
  const mvJson = (r: VersionRow, withAliases: boolean): Record<string, unknown> => {
    const tags = db.prepare('SELECT key, value FROM model_version_tags WHERE name = ? AND version = ?').all(r.name, r.version) as { key: string; value: string }[];
    const aliases = withAliases ? aliasesOf(r) : [];
    return {
      name: r.name,
      version: String(r.version),
      creation_timestamp: r.creation_time,
      last_updated_timestamp: r.last_updated_time,
      current_stage: r.current_stage,
      ...(r.description === null ? {} : { description: r.description }),
      ...(r.source === null ? {} : { source: r.source }),
      ...(r.run_id === null ? {} : { run_id: r.run_id }),
      ...(r.status === null ? {} : { status: r.status }),
      ...(tags.length === 0 ? {} : { tags }),
      run_link: r.run_link ?? '',
      ...(aliases.length === 0 ? {} : { aliases }),
    };
  };
  /** Latest per stage in the SQL store's order (see src/registry/latest.ts). */
  const latest = (name: string, stages: string[]): VersionRow[] => {
    modelExists(name);
    const wanted = stages.length === 0 ? STAGES : stages.map((s) => {
      const found = STAGES.find((c) => c.toLowerCase() === s.toLowerCase());
      if (found === undefined) {
        throw new ApiError(400, 'INVALID_PARAMETER_VALUE', `Invalid Model Version stage: ${s}. Value must be one of None, Staging, Production, Archived.`);
      }
      return found;
    });
    const byStage = new Map<string, VersionRow>();
    for (const r of rows(name)) {
      const seen = byStage.get(r.current_stage);
      if (seen === undefined || seen.version < r.version) byStage.set(r.current_stage, r);
    }
    return [...byStage.values()].filter((r) => wanted.includes(r.current_stage));
  };
  const run = (runId: string): { run_uuid: string; experiment_id: number; artifact_uri: string } => {
    const found = db.prepare('SELECT run_uuid, experiment_id, artifact_uri FROM runs WHERE run_uuid = ?').get(runId) as
      | { run_uuid: string; experiment_id: number; artifact_uri: string }
      | undefined;
    if (found === undefined) throw new ApiError(404, 'RESOURCE_DOES_NOT_EXIST', `Run with id=${runId} not found`);
    return found;
  };
  /** A path under the artifact root, refusing what MLflow's validate_path_is_safe refuses. */
  const artifactPath = (rel: string): string => {
    const clean = normalize(rel).replace(/^\/+/, '');
    if (rel.includes('..') || clean.startsWith('..')) throw new ApiError(400, 'INVALID_PARAMETER_VALUE', 'Invalid path');
    return join(artifactRoot, clean);
  };
  const runRoot = (runId: string): string => {
    const uri = run(runId).artifact_uri;
    if (uri.startsWith('mlflow-artifacts:')) return artifactPath(uri.replace(/^mlflow-artifacts:\/*/, ''));
    const paths = options.serverPaths;
    if (paths === undefined || !uri.startsWith(paths.from)) throw new ApiError(500, 'INTERNAL_ERROR', `cannot read ${uri}`);
    return paths.to + uri.slice(paths.from.length);
  };
  const listing = (dir: string): { name: string; isDir: boolean; size: number }[] =>
    existsSync(dir) && statSync(dir).isDirectory()
      ? readdirSync(dir)
          .sort()
          .map((name) => {
            const s = statSync(join(dir, name));
            return { name, isDir: s.isDirectory(), size: s.size };
          })
      : [];

  /** A write's JSON body, with MLflow's message for a missing required field. */
  const fields = (body: string, required: string[]): Record<string, string> => {
    if (options.writable !== true) throw new ApiError(403, 'PERMISSION_DENIED', 'this fake server was started read-only');
    let doc: Record<string, unknown>;
    try {
      doc = JSON.parse(body) as Record<string, unknown>;
    } catch {
      throw new ApiError(400, 'MALFORMED_REQUEST', 'Malformed request: the body is not JSON');
    }
    for (const f of required) {
      if (doc[f] === undefined || doc[f] === null || doc[f] === '') {
        throw new ApiError(400, 'INVALID_PARAMETER_VALUE', `Missing value for required parameter '${f}'. See the API docs for more information about request parameters.`);
      }
    }
    return Object.fromEntries(Object.entries(doc).map(([k, v]) => [k, String(v)]));
  };
  const registeredModelJson = (name: string): Record<string, unknown> => {
    modelExists(name);
    const m = db.prepare('SELECT * FROM registered_models WHERE name = ?').get(name) as { name: string; creation_time: number; last_updated_time: number; description: string | null };
    const tags = db.prepare('SELECT key, value FROM registered_model_tags WHERE name = ?').all(name) as { key: string; value: string }[];
    const aliases = db.prepare('SELECT alias, version FROM registered_model_aliases WHERE name = ? ORDER BY alias').all(name) as { alias: string; version: number }[];
    return {
      name: m.name,
      creation_timestamp: m.creation_time,
      last_updated_timestamp: m.last_updated_time,
      ...(m.description === null ? {} : { description: m.description }),
      latest_versions: latest(name, []).sort((a, b) => a.version - b.version).map((r) => mvJson(r, false)),
      ...(tags.length === 0 ? {} : { tags }),
      ...(aliases.length === 0 ? {} : { aliases: aliases.map((a) => ({ alias: a.alias, version: String(a.version) })) }),
    };
  };

  const route = async (req: http.IncomingMessage, url: URL, body: string): Promise<{ status: number; json?: unknown; file?: string }> => {
    const q = url.searchParams;
    const p = url.pathname;
    const arg = (name: string): string => q.get(name) ?? '';
    if (p === '/api/2.0/mlflow/registered-models/get' && req.method === 'GET') return { status: 200, json: { registered_model: registeredModelJson(arg('name')) } };
    if (p === '/api/2.0/mlflow/registered-models/set-tag' && req.method === 'POST') {
      const f = fields(body, ['name', 'key', 'value']);
      modelExists(f.name!);
      db.prepare('INSERT INTO registered_model_tags (key, value, name) VALUES (?, ?, ?) ON CONFLICT (key, name) DO UPDATE SET value = excluded.value').run(f.key, f.value, f.name);
      return { status: 200, json: {} };
    }
    if (p === '/api/2.0/mlflow/registered-models/delete-tag' && req.method === 'DELETE') {
      const f = fields(body, ['name', 'key']);
      modelExists(f.name!);
      db.prepare('DELETE FROM registered_model_tags WHERE name = ? AND key = ?').run(f.name, f.key);
      return { status: 200, json: {} };
    }
    if (p === '/api/2.0/mlflow/registered-models/alias' && req.method === 'POST') {
      const f = fields(body, ['name', 'alias', 'version']);
      row(f.name!, f.version!);
      db.prepare('INSERT INTO registered_model_aliases (alias, version, name) VALUES (?, ?, ?) ON CONFLICT (name, alias) DO UPDATE SET version = excluded.version').run(f.alias, Number(f.version), f.name);
      return { status: 200, json: {} };
    }
    if (p === '/api/2.0/mlflow/registered-models/alias' && req.method === 'DELETE') {
      const f = fields(body, ['name', 'alias']);
      modelExists(f.name!);
      db.prepare('DELETE FROM registered_model_aliases WHERE name = ? AND alias = ?').run(f.name, f.alias);
      return { status: 200, json: {} };
    }
    if (p === '/api/2.0/mlflow/registered-models/get-latest-versions') {
      const params = req.method === 'POST' ? (JSON.parse(body) as { name: string; stages?: string[] }) : { name: arg('name'), stages: q.getAll('stages') };
      return { status: 200, json: { model_versions: latest(params.name, params.stages ?? []).map((r) => mvJson(r, false)) } };
    }
    if (p === '/api/2.0/mlflow/model-versions/get') return { status: 200, json: { model_version: mvJson(row(arg('name'), arg('version')), true) } };
    if (p === '/api/2.0/mlflow/model-versions/get-download-uri') {
      const r = row(arg('name'), arg('version'));
      return { status: 200, json: { artifact_uri: r.storage_location || r.source } };
    }
    if (p === '/api/2.0/mlflow/registered-models/alias') {
      const name = arg('name');
      const alias = arg('alias');
      if (alias.toLowerCase() === 'latest') return { status: 200, json: { model_version: mvJson(latest(name, [])[0]!, true) } };
      modelExists(name);
      const hit = db.prepare('SELECT version FROM registered_model_aliases WHERE name = ? AND alias = ?').get(name, alias) as { version: number } | undefined;
      if (hit === undefined) throw new ApiError(400, 'INVALID_PARAMETER_VALUE', `Registered model alias ${alias} not found.`);
      return { status: 200, json: { model_version: mvJson(row(name, String(hit.version)), true) } };
    }
    if (p === '/api/2.0/mlflow/model-versions/search') {
      const name = /^name\s*=\s*'(.*)'$/.exec(arg('filter'))?.[1] ?? '';
      return { status: 200, json: { model_versions: rows(name).reverse().map((r) => mvJson(r, false)) } };
    }
    if (p === '/api/2.0/mlflow/runs/get') {
      const r = run(arg('run_id'));
      return {
        status: 200,
        json: { run: { info: { run_uuid: r.run_uuid, experiment_id: String(r.experiment_id), artifact_uri: r.artifact_uri, run_id: r.run_uuid }, data: {}, inputs: {} } },
      };
    }
    if (p === '/api/2.0/mlflow/artifacts/list') {
      const runId = arg('run_id');
      const rel = arg('path');
      const root = runRoot(runId);
      const files = listing(join(root, rel)).map((f) => ({
        path: rel === '' ? f.name : `${rel}/${f.name}`,
        is_dir: f.isDir,
        ...(f.isDir ? {} : { file_size: f.size }),
      }));
      return { status: 200, json: { root_uri: run(runId).artifact_uri, files } };
    }
    if (p === '/get-artifact') return { status: 200, file: join(runRoot(arg('run_id') || arg('run_uuid')), normalize(arg('path')).replace(/^\/+/, '')) };
    if (p === '/api/2.0/mlflow-artifacts/artifacts') {
      const files = listing(artifactPath(arg('path'))).map((f) => ({ path: f.name, is_dir: f.isDir, ...(f.isDir ? {} : { file_size: f.size }) }));
      return { status: 200, json: files.length === 0 ? {} : { files } };
    }
    if (p.startsWith('/api/2.0/mlflow-artifacts/artifacts/')) {
      return { status: 200, file: artifactPath(decodeURIComponent(p.slice('/api/2.0/mlflow-artifacts/artifacts/'.length))) };
    }
    return { status: 404 };
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        authorization: req.headers.authorization,
        traceparent: req.headers.traceparent as string | undefined,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      const url = new URL(req.url ?? '/', 'http://fake');
      if (options.requireAuthorization !== undefined && req.headers.authorization !== options.requireAuthorization) {
        res.writeHead(401, { 'content-type': 'text/plain' }).end('You are not authenticated. Please see https://www.mlflow.org/docs/latest/auth/index.html');
        return;
      }
      if (failures > 0) {
        failures -= 1;
        res.writeHead(503, { 'content-type': 'text/html' }).end('<h1>Service Unavailable</h1>');
        return;
      }
      route(req, url, Buffer.concat(chunks).toString('utf8'))
        .then((answer) => {
          if (answer.file !== undefined) {
            if (!existsSync(answer.file) || !answer.file.startsWith(registryDir + sep) || statSync(answer.file).isDirectory()) {
              res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>Not Found</h1>');
              return;
            }
            res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': statSync(answer.file).size });
            createReadStream(answer.file).pipe(res);
            return;
          }
          if (answer.json === undefined) {
            res.writeHead(answer.status, { 'content-type': 'text/html' }).end('<!doctype html><title>404 Not Found</title><h1>Not Found</h1>');
            return;
          }
          res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.json));
        })
        .catch((err: unknown) => {
          const e = err instanceof ApiError ? err : new ApiError(500, 'INTERNAL_ERROR', String(err));
          res.writeHead(e.status, { 'content-type': 'application/json' }).end(JSON.stringify({ error_code: e.code, message: e.message }));
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      db.close();
    },
  };
}
