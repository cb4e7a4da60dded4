/**
 * The sklearn flavor as serving sees it: MLmodel configuration, load-time refusals (unknown
 * estimators, code in the pickle, joblib files, a predict_fn the estimator lacks), and
 * predict-time behaviour (feature names, string labels, probabilities).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync, gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { sklearnFlavor } from '../../../flavors/sklearn/index.js';
import { FlavorError } from '../../../src/errors.js';
import type { Frame, Tensor } from '../../../src/model/data.js';
import { parseMLmodel } from '../../../src/model/mlmodel.js';
import { NO_GENERATED, generatedVersions, pk, stackGlobal } from '../../pickle/helpers.js';
import { logger } from './logger.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function mlmodelText(options: { predictFn?: string; format?: string; file?: string } = {}): string {
  return [
    'flavors:',
    '  python_function:',
    '    loader_module: mlflow.sklearn',
    `    model_path: ${options.file ?? 'model.pkl'}`,
    `    predict_fn: ${options.predictFn ?? 'predict'}`,
    '  sklearn:',
    `    pickled_model: ${options.file ?? 'model.pkl'}`,
    `    serialization_format: ${options.format ?? 'cloudpickle'}`,
    '    sklearn_version: 1.9.1',
  ].join('\n');
}

async function load(pickle: Uint8Array, options: Parameters<typeof mlmodelText>[0] = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'flowgate-sk-'));
  dirs.push(dir);
  writeFileSync(join(dir, options.file ?? 'model.pkl'), pickle);
  const text = mlmodelText(options);
  writeFileSync(join(dir, 'MLmodel'), text);
  return sklearnFlavor.load(dir, parseMLmodel(text), { logger });
}

async function loadError(pickle: Uint8Array, options: Parameters<typeof mlmodelText>[0] = {}): Promise<string> {
  const err = await load(pickle, options).then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(FlavorError);
  return (err as Error).message;
}

describe('sklearn flavor: refusals at load', () => {
  it('an estimator flowgate does not implement, naming it and what is supported', async () => {
    const dbscan = pk('\x80\x04', stackGlobal('sklearn.cluster._dbscan', 'DBSCAN'), ')', '\x81', '}', 'b', '.');
    const message = await loadError(dbscan);
    expect(message).toMatch(/^flavor sklearn: class sklearn\.cluster\._dbscan\.DBSCAN is not supported \(supported: .*RandomForestClassifier.*\); to serve it, export it with skl2onnx .*--runtime python`$/);
    expect(message).toContain('LogisticRegression');
  });

  it('a pickle that would run code, naming the callable', async () => {
    const attack = pk('cos\nsystem\n', "(S'touch /tmp/flowgate-pwned'\n", 'tR.');
    expect(await loadError(attack)).toBe('flavor sklearn: pickle refers to os.system, which flowgate never loads (not an allow-listed class)');
  });

  it('joblib-compressed files (zlib, gzip) and joblib array wrappers, with a clear message', async () => {
    const plain = pk('\x80\x04N.');
    expect(await loadError(deflateSync(plain))).toMatch(/model\.pkl is zlib-compressed \(joblib\.dump with compress\?\)/);
    expect(await loadError(gzipSync(plain))).toMatch(/model\.pkl is gzip-compressed/);
    const wrapper = pk('\x80\x04', stackGlobal('joblib.numpy_pickle', 'NumpyArrayWrapper'), ')', '\x81', '.');
    expect(await loadError(wrapper)).toMatch(/written by joblib\.dump \(it refers to joblib\.numpy_pickle\.NumpyArrayWrapper\)/);
  });

  it('something that is not an estimator', async () => {
    expect(await loadError(pk('\x80\x04', ']', '.'))).toMatch(/model\.pkl is not an estimator/);
  });

  it('an unsupported serialization format or predict_fn, and a missing model file', async () => {
    expect(await loadError(pk('N.'), { format: 'skops' })).toMatch(/serialization_format 'skops' is not supported/);
    expect(await loadError(pk('N.'), { predictFn: 'score' })).toMatch(/pyfunc predict_fn 'score' is not supported/);
    const dir = mkdtempSync(join(tmpdir(), 'flowgate-sk-'));
    dirs.push(dir);
    const err = await sklearnFlavor.load(dir, parseMLmodel(mlmodelText()), { logger }).catch((e: Error) => e);
    expect(String(err)).toMatch(/cannot read model\.pkl/);
  });
});

const versions = generatedVersions();
const generated = (file: string): Uint8Array => readFileSync(join(versions[versions.length - 1]!, file));

function frame(names: string[], rows: number[][]): Frame {
  return {
    kind: 'frame',
    names,
    rows: rows.length,
    columns: names.map((_, j) => ({ dtype: 'float64' as const, values: Float64Array.from(rows, (r) => r[j]!) })),
  };
}

const F = ['f0', 'f1', 'f2', 'f3', 'f4'];
const ROWS = [[0.1, 2, -0.05, 30, 1], [-1, -8, 0.2, -120, 0]];

describe.skipIf(versions.length === 0)('sklearn flavor: predict', () => {
  if (versions.length === 0) it.skip(NO_GENERATED, () => {});

  it('a predict_fn the estimator lacks fails at load, not at the first request', async () => {
    expect(await loadError(generated('ridge.pickle.pkl'), { predictFn: 'predict_proba' })).toBe(
      'flavor sklearn: Ridge has no predict_proba (the pyfunc predict_fn)',
    );
  });

  it('string labels come back as an object array, probabilities as float64 [n, k]', async () => {
    const labels = await load(generated('rf_clf_str.cloudpickle.pkl'));
    const out = (await labels.predict(frame(F, ROWS), {})) as { tensor: Tensor };
    expect(out.tensor.dtype).toBe('object');
    expect(out.tensor.shape).toEqual([2]);
    for (const v of out.tensor.values as unknown[]) expect(['alpha', 'beta', 'gamma']).toContain(v);
    const proba = await load(generated('rf_clf_str.pickle.pkl'), { predictFn: 'predict_proba', format: 'pickle' });
    const p = (await proba.predict(frame(F, ROWS), {})) as { tensor: Tensor };
    expect(p.tensor.dtype).toBe('float64');
    expect(p.tensor.shape).toEqual([2, 3]);
  });

  it('feature names must match those seen in fit, as sklearn checks them', async () => {
    const model = await load(generated('logreg_multinomial.pickle.pkl'));
    await expect(model.predict(frame(['f0', 'f1', 'f2', 'f4', 'f3'], ROWS), {})).rejects.toThrow(
      'The feature names should match those that were passed during fit.\nFeature names must be in the same order as they were in fit.\n',
    );
    await expect(model.predict(frame(['f0', 'f1', 'f2', 'f3', 'x'], ROWS), {})).rejects.toThrow(/Feature names unseen at fit time:\n- x\n/);
    const short = { ...frame(F, ROWS), names: F.slice(0, 4), columns: frame(F, ROWS).columns.slice(0, 4) };
    await expect(model.predict(short, {})).rejects.toThrow(/Feature names seen at fit time, yet now missing:\n- f4\n/);
  });

  it('NaN is refused where the estimator refuses it, and a tensor input works positionally', async () => {
    const model = await load(generated('logreg_nparray.pickle.pkl'));
    const tensor = { kind: 'tensor' as const, tensor: { dtype: 'float64' as const, shape: [2, 5], values: Float64Array.from(ROWS.flat()) } };
    const out = (await model.predict(tensor, {})) as { tensor: Tensor };
    expect(out.tensor.shape).toEqual([2]);
    const withNaN = { ...tensor, tensor: { ...tensor.tensor, values: Float64Array.from([NaN, ...ROWS.flat().slice(1)]) } };
    await expect(model.predict(withNaN, {})).rejects.toThrow(/Input X contains NaN/);
    const wide = { kind: 'tensor' as const, tensor: { dtype: 'float64' as const, shape: [1, 3], values: Float64Array.of(1, 2, 3) } };
    await expect(model.predict(wide, {})).rejects.toThrow('X has 3 features, but LogisticRegression is expecting 5 features as input.');
  });
});

