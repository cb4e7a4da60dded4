/**
 * Rollout test helpers: an endpoints file with a rollout from @champion to @challenger,
 * registering a version in a file-store copy (as MLflow's FileStore lays it out), reading
 * a server's rollout view, and a client that keeps sending requests while a rollout runs.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { invoke, type Answer } from '../routing/helpers.js';

export interface RolloutYaml {
  model?: string;
  steps?: number[];
  stepSeconds?: number;
  pollSeconds?: number;
  gates?: string;
  maxStepSeconds?: number;
}

export function rolloutYaml(o: RolloutYaml = {}): string {
  const model = o.model ?? 'iris';
  return `
endpoints:
  ${model}:
    variants:
      - { name: champion,   model: "models:/${model}@champion" }
      - { name: challenger, model: "models:/${model}@challenger" }
    rollout:
      from: champion
      to: challenger
      steps: ${JSON.stringify(o.steps ?? [0, 50, 100])}
      step_seconds: ${o.stepSeconds ?? 1}
      poll_seconds: ${o.pollSeconds ?? 0.2}${o.maxStepSeconds === undefined ? '' : `
      max_step_seconds: ${o.maxStepSeconds}`}
      gates: ${o.gates ?? '{ min_requests: 5, max_error_rate: 0.05 }'}
`;
}

/** Registers `dir` as a new version of `model` in a file-store copy (meta.yaml as MLflow writes it). */
export function registerVersion(root: string, model: string, version: number, dir: string): void {
  const vdir = join(root, 'models', model, `version-${version}`);
  mkdirSync(vdir, { recursive: true });
  const template = readFileSync(join(root, 'models', model, 'version-2', 'meta.yaml'), 'utf8');
  writeFileSync(
    join(vdir, 'meta.yaml'),
    template
      .replace(/^version: .*$/m, `version: ${version}`)
      .replace(/^current_stage: .*$/m, 'current_stage: None')
      .replace(/^source: .*$/m, `source: file://${dir}`)
      .replace(/^storage_location: .*$/m, `storage_location: file://${dir}`),
  );
}

export interface RolloutView {
  phase: string;
  step: number | null;
  percent: number;
  fromVersion: string | null;
  toVersion: string | null;
  reason: string | null;
}

export async function rolloutView(url: string, endpoint = 'iris'): Promise<RolloutView> {
  const res = await fetch(`${url}/admin/rollouts/${endpoint}`);
  if (res.status !== 200) throw new Error(`GET /admin/rollouts/${endpoint}: ${res.status} ${await res.text()}`);
  return (await res.json()) as RolloutView;
}

export interface Traffic {
  answers: Answer[];
  stop(): Promise<void>;
}

const running = new Set<Traffic>();

/** Sends requests one after the other (round-robin over `urls`) until stopped; keeps every answer. */
export function trafficTo(urls: string[], path = '/endpoints/iris/invocations', body?: string): Traffic {
  const answers: Answer[] = [];
  let on = true;
  const loop = (async () => {
    for (let i = 0; on; i++) {
      answers.push(await invoke(urls[i % urls.length]!, path, {}, body));
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  const traffic: Traffic = {
    answers,
    async stop() {
      on = false;
      running.delete(traffic);
      await loop;
    },
  };
  running.add(traffic);
  return traffic;
}

/** Stops the traffic a failed test left running (call before closing its servers). */
export async function stopAllTraffic(): Promise<void> {
  await Promise.all([...running].map((t) => t.stop().catch(() => undefined)));
}

export async function until<T>(what: () => Promise<T | null | false>, timeoutMs = 30_000, what_ = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await what();
    if (v !== null && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what_}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until `url`'s rollout view satisfies `ok`; the error names the last view seen. */
export async function untilView(url: string, ok: (v: RolloutView) => boolean, timeoutMs: number, what: string, endpoint = 'iris'): Promise<RolloutView> {
  let last: RolloutView | null = null;
  try {
    return await until(async () => {
      last = await rolloutView(url, endpoint);
      return ok(last) ? last : null;
    }, timeoutMs, what);
  } catch (err) {
    throw new Error(`${(err as Error).message}; last view: ${JSON.stringify(last)}`);
  }
}
