/**
 * `--env-manager virtualenv`: the model's requirements are installed into a venv of its own
 * with the machine's pip, and the venv is reused by the next load of the same requirements.
 * Runs where pip has a local `file:` index (this machine's offline wheelhouse); skips elsewhere
 * (CI has no Python package index to install from).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { serveConfig } from '../../../src/config.js';
import { startServer } from '../../../src/server.js';
import { capturingLogger, invoke, PLAIN_PYTHON, tempDir, writeProbeModel } from './helpers.js';

function localIndex(): string | null {
  if (PLAIN_PYTHON === null) return null;
  try {
    const config = execFileSync(PLAIN_PYTHON, ['-m', 'pip', 'config', 'list'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return /(file:\/\/[^\s']+)/.exec(config)?.[1] ?? null;
  } catch {
    return null;
  }
}

const INDEX = localIndex();
const SKIP = INDEX === null ? `no local file: pip index in \`pip config list\` of ${PLAIN_PYTHON ?? 'python3'}: skipping --env-manager virtualenv` : '';
if (SKIP) console.warn(SKIP);

describe.skipIf(INDEX === null)('--env-manager virtualenv', () => {
  const root = tempDir('flowgate-venv-');
  const model = writeProbeModel(join(root, 'model'), { scale: 3 });
  const cacheDir = join(root, 'cache');
  const saved = process.env.PIP_INDEX_URL;
  beforeAll(() => {
    // pip would first retry the unreachable public index; the brief's setting for this machine
    process.env.PIP_INDEX_URL = INDEX!;
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.PIP_INDEX_URL;
    else process.env.PIP_INDEX_URL = saved;
    rmSync(root, { recursive: true, force: true });
  });

  async function serveOnce(): Promise<{ created: boolean; python: unknown; y: number }> {
    const { logger, lines } = capturingLogger();
    const config = serveConfig(
      { port: '0', pollInterval: '0', modelUri: model, python: PLAIN_PYTHON!, envManager: 'virtualenv', cacheDir },
      {},
    );
    const server = await startServer(config, {}, logger);
    try {
      const answer = await invoke(server.url, [2]);
      expect(answer.status).toBe(200);
      const loaded = lines.find((l) => typeof l.msg === 'string' && l.msg.startsWith('loaded in 1 Python worker'));
      return {
        created: lines.some((l) => l.msg === "creating the model's virtualenv (cached for the next load)"),
        python: loaded?.python,
        y: (answer.body.predictions as { y: number }[])[0]!.y,
      };
    } finally {
      await server.close();
    }
  }

  test('builds a venv from the requirements once, then reuses it', async () => {
    const first = await serveOnce();
    expect(first.created).toBe(true);
    expect(first.y).toBe(6);
    const envs = readdirSync(join(cacheDir, 'python-envs'));
    expect(envs).toHaveLength(1);
    const venv = join(cacheDir, 'python-envs', envs[0]!);
    expect(existsSync(join(venv, '.flowgate-ready'))).toBe(true);
    expect(String(first.python)).toBe(join(venv, 'bin', 'python'));

    const second = await serveOnce();
    expect(second.created).toBe(false);
    expect(second.python).toBe(first.python);
  }, 600_000);
});
