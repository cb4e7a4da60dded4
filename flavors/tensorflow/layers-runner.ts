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
      // apply() runs the graph once in inference mode; predict() would add Keras' batching loop.
      const results = tf.tidy(() => {
        const xs = feeds.map((f, i) => toTf(f, inputs[i]!.dtype));
        const y = model.apply(xs.length === 1 ? xs[0]! : xs, { training: false }) as tf.Tensor | tf.Tensor[];
        return Array.isArray(y) ? y : [y];
      });
      try {
        return results.map(fromTf);
      } finally {
        tf.dispose(results);
      }
    },
    dispose: () => model.dispose(),
  };
}
