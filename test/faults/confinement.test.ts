/**
 * A model directory is a closed world: its MLmodel is read as MLflow's yaml.safe_load reads
 * it (no `!!python` tags, no alias bombs, a size cap), and neither the paths it names nor
 * the symlinks in it may reach outside it; `runs:/` paths may not leave the run.
 */
import { cpSync, mkdtempSync, openSync, closeSync, ftruncateSync, writeSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { MAX_MLMODEL_BYTES, readMLmodel } from '../../src/model/mlmodel.js';
import { parseRunsUri } from '../../src/registry/uri.js';
import type { RunningServer } from '../../src/server.js';
import { copyExampleRegistry, setAlias, versionDir } from '../helpers/registry.js';
import { startFlowgate } from '../helpers/server.js';

const temps: string[] = [];
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A copy of the example's iris v1 model whose MLmodel `edit` rewrites. */
function irisCopy(edit: (mlmodel: string) => string = (m) => m): string {
  const root = copyExampleRegistry();
  temps.push(root);
  const dir = mkdtempSync(join(tmpdir(), 'flowgate-confine-'));
  temps.push(dir);
  cpSync(versionDir(root, 'iris', 1), dir, { recursive: true });
  writeFileSync(join(dir, 'MLmodel'), edit(readFileSync(join(dir, 'MLmodel'), 'utf8')));
  return dir;
}

describe('MLmodel is plain YAML data', () => {
  test('a !!python tag is refused, as yaml.safe_load refuses it', async () => {
    const dir = irisCopy((m) => `${m}metadata:\n  x: !!python/object/apply:os.system ["touch /tmp/flowgate-pwned"]\n`);
    await expect(readMLmodel(dir)).rejects.toThrow(/uses a YAML tag .*safe_load refuses it.*python\/object\/apply:os\.system/s);
  });

  test('an alias bomb is refused before it expands', async () => {
    let bomb = 'metadata:\n  a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
    for (let i = 1; i < 10; i++) bomb += `  a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(',')}]\n`;
    const dir = irisCopy((m) => m + bomb);
    const started = Date.now();
    await expect(readMLmodel(dir)).rejects.toThrow(/not valid YAML: .*alias/i);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  test('a few ordinary aliases are fine, and a repeated key keeps its last value as PyYAML does', async () => {
    const dir = irisCopy((m) => `${m}metadata:\n  a: &x 7\n  b: *x\n  b: 8\n`);
    expect((await readMLmodel(dir)).metadata).toEqual({ a: 7, b: 8 });
  });

  test.each([
    ['2 MB', 2 << 20],
    ['100 MB', 100 << 20],
  ])('a %s MLmodel is refused with its size, without reading it whole', async (_label, size) => {
    const dir = irisCopy();
    const fd = openSync(join(dir, 'MLmodel'), 'r+');
    writeSync(fd, 'metadata:\n  pad: "', readFileSync(join(dir, 'MLmodel')).length);
    ftruncateSync(fd, size); // sparse: NULs past the header
    closeSync(fd);
    await expect(readMLmodel(dir)).rejects.toThrow(new RegExp(`larger than the ${MAX_MLMODEL_BYTES} bytes an MLmodel file may have \\(${size} bytes\\)`));
  });
});

describe('paths in MLmodel stay inside the model directory', () => {
  test.each([
    ['the ONNX data file', (m: string) => m.replace('    data: model.onnx\n    onnx_session', '    data: ../../../../../../etc/passwd\n    onnx_session'), /flavors\.onnx\.data \("\.\.\/.*etc\/passwd"\) leaves the model directory/],
    ['the pyfunc data file, absolute', (m: string) => m.replace('    data: model.onnx\n    env', '    data: /etc/passwd\n    env'), /flavors\.python_function\.data \("\/etc\/passwd"\) is an absolute path/],
    ['the serving input example', (m: string) => m.replace('serving_input_path: serving_input_example.json', 'serving_input_path: ../../../etc/passwd'), /saved_input_example_info\.serving_input_path/],
    ['a code path in a list', (m: string) => m.replace('    code: null', '    code:\n    - src\n    - ../../outside'), /flavors\.onnx\.code\[1\]/],
    ['an env file', (m: string) => m.replace('conda: conda.yaml', 'conda: ../../../home/user/.aws/credentials'), /flavors\.python_function\.env\.conda/],
    ['a sklearn pickle', (m: string) => `${m}`.replace('flavors:\n', 'flavors:\n  sklearn:\n    pickled_model: sub/../../../x.pkl\n'), /flavors\.sklearn\.pickled_model/],
    ['a SavedModel directory', (m: string) => m.replace('flavors:\n', 'flavors:\n  tensorflow:\n    saved_model_dir: ..\n'), /flavors\.tensorflow\.saved_model_dir/],
    ['a Windows absolute path', (m: string) => m.replace('    data: model.onnx\n    onnx_session', '    data: C:\\Windows\\win.ini\n    onnx_session'), /is an absolute path/],
  ])('%s leaving the directory is refused, and nothing outside is read', async (_label, edit, message) => {
    const dir = irisCopy(edit);
    const err = await readMLmodel(dir).then(() => null, (e: Error) => e);
    expect(err?.message).toMatch(message);
    expect(err?.message).toMatch(/a model may only read files inside its own directory/);
    expect(err?.message).not.toMatch(/root:/);
  });

  test('paths inside the directory, and keys that are not paths, are left alone', async () => {
    const dir = irisCopy((m) => m.replace('    code: null', '    code: ./sub/../model.onnx').replace('flavors:\n', 'flavors:\n  custom:\n    artifacts:\n      a:\n        path: artifacts/a\n        uri: /home/someone/original/a\n'));
    await expect(readMLmodel(dir)).resolves.toMatchObject({ flavors: { onnx: { data: 'model.onnx' } } });
  });

  test('a symlink pointing outside the directory is refused; one pointing inside is fine', async () => {
    const inside = irisCopy();
    symlinkSync('model.onnx', join(inside, 'alias.onnx'));
    await expect(readMLmodel(inside)).resolves.toBeDefined();

    const dir = irisCopy();
    rmSync(join(dir, 'model.onnx'));
    symlinkSync('/etc/passwd', join(dir, 'model.onnx'));
    await expect(readMLmodel(dir)).rejects.toThrow(/the symlink model\.onnx points outside it \(to \/etc\/passwd\)/);

    const nested = irisCopy();
    cpSync(join(nested, 'model.onnx'), join(nested, 'keep.onnx'));
    symlinkSync('../..', join(nested, 'up'));
    await expect(readMLmodel(nested)).rejects.toThrow(/the symlink up points outside it/);
  });
});

describe('runs:/ paths stay inside the run', () => {
  test.each(['runs:/0123abc/../../etc', 'runs:/0123abc/model/../../..', 'runs:/0123abc/%2e%2e/x', 'runs:/0123abc/a%2f..%2f..'])('%s is refused', (uri) => {
    expect(() => parseRunsUri(uri)).toThrow(/may not leave the run's artifact root/);
  });

  test('ordinary run paths still parse', () => {
    expect(parseRunsUri('runs:/0123abc/./model/sub/')).toEqual({ runId: '0123abc', path: 'model/sub' });
  });
});

describe('a served model whose next version escapes its directory', () => {
  let server: RunningServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  test.each([
    ['!!python tag', (m: string) => `${m}metadata:\n  x: !!python/name:os.system ""\n`],
    ['path traversal', (m: string) => m.replace('    data: model.onnx\n    onnx_session', '    data: ../../../../../../etc/passwd\n    onnx_session')],
  ])('(%s) is refused; the old version keeps serving', async (_label, edit) => {
    const root = copyExampleRegistry();
    temps.push(root);
    server = await startFlowgate('models:/iris@champion', { trackingUri: root });
    const mlmodel = join(versionDir(root, 'iris', 2), 'MLmodel');
    writeFileSync(mlmodel, edit(readFileSync(mlmodel, 'utf8')));
    setAlias(root, 'iris', 'champion', 2);
    await server.follower.poll();
    const res = await fetch(`${server.url}/invocations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"inputs": [[5.9, 3.0, 5.1, 1.8]]}' });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-flowgate-version')).toBe('1');
  });
});
