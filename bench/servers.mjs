/**
 * Servers a bench starts as child processes: started with their stderr kept for a crash
 * report, waited for on /ping, stopped when the bench exits (however it exits).
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

const READY_TIMEOUT_MS = 60_000;
const children = [];

export function start(name, args, cwd) {
  const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  child.on('exit', (code) => {
    if (!child.stopping) console.error(`${name} exited early (code ${code}):\n${stderr}`);
  });
  children.push(child);
  return child;
}

export function stop(child) {
  child.stopping = true;
  child.kill('SIGTERM');
}

function stopAll() {
  children.filter((c) => c.exitCode === null).forEach(stop);
}
process.on('exit', stopAll);
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(1));

export async function waitReady(url, child) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server for ${url} exited`);
    try {
      if ((await fetch(`${url}/ping`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url}/ping not ready after ${READY_TIMEOUT_MS / 1000} s`);
}

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })) || 100;
  } catch {
    return 100;
  }
})();

/**
 * CPU seconds (user + system, all threads) a server has used so far, from /proc (Linux), or
 * null elsewhere. CPU time per request depends far less on other work on the machine than
 * requests per second do: the figure to compare on a shared machine.
 */
export function cpuSeconds(child) {
  try {
    const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return null;
  }
}
