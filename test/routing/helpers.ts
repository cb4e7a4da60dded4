/**
 * Gateway test helpers: a flowgate server started from an endpoints file written to a temp
 * dir, requests that report which variant and version answered, and metric reads.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveConfig, type ServeFlags } from '../../src/config.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { quietLogger } from '../helpers/server.js';
import { versionDir } from '../helpers/registry.js';

export interface GatewayUnderTest {
  server: RunningServer;
  /** the endpoints file */
  file: string;
}

/** `prepare` may write files beside the endpoints file (token files) before the server starts. */
export async function startGateway(yaml: string, flags: ServeFlags = {}, prepare?: (dir: string) => void): Promise<GatewayUnderTest> {
  const dir = mkdtempSync(join(tmpdir(), 'flowgate-endpoints-'));
  prepare?.(dir);
  const file = join(dir, 'flowgate.yaml');
  writeFileSync(file, yaml);
  const config = serveConfig({ port: '0', pollInterval: '0', logLevel: 'silent', ...flags, config: file }, {});
  return { server: await startServer(config, {}, quietLogger), file };
}

export interface Answer {
  status: number;
  endpoint: string | null;
  variant: string | null;
  model: string | null;
  version: string | null;
  body: string;
}

export const IRIS_ROWS = [
  [5.1, 3.5, 1.4, 0.2],
  [5.9, 3.0, 5.1, 1.8],
  [6.3, 2.5, 4.9, 1.5],
];

export async function invoke(url: string, path = '/invocations', headers: Record<string, string> = {}, body = JSON.stringify({ inputs: IRIS_ROWS })): Promise<Answer> {
  const res = await fetch(url + path, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body });
  return {
    status: res.status,
    endpoint: res.headers.get('x-flowgate-endpoint'),
    variant: res.headers.get('x-flowgate-variant'),
    model: res.headers.get('x-flowgate-model'),
    version: res.headers.get('x-flowgate-version'),
    body: await res.text(),
  };
}

/** The value of the first sample matching `pattern` (a regex with one number group), 0 when absent. */
export async function metric(url: string, pattern: RegExp): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = pattern.exec(text);
  return m ? Number(m[1]) : 0;
}

/**
 * A copy of a registry version's model whose signature wants 5 features instead of 4 and
 * that has no input example: it loads (no warm-up to fail), then fails every iris request.
 */
export function brokenIrisModel(root: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'flowgate-broken-'));
  const source = versionDir(root, 'iris', 2);
  for (const f of ['model.onnx', 'requirements.txt', 'conda.yaml', 'python_env.yaml']) writeFileSync(join(dir, f), readFileSync(join(source, f)));
  const mlmodel = readFileSync(join(source, 'MLmodel'), 'utf8')
    .replace(/saved_input_example_info:\n(  .*\n)+/, '')
    .replace('"shape": [-1, 4]', '"shape": [-1, 5]');
  writeFileSync(join(dir, 'MLmodel'), mlmodel);
  return dir;
}

/** Pearson's chi-square statistic of observed counts against expected shares. */
export function chiSquare(observed: number[], shares: number[]): number {
  const n = observed.reduce((a, b) => a + b, 0);
  return observed.reduce((sum, o, i) => sum + (o - n * shares[i]!) ** 2 / (n * shares[i]!), 0);
}
