/**
 * Worker processes a flavor runs beside flowgate (the Python runtime's pools), registered here by
 * the flavor so that /metrics can report their memory without metrics knowing any flavor.
 * Process-wide, as the pools are; reading it loads nothing.
 */

/** What a flavor registers: the model its processes serve, and their resident memory on demand. */
export interface WorkerProcesses {
  readonly modelName: string;
  rss(): Promise<{ pid: number; bytes: number }[]>;
}

const live = new Set<WorkerProcesses>();

/** Registers live worker processes; the returned function unregisters them (when the model is closed). */
export function registerWorkerProcesses(processes: WorkerProcesses): () => void {
  live.add(processes);
  return () => live.delete(processes);
}

/** Resident memory of every registered worker process, by model. */
export async function workerProcessMemory(): Promise<{ model: string; pid: number; bytes: number }[]> {
  const out: { model: string; pid: number; bytes: number }[] = [];
  for (const processes of live) for (const w of await processes.rss()) out.push({ model: processes.modelName, ...w });
  return out;
}
