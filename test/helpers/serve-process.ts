/**
 * `flowgate serve` as a child process (dist/, built by `npm test`), as an operator runs it:
 * signals, exit codes and JSON logs are real. Binds 127.0.0.1 on a port the OS picks
 * unless `port` is given.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { CLI } from './cli.js';
import { REPO } from './fixtures.js';

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  port: number;
  /** stdout (JSON log lines) and stderr so far */
  output(): { stdout: string; stderr: string };
  /** resolves with the exit code (or the signal that killed it) */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function startServeProcess(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; port?: number; startTimeoutMs?: number; /** `ulimit -n` of the process */ openFiles?: number } = {},
): Promise<ServeProcess> {
  const argv = [CLI, 'serve', '-h', '127.0.0.1', '-p', String(options.port ?? 0), ...args];
  const [command, commandArgs] =
    options.openFiles === undefined ? [process.execPath, argv] : ['bash', ['-c', `ulimit -n ${options.openFiles} && exec "$0" "$@"`, process.execPath, ...argv]];
  const child = spawn(command, commandArgs, {
    cwd: REPO,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  // The "Try:" banner is written once the signal handlers are installed.
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`flowgate serve did not start within ${options.startTimeoutMs ?? 60_000} ms:\n${stderr}\n${stdout.slice(-2000)}`));
    }, options.startTimeoutMs ?? 60_000);
    const check = () => {
      const m = /flowgate is serving at (http:\/\/\S+)\. Try:/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        child.stderr!.off('data', check);
        resolve(m[1]!);
      }
    };
    child.stderr!.on('data', check);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`flowgate serve exited (${code ?? signal}) before serving:\n${stderr}\n${stdout.slice(-2000)}`));
    });
  });
  return { child, url, port: Number(new URL(url).port), output: () => ({ stdout, stderr }), exited };
}
