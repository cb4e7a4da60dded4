/**
 * Differential tests against Keras/TensorFlow's own predictions (test/.generated/tensorflow,
 * made by test/fixtures-gen/tensorflow.sh): convolutions, batch norm, RNNs, embeddings,
 * nested and multi-input/output models, legacy .h5, Keras exports and signature SavedModels,
 * and the models flowgate must refuse at load.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, test } from 'vitest';
import { flavorFor } from '../../../flavors/index.js';
import { FlavorError } from '../../../src/errors.js';
import { frame, type DType, type ModelInput, type Tensor } from '../../../src/model/data.js';
import type { LoadedModel } from '../../../src/model/flavor.js';
import { readMLmodel, servingFlavorName } from '../../../src/model/mlmodel.js';
import { formatOutput } from '../../../src/protocol/json-output.js';
import { scoringResponseBody } from '../../../src/protocol/scoring-request.js';
import { REPO } from '../../helpers/fixtures.js';
import { expectClose, parsePythonJson } from '../../helpers/replay.js';
import { HAVE_TFJS_NODE } from './helpers.js';

const GENERATED = join(REPO, 'test/.generated/tensorflow');
const HAVE_GENERATED = existsSync(join(GENERATED, '.stamp'));
if (!HAVE_GENERATED) console.warn(`${GENERATED} not generated (bash test/fixtures-gen/tensorflow.sh): Keras differential tests skipped`);

const logger = pino({ level: 'silent' });
const SAVED_MODELS = new Set(['keras_exported_two_inputs', 'tf_savedmodel_cnn', 'tf1_signature']);

interface TensorJson {
  dtype: DType;
  shape: number[];
  values: number[];
}
type InputJson = { tensor: TensorJson } | { tensors: Record<string, TensorJson> } | { frame: { names: string[]; columns: number[][] } };

interface ExpectedJson {
  input: InputJson;
  predictions: unknown;
  frame_input?: InputJson;
  frame_predictions?: unknown;
}

const tensor = (t: TensorJson): Tensor => ({ dtype: t.dtype, shape: t.shape, values: Float64Array.from(t.values) });

function modelInput(json: InputJson): ModelInput {
  if ('tensor' in json) return { kind: 'tensor', tensor: tensor(json.tensor) };
  if ('tensors' in json) return { kind: 'tensors', tensors: Object.fromEntries(Object.entries(json.tensors).map(([k, t]) => [k, tensor(t)])) };
  return frame(json.frame.names, json.frame.columns.map((c) => ({ dtype: 'float64', values: Float64Array.from(c) })));
}

const loaded: LoadedModel[] = [];
async function load(name: string): Promise<LoadedModel> {
  const dir = join(GENERATED, name);
  const mlmodel = await readMLmodel(dir);
  const model = await (await flavorFor(servingFlavorName(mlmodel))).load(dir, mlmodel, { logger });
  loaded.push(model);
  return model;
}

async function expectPredictions(model: LoadedModel, input: InputJson, predictions: unknown): Promise<void> {
  const output = await model.predict(modelInput(input), {});
  const body = parsePythonJson(scoringResponseBody({ unwrapped: false }, formatOutput(output))) as { predictions: unknown };
  expectClose(body.predictions, predictions, 1e-5);
}

const cases = HAVE_GENERATED ? readdirSync(GENERATED).filter((n) => existsSync(join(GENERATED, n, 'expected.json'))).sort() : [];

describe.skipIf(!HAVE_GENERATED)('Keras and TensorFlow models predict as Keras/TensorFlow do', () => {
  afterAll(async () => {
    for (const m of loaded) await m.dispose();
  });

  test('the generated cases cover Keras files and SavedModels', () => {
    expect(cases).toEqual(
      expect.arrayContaining(['keras_cnn', 'keras_sequences', 'keras_two_inputs', 'h5_cnn', 'keras_gru_reset_after', 'h5_gru_reset_after', 'keras_conv1d_causal', 'keras_attention', 'keras_multi_head_attention', ...SAVED_MODELS]),
    );
  });

  test.each(cases)('%s', async (name) => {
    if (SAVED_MODELS.has(name) && !HAVE_TFJS_NODE) return;
    const want = JSON.parse(readFileSync(join(GENERATED, name, 'expected.json'), 'utf8')) as ExpectedJson;
    const model = await load(name);
    await expectPredictions(model, want.input, want.predictions);
    if (want.frame_input) await expectPredictions(model, want.frame_input, want.frame_predictions);
  });

  test('a two-output Keras model answers a list of arrays, as Keras predict returns', async () => {
    const model = await load('keras_nested_two_outputs');
    const output = await model.predict({ kind: 'tensor', tensor: { dtype: 'float32', shape: [2, 4], values: new Float64Array(8).fill(0.5) } }, {});
    expect(output.kind).toBe('json');
    const value = (output as { value: number[][][] }).value;
    expect(value.map((a) => [a.length, a[0]!.length])).toEqual([[2, 3], [2, 1]]);
  });

  test('a dict input must name every input of a multi-input model', async () => {
    const model = await load('keras_two_inputs');
    const a: Tensor = { dtype: 'float32', shape: [1, 5], values: new Float64Array(5) };
    await expect(model.predict({ kind: 'tensors', tensors: { a } }, {})).rejects.toThrow(/missing the model input 'b'/);
  });

  test('a layer tfjs cannot compute fails at load, naming the layer and the flavor', async () => {
    const error = await load('unsupported_lambda').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlavorError);
    expect((error as FlavorError).message).toMatch(/^flavor keras: cannot load data\/model\.keras: layer '.*' \(Lambda\) is not supported/);
  });

  test('a Keras operation computing on data (not a mask) is refused, named', async () => {
    const error = await load('unsupported_op').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlavorError);
    expect((error as FlavorError).message).toMatch(/layer 'multiply(_\d+)?' \(Multiply\) is a Keras operation in the model graph \(not a mask\)/);
  });

  test('attention over masked inputs is refused at load (not computed without the mask)', async () => {
    const error = await load('unsupported_attention_masked').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlavorError);
    // Keras 3 writes the mask plumbing as graph operations; either that or the layer itself refuses
    expect((error as FlavorError).message).toMatch(/\(ConvertToTensor\) is a Keras operation in the model graph \(not a mask\)|\(Attention\): masked inputs/);
  });

  test('a MultiHeadAttention returning its attention scores is refused at load, named', async () => {
    const error = await load('unsupported_mha_scores').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlavorError);
    expect((error as FlavorError).message).toMatch(/\(MultiHeadAttention\) returns its attention scores, which is not supported/);
  });

  test('a MultiHeadAttention over several axes is refused at load, named', async () => {
    const error = await load('unsupported_mha_attention_axes').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlavorError);
    expect((error as FlavorError).message).toMatch(/\(MultiHeadAttention\) uses attention_axes=\[1,2\]/);
  });
});
