/**
 * The Python worker pools alive in this process, for /metrics (worker memory). Kept apart
 * from the runtime itself so that reading it loads nothing.
 */

export interface LivePool {
  readonly modelName: string;
  rss(): Promise<{ pid: number; bytes: number }[]>;
}

const live = new Set<LivePool>();

export function registerPool(pool: LivePool): () => void {
  live.add(pool);
  return () => live.delete(pool);
}

/** Resident memory of every live Python worker, by model. */
export async function pythonWorkerMemory(): Promise<{ model: string; pid: number; bytes: number }[]> {
  const out: { model: string; pid: number; bytes: number }[] = [];
  for (const pool of live) for (const w of await pool.rss()) out.push({ model: pool.modelName, ...w });
  return out;
}
