/**
 * Corrupt model files, one per flavor and file format: each fails its load with a clear
 * error naming the flavor or the file (never a crash of the process, a hang or a version
 * swapped in), and a served version keeps serving when its successor is corrupt.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import pino from 'pino';
import { afterEach, describe, expect, test } from 'vitest';
import type { ModelVersionRef } from '../../src/registry/index.js';
import type { RunningServer } from '../../src/server.js';
import { loadVersion } from '../../src/serving/follower.js';
import { HAVE_SHARED, MLFLOW_REAL, MLFLOW_REAL_TF } from '../helpers/fixtures.js';
import { copyExampleRegistry, setAlias, versionDir } from '../helpers/registry.js';
import { startFlowgate } from '../helpers/server.js';

const logger = pino({ level: 'silent' });
const temps: string[] = [];
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function copyOf(model: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'flowgate-corrupt-'));
  temps.push(dir);
  cpSync(model, dir, { recursive: true });
  return dir;
}

function halve(path: string): void {
  truncateSync(path, Math.floor(readFileSync(path).length / 2));
}

function ref(dir: string): ModelVersionRef {
  return { uri: dir, name: null, version: null, stage: null, aliases: [], source: dir, artifactUri: dir, runId: null, modelId: null, trackingUri: null };
}

type Case = [label: string, model: string, corrupt: (dir: string) => void, message: RegExp];

const CASES: Case[] = [
  ['ONNX, truncated', join(MLFLOW_REAL, 'models/onnx_iris_softmax'), (d) => halve(join(d, 'model.onnx')), /onnx|protobuf/i],
  ['ONNX, empty', join(MLFLOW_REAL, 'models/onnx_iris_softmax'), (d) => writeFileSync(join(d, 'model.onnx'), ''), /onnx|protobuf|empty/i],
  ['scikit-learn pickle, truncated', join(MLFLOW_REAL, 'models/sk_iris_logreg'), (d) => halve(join(d, 'model.pkl')), /sklearn|pickle/i],
  ['scikit-learn pickle, not a pickle', join(MLFLOW_REAL, 'models/sk_iris_logreg'), (d) => writeFileSync(join(d, 'model.pkl'), 'PK\u0003\u0004 not a pickle at all'), /sklearn|pickle/i],
  ['LightGBM pickle, truncated', join(MLFLOW_REAL, 'models/lgb_iris_classifier'), (d) => halve(join(d, 'model.pkl')), /lightgbm|pickle/i],
  ['LightGBM text, truncated', join(MLFLOW_REAL, 'models/lgb_diabetes_booster'), (d) => halve(join(d, 'model.lgb')), /lightgbm/i],
  ['XGBoost JSON, truncated', join(MLFLOW_REAL, 'models/xgb_iris_classifier_json'), (d) => halve(join(d, 'model.json')), /xgboost.*model\.json/i],
  ['XGBoost legacy binary, truncated', join(MLFLOW_REAL, 'models/xgb_iris_classifier'), (d) => halve(join(d, 'model.xgb')), /xgboost.*model\.xgb/i],
  [
    'XGBoost UBJSON, truncated',
    join(MLFLOW_REAL, 'models/xgb_iris_classifier_json'),
    (d) => {
      writeFileSync(join(d, 'MLmodel'), readFileSync(join(d, 'MLmodel'), 'utf8').replaceAll('model.json', 'model.ubj').replace('model_format: json', 'model_format: ubj'));
      // `{` then a length-prefixed key "learner" and an object that never ends
      writeFileSync(join(d, 'model.ubj'), Buffer.concat([Buffer.from('{L'), Buffer.from([0, 0, 0, 0, 0, 0, 0, 7]), Buffer.from('learner{L')]));
    },
    /xgboost.*model\.ubj/i,
  ],
  ['Keras .keras zip, truncated', join(MLFLOW_REAL_TF, 'models/keras3_iris_mlp'), (d) => halve(join(d, 'data/model.keras')), /keras|zip/i],
  [
    'Keras HDF5, truncated',
    join(MLFLOW_REAL_TF, 'models/keras3_iris_mlp'),
    (d) => {
      rmSync(join(d, 'data/model.keras'));
      writeFileSync(join(d, 'data/model.h5'), Buffer.concat([Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(40, 0xff)]));
    },
    /keras|h5|hdf5/i,
  ],
];

describe.skipIf(!HAVE_SHARED)('a corrupt model file fails its load with a clear error', () => {
  test.each(CASES)('%s', async (_label, model, corrupt, message) => {
    const dir = copyOf(model);
    corrupt(dir);
    const err = await loadVersion(ref(dir), dir, logger, null).then(() => null, (e: Error) => e);
    expect(err, 'the corrupt model loaded').not.toBeNull();
    expect(err!.message).toMatch(message);
    expect(err!.message.length).toBeLessThan(2000);
  });

  test('a .keras zip whose entries escape (../, absolute) writes nothing outside and is refused', async () => {
    const dir = copyOf(join(MLFLOW_REAL_TF, 'models/keras3_iris_mlp'));
    const outside = mkdtempSync(join(tmpdir(), 'flowgate-zip-outside-'));
    temps.push(outside);
    writeFileSync(
      join(dir, 'data/model.keras'),
      zipSync({ [`../../../../../../..${outside}/pwned.txt`]: Buffer.from('x'), [`${outside}/abs.txt`]: Buffer.from('y'), '../config.json': Buffer.from('{}') }),
    );
    const err = await loadVersion(ref(dir), dir, logger, null).then(() => null, (e: Error) => e);
    expect(err?.message).toMatch(/keras|config\.json/i);
    expect(readdirSync(outside)).toEqual([]);
    expect(existsSync(join(dir, 'config.json'))).toBe(false);
  });
});

describe('a corrupt successor never replaces the served version', () => {
  let server: RunningServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  test.each([
    ['truncated', (p: string) => halve(p)],
    ['empty', (p: string) => writeFileSync(p, '')],
    ['random bytes', (p: string) => writeFileSync(p, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251)))],
  ])('ONNX %s: version 1 keeps serving', async (_label, corrupt) => {
    const root = copyExampleRegistry();
    temps.push(root);
    server = await startFlowgate('models:/iris@champion', { trackingUri: root });
    corrupt(join(versionDir(root, 'iris', 2), 'model.onnx'));
    setAlias(root, 'iris', 'champion', 2);
    await server.follower.poll();
    const res = await fetch(`${server.url}/invocations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"inputs": [[5.9, 3.0, 5.1, 1.8]]}' });
    expect([res.status, res.headers.get('x-flowgate-version')]).toEqual([200, '1']);
    expect(server.follower.pending()).toMatchObject({ version: '2', state: 'failed' });
  });
});
