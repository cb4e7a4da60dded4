/**
 * One Python worker process: spawned with the requests pipe on fd 3 and the replies pipe
 * on fd 4 (stdout and stderr stay free for the model's own prints, which go to flowgate's
 * log under the model's name). It loads the model once, then answers one request at a time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { Logger } from 'pino';
import { encodeMessage, MessageReader, type Message } from './protocol.js';

export interface WorkerSpec {
  /** the Python executable */
  python: string;
  /** worker.py */
  script: string;
  env: NodeJS.ProcessEnv;
  /** the `load` request: model dir, python_function conf, params schema */
  load: Record<string, unknown>;
  /** a logger bound to the model's name */
  logger: Logger;
}

/** The worker's answer to `load`. */
export interface LoadReply {
  ok: boolean;
  python?: string;
  python_version?: string;
  mlflow?: string | null;
  loaded_by?: string;
  error?: { type: string; message: string; module?: string | null; traceback?: string };
}

/** The process ended; carries how, for the error of the requests it was running. */
export class WorkerExit extends Error {
  /** `how`: "exit code 1", "signal SIGKILL", or "could not be started: <reason>" */
  constructor(readonly pid: number | undefined, readonly how: string) {
    super(how.startsWith('could not') ? how : `exited (${how})`);
  }
}

export class PythonWorker {
  private readonly pending = new Map<number, { resolve: (m: Message) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private exit: WorkerExit | null = null;
  private readonly exited: Promise<WorkerExit>;
  private readonly requests: Writable;

  private constructor(private readonly child: ChildProcess, readonly logger: Logger) {
    this.requests = child.stdio[3] as Writable;
    const replies = child.stdio[4] as Readable;
    const reader = new MessageReader();
    replies.on('data', (chunk: Buffer) => {
      for (const message of reader.push(chunk)) {
        const waiter = this.pending.get(message.id);
        this.pending.delete(message.id);
        waiter?.resolve(message);
      }
    });
    // A write to a pipe whose reader died errors; the exit handler reports it.
    this.requests.on('error', () => {});
    this.forwardOutput(child.stdout!, 'info');
    this.forwardOutput(child.stderr!, 'warn');
    this.exited = new Promise((resolve) => {
      const done = (how: string) => {
        if (this.exit !== null) return;
        this.exit = new WorkerExit(child.pid, how);
        for (const waiter of this.pending.values()) waiter.reject(this.exit);
        this.pending.clear();
        resolve(this.exit);
      };
      child.once('exit', (code, signal) => done(signal !== null ? `signal ${signal}` : `exit code ${code}`));
      child.once('error', (err) => done(`could not be started: ${err.message}`));
    });
  }

  /** Spawns the process (without loading anything yet). */
  static spawn(spec: WorkerSpec): PythonWorker {
    const child = spawn(spec.python, ['-u', spec.script], {
      env: { ...spec.env, PYTHONUNBUFFERED: '1' },
      stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'],
    });
    return new PythonWorker(child, spec.logger.child({ python_worker: child.pid ?? null }));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return this.exit === null;
  }

  /** Resolves when the process has ended, with how it ended. */
  whenExited(): Promise<WorkerExit> {
    return this.exited;
  }

  /** Sends one request; resolves with the reply, rejects with WorkerExit when the process ends first. */
  request(build: (id: number) => Buffer): Promise<Message> {
    if (this.exit !== null) return Promise.reject(this.exit);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.requests.write(build(id));
    });
  }

  async load(header: Record<string, unknown>): Promise<LoadReply> {
    const reply = await this.request((id) => encodeMessage(id, { op: 'load', ...header }));
    return reply.header as unknown as LoadReply;
  }

  /** Ends the process: closing its requests pipe lets it exit; SIGKILL after `graceMs`. */
  async stop(graceMs = 2000): Promise<void> {
    if (this.exit !== null) return;
    this.requests.end();
    const timer = setTimeout(() => this.kill(), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  kill(): void {
    if (this.exit === null) this.child.kill('SIGKILL');
  }

  /** Resident memory in bytes (Linux /proc), or null when it cannot be read. */
  async rssBytes(): Promise<number | null> {
    if (this.exit !== null || this.child.pid === undefined) return null;
    try {
      const status = await readFile(`/proc/${this.child.pid}/status`, 'utf8');
      const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
      return kb ? Number(kb[1]) * 1024 : null;
    } catch {
      return null;
    }
  }

  private forwardOutput(stream: Readable, level: 'info' | 'warn'): void {
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    lines.on('line', (line) => {
      if (line.length > 0) this.logger[level]({ stream: level === 'info' ? 'stdout' : 'stderr' }, line);
    });
  }
}
