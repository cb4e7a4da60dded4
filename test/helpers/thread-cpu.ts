/**
 * CPU time of this process's main thread and of the whole process (every thread), to prove
 * that work ran on another thread by what the main thread spent, not by wall-clock (the
 * machine running the tests is shared). Linux only: per-thread accounting from /proc.
 */
import { existsSync, readFileSync } from 'node:fs';

export const HAVE_THREAD_CPU = existsSync(`/proc/self/task/${process.pid}/stat`);
export const NO_THREAD_CPU_MESSAGE = 'no /proc/self/task: per-thread CPU time cannot be read here, skipping';

/** The main thread's CPU time in ms (clock ticks of 10 ms). */
export function mainThreadCpuMs(): number {
  const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

export interface CpuSpent {
  /** every thread of the process, ms */
  processMs: number;
  mainThreadMs: number;
}

/** Starts counting; the returned function gives what was spent since. */
export function cpuSince(): () => CpuSpent {
  const cpu = process.cpuUsage();
  const main = mainThreadCpuMs();
  return () => {
    const used = process.cpuUsage(cpu);
    return { processMs: (used.user + used.system) / 1000, mainThreadMs: mainThreadCpuMs() - main };
  };
}
