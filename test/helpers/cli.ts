/**
 * Runs the real `flowgate` command: dist/, built by `npm test` (tsc) before vitest runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { REPO } from './fixtures.js';
import { copyExampleRegistry } from './registry.js';

export const CLI = join(REPO, 'dist', 'src', 'cli', 'main.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], options: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd ?? REPO,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** Starts `flowgate serve ARGS` on a free port; resolves with its URL once it serves (the child is set at once). */
function serveCli(args: string[], started: (child: ChildProcess) => void): Promise<string> {
  const child = spawn(process.execPath, [CLI, 'serve', '-p', '0', '--log-level', 'warn', ...args], { env: { PATH: process.env.PATH, HOME: process.env.HOME } });
  started(child);
  let stderr = '';
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /flowgate is serving at (http:\/\/\S+)\./.exec(stderr);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
  });
}

/** Stops a served CLI (SIGTERM) and waits for it to exit. */
async function stopCli(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** A `flowgate serve` and example-registry copies for each test of a describe block. */
export interface CliPerTest {
  /** Starts `flowgate serve ARGS` on a free port; resolves with its URL once it serves. */
  serve(args: string[]): Promise<string>;
  /** The process `serve` started in this test. */
  readonly child: ChildProcess;
  /** A fresh copy of the example registry. */
  registry(): string;
}

/**
 * Call in a describe block: after each test, the server it started is stopped (SIGTERM, waited for)
 * and the registries it copied are removed.
 */
export function cliPerTest(): CliPerTest {
  let child: ChildProcess | undefined;
  const roots: string[] = [];
  afterEach(async () => {
    await stopCli(child);
    child = undefined;
    for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
  });
  return {
    serve: (args) => serveCli(args, (c) => (child = c)),
    get child() {
      if (child === undefined) throw new Error('no flowgate serve was started in this test');
      return child;
    },
    registry() {
      const root = copyExampleRegistry();
      roots.push(root);
      return root;
    },
  };
}
