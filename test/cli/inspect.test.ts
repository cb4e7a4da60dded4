/**
 * `flowgate inspect` resolves the 30 URIs real MLflow resolved, on a relocated copy of
 * the fixture file store: same version, or the same error.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { HAVE_SHARED, MLFLOW_REAL } from '../helpers/fixtures.js';

interface Resolution {
  ok: boolean;
  name?: string;
  version?: string;
  error?: string;
}

const registryJson = join(MLFLOW_REAL, 'registry-file', 'registry.json');
const table: [string, Resolution][] = HAVE_SHARED
  ? Object.entries((JSON.parse(readFileSync(registryJson, 'utf8')) as { resolution: Record<string, Resolution> }).resolution)
  : [];

describe.skipIf(!HAVE_SHARED)('flowgate inspect on a relocated file store', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'flowgate-inspect-'));
    cpSync(join(MLFLOW_REAL, 'registry-file'), root, { recursive: true });
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  test('the table has all 30 URIs', () => expect(table).toHaveLength(30));

  test.each(table)('%s', async (uri, want) => {
    const { code, stdout, stderr } = await runCli(['inspect', uri, '--tracking-uri', join(root, 'mlruns')]);
    if (want.ok) {
      expect(code, stderr).toBe(0);
      const got = JSON.parse(stdout) as { name: string; version: string; local_path: string; flavors: Record<string, unknown>; signature: unknown };
      expect(got.name).toBe(want.name);
      expect(got.version).toBe(want.version);
      expect(got.local_path.startsWith(root)).toBe(true); // found relative to the moved registry
      expect(existsSync(join(got.local_path, 'MLmodel'))).toBe(true);
      expect(Object.keys(got.flavors)).toContain('python_function');
      expect(got.signature).not.toBeNull();
    } else {
      expect(code).not.toBe(0);
      expect(stdout).toBe('');
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).toContain(want.error!.split(':')[0]!.slice(0, 40));
    }
  });
});

describe.skipIf(!HAVE_SHARED)('flowgate inspect without a registry', () => {
  test('a plain model directory resolves to itself, with null registry fields', async () => {
    const dir = join(MLFLOW_REAL, 'models', 'onnx_iris_softmax');
    const { code, stdout, stderr } = await runCli(['inspect', dir]);
    expect(code, stderr).toBe(0);
    const got = JSON.parse(stdout) as Record<string, unknown>;
    expect(got).toMatchObject({ name: null, version: null, stage: null, aliases: [], local_path: dir });
    expect(got.input_example).toHaveLength(5);
  });

  test('a directory without MLmodel is a one-line error and a non-zero exit', async () => {
    const { code, stdout, stderr } = await runCli(['inspect', 'examples']);
    expect(code).not.toBe(0);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain('MLmodel');
  });
});
