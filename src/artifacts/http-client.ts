/**
 * HTTP client for an MLflow tracking server: its REST API and its artifact endpoints.
 * Auth, TLS, timeouts and retries follow MLflow's client (mlflow/utils/rest_utils.py,
 * request_utils.py): basic auth wins over a bearer token; 408/429/5xx and connection
 * errors are retried with exponential backoff. Unlike MLflow's client, one call (retries
 * included) has a deadline for its answer, so a wrong host or port fails in seconds, not minutes.
 */
import { readFileSync } from 'node:fs';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Logger } from 'pino';
import { MlflowError, toErrorCode } from '../errors.js';
import { withTraceContext } from '../tracing.js';

export type TrackingAuth =
  | { kind: 'none' }
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'bearer'; token: string };

export interface HttpSettings {
  auth: TrackingAuth;
  /** MLFLOW_TRACKING_INSECURE_TLS: skip certificate verification. */
  insecureTls: boolean;
  /** MLFLOW_TRACKING_SERVER_CERT_PATH: CA bundle to verify the server with. */
  caCertPath: string | null;
  /** MLFLOW_TRACKING_CLIENT_CERT_PATH: PEM holding the client certificate and its key. */
  clientCertPath: string | null;
  /** MLFLOW_HTTP_REQUEST_TIMEOUT (s, MLflow default 120): idle time allowed on a connection. */
  timeoutMs: number;
  /** MLFLOW_HTTP_REQUEST_MAX_RETRIES (MLflow default 7). */
  maxRetries: number;
  /** MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR (s, MLflow default 2): wait factor * 2^(retry-1). */
  backoffFactorSeconds: number;
  /** MLFLOW_HTTP_REQUEST_BACKOFF_JITTER (s, MLflow default 1): random extra wait. */
  backoffJitterSeconds: number;
  /**
   * FLOWGATE_REGISTRY_TIMEOUT (s, default 15; 0 = none): the most one call waits for an answer
   * (its response headers), retries and backoff included. A body then streams under timeoutMs.
   */
  deadlineMs: number;
}

export const DEFAULT_HTTP_SETTINGS: HttpSettings = {
  auth: { kind: 'none' },
  insecureTls: false,
  caCertPath: null,
  clientCertPath: null,
  timeoutMs: 120_000,
  maxRetries: 7,
  backoffFactorSeconds: 2,
  backoffJitterSeconds: 1,
  deadlineMs: 15_000,
};

const RETRY_STATUSES = new Set([408, 429, 500, 502, 503, 504]);
const MAX_BACKOFF_MS = 120_000;
const MAX_REDIRECTS = 5;

type Query = Record<string, string | string[] | undefined>;

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: IncomingMessage;
}

class ConnectionError extends Error {}

/** The call's deadline passed while waiting for an answer. */
class DeadlineError extends Error {}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function readText(body: IncomingMessage, limit = 1 << 20): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= limit) chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export class TrackingServerClient {
  private readonly agent: http.Agent;

  constructor(
    /** `http(s)://host:port[/prefix]`, no trailing slash, no credentials. */
    readonly baseUrl: string,
    private readonly settings: HttpSettings,
    private readonly logger: Logger,
  ) {
    const options = { keepAlive: true };
    if (baseUrl.startsWith('https:')) {
      const pem = settings.clientCertPath === null ? undefined : readFileSync(settings.clientCertPath);
      this.agent = new https.Agent({
        ...options,
        rejectUnauthorized: !settings.insecureTls,
        ca: settings.caCertPath === null ? undefined : readFileSync(settings.caCertPath),
        cert: pem,
        key: pem,
      });
    } else {
      this.agent = new http.Agent(options);
    }
  }

  /** GET `<base><path>` and parse the JSON answer; non-2xx become MlflowErrors. */
  async getJson(path: string, query: Query = {}): Promise<unknown> {
    return this.json('GET', path, query, undefined);
  }

  async postJson(path: string, body: unknown): Promise<unknown> {
    return this.json('POST', path, {}, JSON.stringify(body));
  }

  /** DELETE with a JSON body, as MLflow's client sends its DELETE endpoints. */
  async deleteJson(path: string, body: unknown): Promise<unknown> {
    return this.json('DELETE', path, {}, JSON.stringify(body));
  }

  /** GET a file; the caller consumes the body. `size` is the Content-Length when sent. */
  async getStream(path: string, query: Query = {}): Promise<{ body: IncomingMessage; size: number | null }> {
    const res = await this.send('GET', path, query, undefined);
    if (res.status < 200 || res.status >= 300) throw await this.errorFor(res, 'GET', path);
    const length = Number.parseInt(String(res.headers['content-length'] ?? ''), 10);
    return { body: res.body, size: Number.isFinite(length) ? length : null };
  }

  private async json(method: string, path: string, query: Query, body: string | undefined): Promise<unknown> {
    const res = await this.send(method, path, query, body);
    if (res.status < 200 || res.status >= 300) throw await this.errorFor(res, method, path);
    const text = await readText(res.body, 256 << 20);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new MlflowError('INTERNAL_ERROR', `Tracking server ${this.baseUrl} answered ${method} ${path} with invalid JSON: ${text.slice(0, 200)}`);
    }
  }

  private urlFor(path: string, query: Query): URL {
    const url = new URL(this.baseUrl + path);
    for (const [key, value] of Object.entries(query)) {
      if (value === undefined) continue;
      for (const v of Array.isArray(value) ? value : [value]) url.searchParams.append(key, v);
    }
    return url;
  }

  private backoffMs(retry: number, retryAfter: string | undefined): number {
    const seconds = Number.parseFloat(retryAfter ?? '');
    if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, MAX_BACKOFF_MS);
    const base = this.settings.backoffFactorSeconds * 2 ** (retry - 1);
    return Math.min((base + Math.random() * this.settings.backoffJitterSeconds) * 1000, MAX_BACKOFF_MS);
  }

  /** One request with retries on transient statuses and connection errors; follows redirects. */
  private async send(method: string, path: string, query: Query, body: string | undefined): Promise<RawResponse> {
    let url = this.urlFor(path, query);
    let redirects = 0;
    const started = Date.now();
    const deadline = this.settings.deadlineMs > 0 ? started + this.settings.deadlineMs : Infinity;
    const unreachable = (why: string, retry: number, cause: Error) =>
      new MlflowError(
        'TEMPORARILY_UNAVAILABLE',
        `Could not reach the tracking server at ${this.baseUrl} (${method} ${path}): ${why}` +
          (retry > 0 ? ` (after ${retry} ${retry === 1 ? 'retry' : 'retries'} in ${((Date.now() - started) / 1000).toFixed(1)} s)` : ''),
        { cause },
      );
    for (let retry = 0; ; ) {
      let res: RawResponse;
      try {
        res = await this.once(method, url, body, deadline);
      } catch (err) {
        if (err instanceof DeadlineError) {
          throw unreachable(`no answer within ${this.settings.deadlineMs / 1000} s (FLOWGATE_REGISTRY_TIMEOUT)`, retry, err);
        }
        if (!(err instanceof ConnectionError)) throw err;
        const wait = this.backoffMs(retry + 1, undefined);
        if (retry >= this.settings.maxRetries || Date.now() + wait >= deadline) throw unreachable(err.message, retry, err);
        retry += 1;
        this.logger.warn({ method, path, retry, waitMs: Math.round(wait), error: err.message }, 'tracking server unreachable; retrying');
        await sleep(wait);
        continue;
      }
      const location = res.headers.location;
      if (res.status >= 300 && res.status < 400 && location !== undefined && method === 'GET' && redirects < MAX_REDIRECTS) {
        res.body.resume();
        redirects += 1;
        url = new URL(location, url);
        continue;
      }
      if (RETRY_STATUSES.has(res.status) && retry < this.settings.maxRetries) {
        const retryAfter = res.headers['retry-after'];
        const wait = this.backoffMs(retry + 1, Array.isArray(retryAfter) ? retryAfter[0] : retryAfter);
        // No time left to retry: the caller gets this answer's error.
        if (Date.now() + wait >= deadline) return res;
        res.body.resume();
        retry += 1;
        this.logger.warn({ method, path, status: res.status, retry, waitMs: Math.round(wait) }, 'tracking server error; retrying');
        await sleep(wait);
        continue;
      }
      return res;
    }
  }

  private headersFor(url: URL, body: string | undefined): http.OutgoingHttpHeaders {
    const headers: http.OutgoingHttpHeaders = { 'user-agent': 'flowgate', accept: 'application/json, */*' };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(body);
    }
    // Credentials go only to the tracking server itself, never to a redirect target elsewhere.
    if (url.origin === new URL(this.baseUrl).origin) {
      const auth = this.settings.auth;
      if (auth.kind === 'basic') {
        headers.authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
      } else if (auth.kind === 'bearer') {
        headers.authorization = `Bearer ${auth.token}`;
      }
    }
    return headers;
  }

  private once(method: string, url: URL, body: string | undefined, deadline: number): Promise<RawResponse> {
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      // A redirect to the other protocol cannot use this server's agent (and its TLS settings).
      const agent = url.protocol === new URL(this.baseUrl).protocol ? this.agent : undefined;
      const timer =
        deadline === Infinity ? null : setTimeout(() => req.destroy(new DeadlineError('deadline')), Math.max(0, deadline - Date.now()));
      const req = transport.request(url, { method, agent, headers: withTraceContext(this.headersFor(url, body)) }, (res) => {
        if (timer !== null) clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res });
      });
      req.setTimeout(this.settings.timeoutMs, () => {
        req.destroy(new ConnectionError(`no answer within ${this.settings.timeoutMs / 1000} s`));
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (timer !== null) clearTimeout(timer);
        if (err instanceof ConnectionError || err instanceof DeadlineError) reject(err);
        else if (isTlsError(err)) reject(new MlflowError('INTERNAL_ERROR', `TLS error talking to ${this.baseUrl}: ${err.message}${tlsHint(err)}`, { cause: err }));
        else reject(new ConnectionError(err.code === undefined ? err.message : `${err.code} ${err.message}`));
      });
      req.end(body);
    });
  }

  private async errorFor(res: RawResponse, method: string, path: string): Promise<MlflowError> {
    const text = await readText(res.body, 64 << 10).catch(() => '');
    let mlflow: { error_code: string; message: string } | null = null;
    try {
      const parsed = JSON.parse(text) as { error_code?: unknown; message?: unknown };
      if (typeof parsed.error_code === 'string' && typeof parsed.message === 'string') {
        mlflow = { error_code: parsed.error_code, message: parsed.message };
      }
    } catch {
      // not an MLflow error body
    }
    const where = `${method} ${this.baseUrl}${path}`;
    const said = mlflow?.message ?? text.trim().slice(0, 300);
    const serverSaid = said === '' ? '' : ` Server said: ${said}`;
    if (res.status === 401) {
      const auth = this.settings.auth;
      const hint =
        auth.kind === 'none'
          ? 'no credentials were sent; set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD, or MLFLOW_TRACKING_TOKEN'
          : auth.kind === 'basic'
            ? 'the MLFLOW_TRACKING_USERNAME/MLFLOW_TRACKING_PASSWORD credentials were rejected'
            : 'the MLFLOW_TRACKING_TOKEN was rejected';
      return new MlflowError('UNAUTHENTICATED', `Tracking server refused ${where} (HTTP 401 Unauthorized): ${hint}.${serverSaid}`);
    }
    if (res.status === 403) {
      return new MlflowError('PERMISSION_DENIED', `Tracking server refused ${where} (HTTP 403 Forbidden): these credentials lack permission for it.${serverSaid}`);
    }
    if (mlflow !== null) return new MlflowError(toErrorCode(mlflow.error_code), mlflow.message, { status: res.status });
    if (res.status === 404) {
      const proxy = path.includes('mlflow-artifacts') ? ' serving artifacts (mlflow server --serve-artifacts)' : '';
      return new MlflowError('ENDPOINT_NOT_FOUND', `${where} returned HTTP 404: is this an MLflow tracking server${proxy}?${serverSaid}`);
    }
    const code = res.status === 400 ? 'BAD_REQUEST' : res.status === 429 ? 'REQUEST_LIMIT_EXCEEDED' : res.status >= 500 ? 'TEMPORARILY_UNAVAILABLE' : 'INTERNAL_ERROR';
    return new MlflowError(code, `${where} failed with HTTP ${res.status}.${serverSaid}`);
  }
}

function isTlsError(err: NodeJS.ErrnoException): boolean {
  return typeof err.code === 'string' && /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_OSSL/.test(err.code);
}

function tlsHint(err: NodeJS.ErrnoException): string {
  return /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(err.code ?? '')
    ? ' (set MLFLOW_TRACKING_SERVER_CERT_PATH to the CA bundle that signed it, or MLFLOW_TRACKING_INSECURE_TLS=true to skip verification)'
    : '';
}

/** One client per server and settings, so connections are reused across look-ups and polls. */
const clients = new WeakMap<HttpSettings, Map<string, TrackingServerClient>>();

export function trackingServerClient(baseUrl: string, settings: HttpSettings, logger: Logger): TrackingServerClient {
  let byUrl = clients.get(settings);
  if (byUrl === undefined) {
    byUrl = new Map();
    clients.set(settings, byUrl);
  }
  let client = byUrl.get(baseUrl);
  if (client === undefined) {
    client = new TrackingServerClient(baseUrl, settings, logger);
    byUrl.set(baseUrl, client);
  }
  return client;
}
