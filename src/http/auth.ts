/**
 * Bearer-token auth (off unless tokens are configured): inference routes take any of the
 * inference tokens, /metrics its own token; probes (/ping, /health, /v2/health/*) stay
 * open. Tokens are kept as SHA-256 digests and compared digest to digest in constant
 * time, against every token, so neither the length nor a prefix of a token leaks through
 * timing. Failures are answered 401 with `WWW-Authenticate` in the route's protocol and
 * counted by reason; the presented secret is never logged.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { MiddlewareHandler } from 'hono';
import type { Counter } from 'prom-client';
import { MlflowError } from '../errors.js';
import type { AppEnv } from './context.js';
import { rendererFor } from './render.js';

const digest = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

/** A set of accepted tokens, held as digests. */
export class TokenSet {
  private readonly digests: Buffer[];
  constructor(tokens: readonly string[]) {
    this.digests = tokens.map(digest);
  }
  get size(): number {
    return this.digests.length;
  }
  accepts(token: string): boolean {
    const presented = digest(token);
    let match = false;
    for (const d of this.digests) match = timingSafeEqual(d, presented) || match;
    return match;
  }
}

/** Tokens from a token file's text: one a line; blank lines and `#` comments are skipped. */
export function parseTokenFile(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** Requires `Authorization: Bearer <token>` with a token of `tokens`. */
export function requireBearer(tokens: TokenSet, realm: string, failures: Counter<'reason'>): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization');
    const match = header === undefined ? null : /^Bearer +(\S+)\s*$/i.exec(header);
    if (match !== null && tokens.accepts(match[1]!)) return next();
    const reason = header === undefined ? 'missing' : match === null ? 'malformed' : 'invalid';
    failures.inc({ reason });
    const message = reason === 'missing' ? 'This route requires a bearer token (Authorization: Bearer <token>).' : 'The bearer token is not valid for this route.';
    const challenge = reason === 'missing' ? `Bearer realm="${realm}"` : `Bearer realm="${realm}", error="invalid_token"`;
    return rendererFor(c.req.path)(new MlflowError('UNAUTHENTICATED', message), { 'Content-Type': 'application/json', 'WWW-Authenticate': challenge });
  };
}

export interface AuthConfig {
  /** --auth-token-file: one inference token a line */
  tokenFile: string | null;
  /** FLOWGATE_AUTH_TOKENS, comma-separated */
  tokens: string[];
  /** --metrics-token / FLOWGATE_METRICS_TOKEN */
  metricsToken: string | null;
}

/** The token sets of a configuration; a token file that cannot be read is an error at startup. */
export function loadAuth(config: AuthConfig): { inference: TokenSet; metrics: TokenSet } {
  let fromFile: string[] = [];
  if (config.tokenFile !== null) {
    try {
      fromFile = parseTokenFile(readFileSync(config.tokenFile, 'utf8'));
    } catch (err) {
      throw new Error(`cannot read the auth token file ${config.tokenFile}: ${(err as Error).message}`);
    }
    if (fromFile.length === 0) throw new Error(`the auth token file ${config.tokenFile} holds no token`);
  }
  return { inference: new TokenSet([...fromFile, ...config.tokens]), metrics: new TokenSet(config.metricsToken === null ? [] : [config.metricsToken]) };
}
