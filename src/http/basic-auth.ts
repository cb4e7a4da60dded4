/**
 * HTTP basic auth against bcrypt hashes (an htpasswd file written by `htpasswd -B`, or
 * `user:$2y$...` entries of FLOWGATE_AUTH_TOKENS). bcrypt is slow on purpose (~100 ms a
 * check at cost 10), so checks run in a worker thread, one at a time, never on the event
 * loop; a bounded cache of successful checks (keyed by a digest of the user, password and
 * stored hash, so a changed hash misses) spares a known client the cost on every request.
 * Failed checks are never cached, and an unknown user is checked against a dummy hash,
 * so neither the cache nor timing tells which users exist.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Counter } from 'prom-client';

/** A bcrypt hash in modular crypt format: $2a$, $2b$ or $2y$, cost, 53 characters of salt and digest. */
const BCRYPT = /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/;

/** Cached successful checks; the oldest goes first past this. */
const CACHE_ENTRIES = 1024;
/** Checks waiting for the worker past which a request is refused (a flood of guesses). */
const MAX_PENDING = 256;
/** Compared against when the user is unknown: cost 10, like htpasswd -B's default. */
const DUMMY_HASH = '$2b$10$Vq5Moxe2Q0UuZhDv8u.fTeIEDmHMMlOY9/TENZs/osp3.IuPE.DcS';

/** `user:hash` lines of an htpasswd file or the environment → users; anything not bcrypt is refused. */
export function parseHtpasswd(text: string, source: string): Map<string, string> {
  const users = new Map<string, string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const colon = line.indexOf(':');
    const user = line.slice(0, colon);
    const hash = line.slice(colon + 1);
    if (colon <= 0 || !BCRYPT.test(hash)) {
      throw new Error(`${source} line ${i + 1}: expected user:bcrypt-hash (htpasswd -B), e.g. alice:$2y$10$...; other hash kinds (MD5, SHA1, crypt) are not accepted`);
    }
    users.set(user, hash);
  });
  return users;
}

/** Whether a FLOWGATE_AUTH_TOKENS entry is a basic-auth user (`user:<bcrypt hash>`) rather than a bearer token. */
export function isBasicEntry(entry: string): boolean {
  const colon = entry.indexOf(':');
  return colon > 0 && BCRYPT.test(entry.slice(colon + 1));
}

export type BasicOutcome = 'ok' | 'invalid' | 'busy';

/** The bcrypt checker: one worker thread, started on first use, that does not keep the process alive. */
export class BcryptWorker {
  private worker: Worker | null = null;
  private nextId = 0;
  private readonly pending = new Map<number, (ok: boolean) => void>();

  /** `checks` counts the comparisons run (a cached success runs none) */
  constructor(private readonly checks: Counter) {}

  get queued(): number {
    return this.pending.size;
  }

  compare(password: string, hash: string): Promise<boolean> {
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    this.checks.inc();
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      if (this.pending.size === 1) worker.ref();
      worker.postMessage({ id, password, hash });
    });
  }

  close(): Promise<number> | undefined {
    const worker = this.worker;
    this.worker = null;
    return worker?.terminate();
  }

  private start(): Worker {
    const bcryptjs = createRequire(import.meta.url).resolve('bcryptjs');
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      const bcrypt = require(workerData);
      parentPort.on('message', ({ id, password, hash }) => {
        let ok = false;
        try { ok = bcrypt.compareSync(password, hash); } catch { ok = false; }
        parentPort.postMessage({ id, ok });
      });`;
    const worker = new Worker(code, { eval: true, workerData: bcryptjs });
    worker.on('message', ({ id, ok }: { id: number; ok: boolean }) => {
      const resolve = this.pending.get(id);
      this.pending.delete(id);
      if (this.pending.size === 0) worker.unref();
      resolve?.(ok);
    });
    worker.on('error', () => this.fail(worker));
    worker.on('exit', () => this.fail(worker));
    worker.unref();
    this.worker = worker;
    return worker;
  }

  /** A worker that died: its waiting checks fail (401), the next check starts a new one. */
  private fail(worker: Worker): void {
    if (this.worker === worker) this.worker = null;
    for (const resolve of this.pending.values()) resolve(false);
    this.pending.clear();
  }
}

/** Basic-auth users and the cache of their successful checks. */
export class BasicUsers {
  private readonly verified = new Map<string, true>();

  constructor(
    private readonly users: ReadonlyMap<string, string>,
    private readonly bcrypt: BcryptWorker,
  ) {}

  get size(): number {
    return this.users.size;
  }

  async verify(user: string, password: string): Promise<BasicOutcome> {
    const hash = this.users.get(user);
    const key = createHash('sha256').update(`${user}\0${password}\0${hash ?? ''}`, 'utf8').digest('base64');
    if (hash !== undefined && this.verified.has(key)) {
      this.verified.delete(key); // most recently used goes last
      this.verified.set(key, true);
      return 'ok';
    }
    if (this.bcrypt.queued >= MAX_PENDING) return 'busy';
    const ok = await this.bcrypt.compare(password, hash ?? DUMMY_HASH);
    if (!ok || hash === undefined) return 'invalid';
    this.verified.set(key, true);
    if (this.verified.size > CACHE_ENTRIES) this.verified.delete(this.verified.keys().next().value!);
    return 'ok';
  }
}
