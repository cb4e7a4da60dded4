/**
 * Who may call an endpoint: tokens held as SHA-256 digests and compared digest to digest
 * in constant time, against every token of the set, so neither the length nor a prefix of
 * a token leaks through timing. An endpoint's own tokens (flowgate.yaml `auth`) open its
 * routes only; its admin tokens open them too and may force a variant.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

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

/** An endpoint's `auth` in flowgate.yaml, token files already read. */
export interface AccessSpec {
  tokens: string[];
  adminTokens: string[];
}

export class EndpointAccess {
  readonly tokens: TokenSet;
  readonly adminTokens: TokenSet;
  constructor(spec: AccessSpec) {
    this.tokens = new TokenSet(spec.tokens);
    this.adminTokens = new TokenSet(spec.adminTokens);
  }
}
