/**
 * Keras layers tfjs-layers lacks, written against Keras 3's own definitions so that the
 * models using them load like the rest.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

type Shape = (number | null)[];

interface NormalizationArgs {
  name?: string;
  axis?: number | number[] | null;
  invert?: boolean;
  mean?: number | number[] | null;
  variance?: number | number[] | null;
}

/** Keras' backend.epsilon(), the floor of the standard deviation in Normalization. */
const EPSILON = 1e-7;

/**
 * keras.layers.Normalization: (x - mean) / max(sqrt(variance), eps), or the inverse.
 * Adapted statistics are weights [mean, variance, count]; given ones sit in the config.
 */
class Normalization extends tfl.layers.Layer {
  static readonly className = 'Normalization';
  private readonly axis: number[];
  private readonly invert: boolean;
  private readonly fixedMean: number | number[] | null;
  private readonly fixedVariance: number | number[] | null;
  private broadcastShape: number[] = [];
  private stats: { mean: tfl.LayerVariable; variance: tfl.LayerVariable } | null = null;

  constructor(args: NormalizationArgs) {
    super(args);
    const axis = args.axis ?? -1;
    this.axis = axis === null ? [] : Array.isArray(axis) ? axis : [axis];
    this.invert = args.invert ?? false;
    this.fixedMean = args.mean ?? null;
    this.fixedVariance = args.variance ?? null;
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const keep = this.axis.map((a) => (a < 0 ? a + shape.length : a));
    this.broadcastShape = shape.map((d, i) => (keep.includes(i) ? (d ?? 1) : 1));
    if (this.fixedMean === null) {
      const statShape = keep.sort((a, b) => a - b).map((i) => shape[i] ?? 1);
      this.stats = {
        mean: this.addWeight('mean', statShape, 'float32', tfl.initializers.zeros(), undefined, false),
        variance: this.addWeight('variance', statShape, 'float32', tfl.initializers.ones(), undefined, false),
      };
      this.addWeight('count', [], 'int32', tfl.initializers.zeros(), undefined, false);
    }
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = tf.cast(Array.isArray(inputs) ? inputs[0]! : inputs, 'float32');
      const mean = this.statistic(this.stats?.mean.read(), this.fixedMean);
      const std = tf.maximum(tf.sqrt(this.statistic(this.stats?.variance.read(), this.fixedVariance)), EPSILON);
      return this.invert ? tf.add(mean, tf.mul(x, std)) : tf.div(tf.sub(x, mean), std);
    });
  }

  private statistic(weight: tf.Tensor | undefined, fixed: number | number[] | null): tf.Tensor {
    if (weight !== undefined) return tf.reshape(weight, this.broadcastShape);
    if (typeof fixed === 'number' || fixed === null) return tf.scalar(fixed ?? 0);
    return tf.reshape(tf.tensor(fixed.flat(Infinity) as number[]), this.broadcastShape);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), axis: this.axis, invert: this.invert, mean: this.fixedMean, variance: this.fixedVariance };
  }
}

let registered = false;

export function registerKerasLayers(): void {
  if (registered) return;
  tf.serialization.registerClass(Normalization);
  registered = true;
}
