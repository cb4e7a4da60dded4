/**
 * `flowgate predict` gives what real MLflow's server answered, from files and stdin,
 * for both ONNX fixture models; and `--help`/`--version` tell the truth.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { HAVE_SHARED, invocationExchanges, MLFLOW_REAL } from '../helpers/fixtures.js';
import { expectClose, parsePythonJson } from '../helpers/replay.js';

describe.skipIf(!HAVE_SHARED)('flowgate predict', () => {
  test.each(['onnx_iris_softmax', 'onnx_diabetes_linear'])('%s: the serving input example from a file, to a file', async (name) => {
    const dir = join(MLFLOW_REAL, 'models', name);
    const out = mkdtempSync(join(tmpdir(), 'flowgate-predict-'));
    try {
      const outFile = join(out, 'predictions.json');
      const { code, stderr } = await runCli(['predict', '-m', dir, '-i', join(dir, 'serving_input_example.json'), '-o', outFile]);
      expect(code, stderr).toBe(0);
      const want = invocationExchanges(MLFLOW_REAL, name)[0]!.response.body;
      expectClose(parsePythonJson(readFileSync(outFile, 'utf8')), parsePythonJson(want), 1e-6);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  test('the extra rows from stdin give MLflow\'s answer on stdout', async () => {
    const dir = join(MLFLOW_REAL, 'models', 'onnx_iris_softmax');
    const exchange = invocationExchanges(MLFLOW_REAL, 'onnx_iris_softmax')[1]!;
    const { code, stdout, stderr } = await runCli(['predict', '-m', dir, '-i', '-'], { input: exchange.request.body! });
    expect(code, stderr).toBe(0);
    expectClose(parsePythonJson(stdout), parsePythonJson(exchange.response.body), 1e-6);
  });

  test('CSV input for a column-signature model', async () => {
    const dir = join(MLFLOW_REAL, 'models', 'onnx_diabetes_linear');
    const example = JSON.parse(readFileSync(join(dir, 'serving_input_example.json'), 'utf8')) as { dataframe_split: { columns: string[]; data: number[][] } };
    const csv = [example.dataframe_split.columns.join(','), ...example.dataframe_split.data.map((r) => r.join(','))].join('\n');
    const { code, stdout, stderr } = await runCli(['predict', '-m', dir, '-i', '-', '-t', 'csv'], { input: csv });
    expect(code, stderr).toBe(0);
    const want = invocationExchanges(MLFLOW_REAL, 'onnx_diabetes_linear')[0]!.response.body;
    expectClose(parsePythonJson(stdout), parsePythonJson(want), 1e-6);
  });

  test('bad input is a one-line MLflow error and a non-zero exit', async () => {
    const dir = join(MLFLOW_REAL, 'models', 'onnx_iris_softmax');
    const { code, stdout, stderr } = await runCli(['predict', '-m', dir, '-i', '-'], { input: '{"inputs": [[1, 2, 3]]}' });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain('INVALID_PARAMETER_VALUE');
    expect(stderr).toContain('Shape of input (1, 3) does not match expected shape (-1, 4).');
  });
});

describe('flowgate --help and --version', () => {
  test('--version prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string };
    const { code, stdout } = await runCli(['--version']);
    expect(code).toBe(0);
    expect(stdout.trim()).toBe(`flowgate ${pkg.version}`);
  });

  test.each([['serve', '-m, --model-uri'], ['predict', '-i, --input-path'], ['inspect', 'Usage: flowgate inspect URI']])('%s --help', async (cmd, text) => {
    const { code, stdout } = await runCli([cmd, '--help']);
    expect(code).toBe(0);
    expect(stdout).toContain(text);
  });

  test('an unknown flag is refused', async () => {
    const { code, stderr } = await runCli(['serve', '--bogus']);
    expect(code).not.toBe(0);
    expect(stderr).toContain('bogus');
  });
});
