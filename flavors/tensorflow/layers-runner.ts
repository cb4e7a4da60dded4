/**
 * A tfjs-layers model (built from a Keras file) as a TensorRunner.
 */
import type { Tensor } from '../../src/model/data.js';
import { fromTf, toTf, type TensorRunner } from './tensors.js';
import { tf, type tfl } from './tfjs.js';

export function layersRunner(model: tfl.LayersModel): TensorRunner {
  const inputs = model.inputs.map((symbolic, i) => ({ name: model.inputNames[i]!, dtype: symbolic.dtype }));
  return {
    inputs,
    outputs: [...model.outputNames],
    async run(feeds: Tensor[]): Promise<Tensor[]> {
      const results = tf.tidy(() => {
        const xs = feeds.map((f, i) => toTf(f, inputs[i]!.dtype));
        const y = model.predict(xs.length === 1 ? xs[0]! : xs);
        return Array.isArray(y) ? y : [y];
      });
      try {
        return await Promise.all(results.map(fromTf));
      } finally {
        tf.dispose(results);
      }
    },
    dispose: () => model.dispose(),
  };
}
