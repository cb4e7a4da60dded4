/**
 * Auth (off unless credentials are configured). Inference routes take a server-wide bearer
 * token (--auth-token-file, FLOWGATE_AUTH_TOKENS), a basic-auth user (--auth-htpasswd, or
 * `user:<bcrypt hash>` entries of FLOWGATE_AUTH_TOKENS), or a token of the endpoint the
 * route names (flowgate.yaml `auth`, read from the table served now, so a reload applies
 * at once); /metrics and /ui their own token; probes (/ping, /health, /v2/health/*) stay
 * open. Once any credential is configured, every protected route needs one: a route no
 * credential opens answers 401 to everyone. `x-flowgate-variant` then needs an admin token
 * of the endpoint (403 otherwise), so clients cannot force a challenger. Refusals are
 * answered in the route's protocol with `WWW-Authenticate` and counted by reason; the
 * presented secret is never logged.
 */
import { readFileSync } from 'node:fs';
import type { MiddlewareHandler } from 'hono';
import type { Counter } from 'prom-client';
import { parseTokenFile, TokenSet } from '../endpoints/access.js';
import { VARIANT_HEADER, type Endpoint } from '../endpoints/endpoint.js';
import type { EndpointTable, Gateway } from '../endpoints/gateway.js';
import { MlflowError } from '../errors.js';
import { BasicUsers, BcryptWorker, isBasicEntry, parseHtpasswd } from './basic-auth.js';
import type { AppEnv } from './context.js';
import { rendererFor } from './render.js';

export interface AuthConfig {
  /** --auth-token-file: one inference token a line */
  tokenFile: string | null;
  /** FLOWGATE_AUTH_TOKENS, comma-separated: bearer tokens, and `user:<bcrypt hash>` basic-auth users */
  tokens: string[];
  /** --auth-htpasswd / FLOWGATE_AUTH_HTPASSWD: `user:<bcrypt hash>` lines (htpasswd -B) */
  htpasswdFile: string | null;
  /** --metrics-token / FLOWGATE_METRICS_TOKEN */
  metricsToken: string | null;
}

/** The server-wide credentials of a configuration, files read. */
export interface Credentials {
  bearer: TokenSet;
  basic: BasicUsers | null;
  metrics: TokenSet;
}

/** The credentials of `config`; a file that cannot be read, or holds nothing usable, is an error. */
export function loadCredentials(config: AuthConfig, bcrypt: BcryptWorker): Credentials {
  let fromFile: string[] = [];
  if (config.tokenFile !== null) {
    fromFile = parseTokenFile(readText(config.tokenFile, 'auth token file'));
    if (fromFile.length === 0) throw new Error(`the auth token file ${config.tokenFile} holds no token`);
  }
  const users = new Map<string, string>();
  if (config.htpasswdFile !== null) {
    const text = readText(config.htpasswdFile, 'htpasswd file');
    for (const [user, hash] of parseHtpasswd(text, config.htpasswdFile)) users.set(user, hash);
    if (users.size === 0) throw new Error(`the htpasswd file ${config.htpasswdFile} holds no user`);
  }
  const envBasic = config.tokens.filter(isBasicEntry);
  for (const [user, hash] of parseHtpasswd(envBasic.join('\n'), 'FLOWGATE_AUTH_TOKENS')) users.set(user, hash);
  return {
    bearer: new TokenSet([...fromFile, ...config.tokens.filter((t) => !isBasicEntry(t))]),
    basic: users.size === 0 ? null : new BasicUsers(users, bcrypt),
    metrics: new TokenSet(config.metricsToken === null ? [] : [config.metricsToken]),
  };
}

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the ${what} ${file}: ${(err as Error).message}`);
  }
}

type Presented = { kind: 'bearer'; token: string } | { kind: 'basic'; user: string; password: string } | { kind: 'missing' } | { kind: 'malformed' };

function presented(header: string | undefined): Presented {
  if (header === undefined) return { kind: 'missing' };
  const bearer = /^Bearer +(\S+)\s*$/i.exec(header);
  if (bearer !== null) return { kind: 'bearer', token: bearer[1]! };
  const basic = /^Basic +([A-Za-z0-9+/]+=*)\s*$/i.exec(header);
  if (basic === null) return { kind: 'malformed' };
  const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return { kind: 'malformed' };
  return { kind: 'basic', user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** The endpoint a route acts on: /invocations the default one, /endpoints/{name}/… and /v2/models/{name}… theirs; null for server-wide routes. */
export function endpointOfPath(path: string, table: EndpointTable): Endpoint | null {
  if (path === '/invocations') return table.defaultEndpoint;
  const m = /^\/(?:endpoints\/([^/]+)\/|v2\/models\/([^/]+))/.exec(path);
  const name = m?.[1] ?? m?.[2];
  return name === undefined ? null : (table.byName.get(name) ?? null);
}

/**
 * The server-wide credentials (replaced whole on SIGHUP) and the checks of every request:
 * `inference()` for the inference routes, `metrics()` for /metrics and /ui.
 */
export class Authenticator {
  private credentials: Credentials;
  private readonly bcrypt: BcryptWorker;
  /** whether some endpoint of a table has its own tokens, per table */
  private readonly endpointAuth = new WeakMap<EndpointTable, boolean>();

  constructor(
    private readonly config: AuthConfig,
    private readonly failures: Counter<'reason'>,
    bcryptChecks: Counter,
  ) {
    this.bcrypt = new BcryptWorker(bcryptChecks);
    this.credentials = loadCredentials(config, this.bcrypt);
  }

  /** Re-reads the token and htpasswd files (SIGHUP); on an error the credentials in use stay. */
  reload(): void {
    this.credentials = loadCredentials(this.config, this.bcrypt);
  }

  /** Which server-wide credentials are configured now (for /openapi.json). */
  schemes(): { bearer: boolean; basic: boolean; metricsToken: boolean } {
    const c = this.credentials;
    return { bearer: c.bearer.size > 0, basic: c.basic !== null, metricsToken: c.metrics.size > 0 };
  }

  close(): void {
    void this.bcrypt.close();
  }

  private on(table: EndpointTable): boolean {
    const c = this.credentials;
    if (c.bearer.size > 0 || c.basic !== null) return true;
    let some = this.endpointAuth.get(table);
    if (some === undefined) {
      some = table.list.some((e) => e.access !== null);
      this.endpointAuth.set(table, some);
    }
    return some;
  }

  /** The check of the inference routes: any credential that opens the route's endpoint (or the server). */
  inference(gateway: Gateway): MiddlewareHandler<AppEnv> {
    return async (c, next) => {
      const table = gateway.endpoints;
      if (!this.on(table)) return next();
      const { bearer, basic } = this.credentials;
      const endpoint = endpointOfPath(c.req.path, table);
      const access = endpoint?.access ?? null;
      const credential = presented(c.req.header('authorization'));
      let admin = false;
      let reason: string | null = null;
      if (credential.kind === 'bearer') {
        admin = access !== null && access.adminTokens.accepts(credential.token);
        if (!admin && !bearer.accepts(credential.token) && !(access !== null && access.tokens.accepts(credential.token))) reason = 'invalid';
      } else if (credential.kind === 'basic' && basic !== null) {
        const outcome = await basic.verify(credential.user, credential.password);
        if (outcome === 'busy') {
          this.failures.inc({ reason: 'busy' });
          return rendererFor(c.req.path)(new MlflowError('TEMPORARILY_UNAVAILABLE', 'Too many basic-auth checks are waiting; retry shortly.'), { 'Content-Type': 'application/json', 'Retry-After': '1' });
        }
        if (outcome === 'invalid') reason = 'invalid';
      } else {
        reason = credential.kind === 'missing' ? 'missing' : 'malformed';
      }
      if (reason !== null) {
        this.failures.inc({ reason });
        const challenges: string[] = [];
        const bearerError = reason === 'invalid' && credential.kind === 'bearer' ? ', error="invalid_token"' : '';
        if (bearer.size > 0 || access !== null || basic === null) challenges.push(`Bearer realm="flowgate"${bearerError}`);
        if (basic !== null) challenges.push('Basic realm="flowgate", charset="UTF-8"');
        const headers = new Headers({ 'Content-Type': 'application/json' });
        for (const challenge of challenges) headers.append('WWW-Authenticate', challenge);
        const message =
          reason === 'missing'
            ? `This route requires credentials (Authorization: ${basic === null ? 'Bearer <token>' : bearer.size > 0 || access !== null ? 'Bearer <token> or Basic' : 'Basic'}).`
            : reason === 'malformed'
              ? `The Authorization header is not ${basic === null ? 'a bearer token' : 'a bearer token or basic credentials'}.`
              : 'The credentials are not valid for this route.';
        return rendererFor(c.req.path)(new MlflowError('UNAUTHENTICATED', message), headers);
      }
      if (!admin && endpoint !== null && endpoint.variantOverride) {
        const forced = c.req.header(VARIANT_HEADER);
        if (forced !== undefined && forced !== '') {
          this.failures.inc({ reason: 'forbidden_override' });
          return rendererFor(c.req.path)(
            new MlflowError('PERMISSION_DENIED', `Forcing a variant with ${VARIANT_HEADER} needs an admin token of endpoint '${endpoint.name}' (auth.admin_tokens in the endpoints file).`),
          );
        }
      }
      return next();
    };
  }

  /** The check of /metrics and /ui: the metrics token, unless none is set. */
  metrics(): MiddlewareHandler<AppEnv> {
    return async (c, next) => {
      const tokens = this.credentials.metrics;
      if (tokens.size === 0) return next();
      const credential = presented(c.req.header('authorization'));
      if (credential.kind === 'bearer' && tokens.accepts(credential.token)) return next();
      const reason = credential.kind === 'missing' ? 'missing' : credential.kind === 'bearer' ? 'invalid' : 'malformed';
      this.failures.inc({ reason });
      const message = reason === 'missing' ? 'This route requires a bearer token (Authorization: Bearer <token>).' : 'The bearer token is not valid for this route.';
      const challenge = reason === 'missing' ? 'Bearer realm="flowgate-metrics"' : 'Bearer realm="flowgate-metrics", error="invalid_token"';
      return rendererFor(c.req.path)(new MlflowError('UNAUTHENTICATED', message), { 'Content-Type': 'application/json', 'WWW-Authenticate': challenge });
    };
  }
}
