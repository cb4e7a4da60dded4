/**
 * Keras layers tfjs-layers lacks, written against Keras 3's own definitions so that the
 * models using them load like the rest: Normalization, GRU with reset_after=True (Keras'
 * default), causal Conv1D, Attention and MultiHeadAttention.
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

/* eslint-disable @typescript-eslint/no-explicit-any -- tfjs' layer classes are not exported with their types */
type AnyLayerClass = new (args: any) => any;

/** A class tfjs-layers registered for deserialisation (the GRU and Conv1D classes are not exported). */
function tfjsClass(name: string): AnyLayerClass {
  const entry = tf.serialization.SerializationMap.getMap().classNameMap[name];
  if (entry === undefined) throw new Error(`tfjs-layers has no ${name} class`);
  return entry[0] as unknown as AnyLayerClass;
}

function single(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
  return Array.isArray(inputs) ? inputs[0]! : inputs;
}

/**
 * keras.layers.GRUCell with reset_after=True: separate input and recurrent biases (bias is
 * [2, 3·units]) and the reset gate applied after the recurrent matmul:
 * hh = act(x·Wh + bh + r ⊙ (h·Uh + b'h)).
 */
class ResetAfterGRUCell extends tfjsClass('GRUCell') {
  static readonly className = 'ResetAfterGRUCell';

  constructor(args: Record<string, unknown>) {
    super({ ...args, resetAfter: false });
  }

  build(inputShape: Shape | Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const inputDim = shape[shape.length - 1] as number;
    this.kernel = this.addWeight('kernel', [inputDim, this.units * 3], null, this.kernelInitializer, this.kernelRegularizer, true, this.kernelConstraint);
    this.recurrentKernel = this.addWeight('recurrent_kernel', [this.units, this.units * 3], null, this.recurrentInitializer, this.recurrentRegularizer, true, this.recurrentConstraint);
    this.bias = this.useBias ? this.addWeight('bias', [2, this.units * 3], null, this.biasInitializer, this.biasRegularizer, true, this.biasConstraint) : null;
    this.built = true;
  }

  call(inputs: tf.Tensor[]): tf.Tensor[] {
    return tf.tidy(() => {
      const [x, hPrev] = inputs as [tf.Tensor, tf.Tensor];
      let matrixX = tf.matMul(x as tf.Tensor2D, this.kernel.read());
      let matrixInner = tf.matMul(hPrev as tf.Tensor2D, this.recurrentKernel.read());
      if (this.bias !== null) {
        const [inputBias, recurrentBias] = tf.unstack(this.bias.read() as tf.Tensor);
        matrixX = tf.add(matrixX, inputBias!);
        matrixInner = tf.add(matrixInner, recurrentBias!);
      }
      const [xZ, xR, xH] = tf.split(matrixX, 3, -1) as [tf.Tensor, tf.Tensor, tf.Tensor];
      const [rZ, rR, rH] = tf.split(matrixInner, 3, -1) as [tf.Tensor, tf.Tensor, tf.Tensor];
      const z = this.recurrentActivation.apply(tf.add(xZ, rZ)) as tf.Tensor;
      const r = this.recurrentActivation.apply(tf.add(xR, rR)) as tf.Tensor;
      const hh = this.activation.apply(tf.add(xH, tf.mul(r, rH))) as tf.Tensor;
      const h = tf.add(tf.mul(z, hPrev), tf.mul(tf.sub(1, z), hh));
      return [h, h];
    });
  }

  getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), resetAfter: true };
  }
}

/** keras.layers.GRU(reset_after=True): tfjs' GRU (masks, go_backwards, sequences, Bidirectional) over the reset-after cell. */
class ResetAfterGRU extends tfjsClass('GRU') {
  static readonly className = 'ResetAfterGRU';

  constructor(args: Record<string, unknown>) {
    super({ ...args, resetAfter: false });
    this.cell = new ResetAfterGRUCell(args);
  }

  getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), resetAfter: true };
  }
}

/** keras.layers.Conv1D(padding='causal'): dilation·(kernel-1) zeros before the sequence, then a 'valid' convolution. */
class CausalConv1D extends tfjsClass('Conv1D') {
  static readonly className = 'CausalConv1D';

  constructor(args: Record<string, unknown>) {
    super({ ...args, padding: 'valid' });
  }

  private leftPadding(): number {
    return (this.dilationRate[0] as number) * ((this.kernelSize[0] as number) - 1);
  }

  private timeAxis(): number {
    return this.dataFormat === 'channelsFirst' ? 2 : 1;
  }

  call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => {
      const paddings: [number, number][] = [[0, 0], [0, 0], [0, 0]];
      paddings[this.timeAxis()] = [this.leftPadding(), 0];
      return super.call(tf.pad(single(inputs), paddings), kwargs) as tf.Tensor;
    });
  }

  computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    const shape = [...((Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape)];
    const axis = this.timeAxis();
    if (shape[axis] !== null && shape[axis] !== undefined) shape[axis] = (shape[axis] as number) + this.leftPadding();
    return super.computeOutputShape(shape);
  }
}

/** The [query, value, key?] of an attention call from its distinct inputs (see keras-config's input_map). */
function attentionArgs<T>(inputs: T[], inputMap: number[] | null): T[] {
  return inputMap === null ? inputs : inputMap.map((i) => inputs[i]!);
}

/** tfjs hands a layer with one distinct input that input alone (a tensor, or one shape). */
function tensorList(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
  return Array.isArray(inputs) ? inputs : [inputs];
}

function shapeList(inputShape: Shape | Shape[]): Shape[] {
  return Array.isArray(inputShape[0]) ? (inputShape as Shape[]) : [inputShape as Shape];
}

/** Keras' padding mask value: masked scores become (score - 1e9) or -1e9, which softmax turns into 0. */
const MASKED = 1e9;

/** Keras' causal mask [1, Tq, Tv]: query i sees keys j <= i. */
function causalMask(tq: number, tv: number): tf.Tensor {
  return tf.tidy(() => tf.expandDims(tf.greaterEqual(tf.reshape(tf.range(0, tq), [tq, 1]), tf.reshape(tf.range(0, tv), [1, tv])), 0));
}

function refuseMasks(kwargs: Record<string, unknown> | undefined, layer: string): void {
  const mask = kwargs?.mask;
  if (mask !== undefined && mask !== null && !(Array.isArray(mask) && mask.every((m) => m === null || m === undefined))) {
    throw new Error(`${layer}: masked inputs (Embedding(mask_zero=True), Masking) are not supported`);
  }
}

interface AttentionArgs {
  name?: string;
  inputMap?: number[] | null;
  useScale?: boolean;
  scoreMode?: string;
  useCausalMask?: boolean;
}

/**
 * keras.layers.Attention (Luong-style dot or Bahdanau-style concat scores) on [query, value]
 * or [query, value, key]: softmax(scores) · value, with the causal mask the call asked for.
 */
class Attention extends tfl.layers.Layer {
  static readonly className = 'Attention';
  private readonly useScale: boolean;
  private readonly scoreMode: string;
  private readonly useCausalMask: boolean;
  private readonly inputMap: number[] | null;
  private scale: tfl.LayerVariable | null = null;
  private concatScoreWeight: tfl.LayerVariable | null = null;

  constructor(args: AttentionArgs) {
    super(args);
    this.useScale = args.useScale ?? false;
    this.scoreMode = args.scoreMode ?? 'dot';
    this.useCausalMask = args.useCausalMask ?? false;
    this.inputMap = args.inputMap ?? null;
    if (this.scoreMode !== 'dot' && this.scoreMode !== 'concat') throw new Error(`Attention: score_mode '${this.scoreMode}' is not known`);
  }

  override build(): void {
    if (this.useScale) this.scale = this.addWeight('scale', [], 'float32', tfl.initializers.ones());
    if (this.scoreMode === 'concat') this.concatScoreWeight = this.addWeight('concat_score_weight', [], 'float32', tfl.initializers.ones());
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    refuseMasks(kwargs, `layer '${this.name}' (Attention)`);
    return tf.tidy(() => {
      const [q, v, k = v] = attentionArgs(tensorList(inputs), this.inputMap) as [tf.Tensor, tf.Tensor, tf.Tensor?];
      let scores: tf.Tensor;
      if (this.scoreMode === 'dot') {
        scores = tf.matMul(q, k, false, true);
        if (this.scale !== null) scores = tf.mul(scores, this.scale.read());
      } else {
        let sum = tf.add(tf.expandDims(q, -2), tf.expandDims(k, -3));
        if (this.scale !== null) sum = tf.mul(this.scale.read(), sum);
        scores = tf.mul(this.concatScoreWeight!.read(), tf.sum(tf.tanh(sum), -1));
      }
      if (this.useCausalMask) scores = tf.where(causalMask(q.shape[1]!, k.shape[1]!), scores, tf.sub(scores, MASKED));
      return tf.matMul(tf.softmax(scores, -1), v);
    });
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const [query, value] = attentionArgs(shapeList(inputShape), this.inputMap);
    return [...query!.slice(0, -1), value![value!.length - 1]!];
  }

  override computeMask(): tf.Tensor {
    return null as unknown as tf.Tensor; // the output carries no mask
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), useScale: this.useScale, scoreMode: this.scoreMode, useCausalMask: this.useCausalMask, inputMap: this.inputMap };
  }
}

interface MultiHeadAttentionArgs {
  name?: string;
  numHeads: number;
  keyDim: number;
  valueDim?: number | null;
  useBias?: boolean;
  outputShape?: number | number[] | null;
  attentionAxes?: number | number[] | null;
  useCausalMask?: boolean;
  inputMap?: number[] | null;
}

/**
 * keras.layers.MultiHeadAttention over sequences ([batch, T, dim] query, [batch, S, dim]
 * value and key): per-head projections (EinsumDense kernels [dim, heads, size]), scaled
 * dot-product attention with an optional causal mask, and the output projection.
 */
class MultiHeadAttention extends tfl.layers.Layer {
  static readonly className = 'MultiHeadAttention';
  private readonly numHeads: number;
  private readonly keyDim: number;
  private readonly valueDim: number;
  private readonly useBias: boolean;
  private readonly outputDim: number | null;
  private readonly useCausalMask: boolean;
  private readonly inputMap: number[] | null;
  private projections: Record<'query' | 'key' | 'value' | 'output', { kernel: tfl.LayerVariable; bias: tfl.LayerVariable | null }> | null = null;

  constructor(args: MultiHeadAttentionArgs) {
    super(args);
    this.numHeads = args.numHeads;
    this.keyDim = args.keyDim;
    this.valueDim = args.valueDim ?? args.keyDim;
    this.useBias = args.useBias ?? true;
    const out = args.outputShape;
    if (Array.isArray(out) && out.length !== 1) throw new Error(`MultiHeadAttention: output_shape ${JSON.stringify(out)} is not supported (one dimension only)`);
    this.outputDim = out === null || out === undefined ? null : Array.isArray(out) ? out[0]! : out;
    const axes = args.attentionAxes;
    if (axes !== null && axes !== undefined && !((Array.isArray(axes) ? axes : [axes]).length === 1 && [1, -2].includes((Array.isArray(axes) ? axes[0] : axes)!))) {
      throw new Error(`MultiHeadAttention: attention_axes ${JSON.stringify(axes)} is not supported (attention over the sequence axis of [batch, T, dim] inputs only)`);
    }
    this.useCausalMask = args.useCausalMask ?? false;
    this.inputMap = args.inputMap ?? null;
  }

  override build(inputShape: Shape | Shape[]): void {
    const [query, value, key = value] = attentionArgs(shapeList(inputShape), this.inputMap);
    for (const shape of [query, value, key]) {
      if (shape!.length !== 3) throw new Error(`MultiHeadAttention: inputs of rank ${shape!.length} are not supported (only [batch, T, dim])`);
    }
    const dim = (s: Shape | undefined): number => s![s!.length - 1] as number;
    const projection = (name: string, kernelShape: number[], biasShape: number[]) => ({
      kernel: this.addWeight(`${name}/kernel`, kernelShape, 'float32', tfl.initializers.zeros()),
      bias: this.useBias ? this.addWeight(`${name}/bias`, biasShape, 'float32', tfl.initializers.zeros()) : null,
    });
    const outputDim = this.outputDim ?? dim(query);
    // Keras builds (and saves) the projections in this order.
    this.projections = {
      query: projection('query', [dim(query), this.numHeads, this.keyDim], [this.numHeads, this.keyDim]),
      key: projection('key', [dim(key), this.numHeads, this.keyDim], [this.numHeads, this.keyDim]),
      value: projection('value', [dim(value), this.numHeads, this.valueDim], [this.numHeads, this.valueDim]),
      output: projection('attention_output', [this.numHeads, this.valueDim, outputDim], [outputDim]),
    };
    this.built = true;
  }

  /** [B, T, dim] → [B, heads, T, size] */
  private project(x: tf.Tensor, which: 'query' | 'key' | 'value', size: number): tf.Tensor {
    const p = this.projections![which];
    const [b, t, d] = x.shape as [number, number, number];
    let y = tf.matMul(tf.reshape(x, [b * t, d]), tf.reshape(p.kernel.read(), [d, this.numHeads * size]));
    if (p.bias !== null) y = tf.add(y, tf.reshape(p.bias.read(), [this.numHeads * size]));
    return tf.transpose(tf.reshape(y, [b, t, this.numHeads, size]), [0, 2, 1, 3]);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    refuseMasks(kwargs, `layer '${this.name}' (MultiHeadAttention)`);
    return tf.tidy(() => {
      const [query, value, key = value] = attentionArgs(tensorList(inputs), this.inputMap) as [tf.Tensor, tf.Tensor, tf.Tensor?];
      const q = tf.mul(this.project(query, 'query', this.keyDim), 1 / Math.sqrt(this.keyDim));
      const k = this.project(key, 'key', this.keyDim);
      const v = this.project(value, 'value', this.valueDim);
      let scores = tf.matMul(q, k, false, true); // [B, heads, T, S]
      if (this.useCausalMask) scores = tf.where(tf.expandDims(causalMask(query.shape[1]!, key.shape[1]!), 0), scores, tf.fill(scores.shape, -MASKED));
      const attended = tf.matMul(tf.softmax(scores, -1), v); // [B, heads, T, valueDim]
      const [b, t] = query.shape as [number, number];
      const out = this.projections!.output;
      const flat = tf.reshape(tf.transpose(attended, [0, 2, 1, 3]), [b * t, this.numHeads * this.valueDim]);
      const outputDim = out.kernel.shape[2]!;
      let y = tf.matMul(flat, tf.reshape(out.kernel.read(), [this.numHeads * this.valueDim, outputDim]));
      if (out.bias !== null) y = tf.add(y, out.bias.read());
      return tf.reshape(y, [b, t, outputDim]);
    });
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const [query] = attentionArgs(shapeList(inputShape), this.inputMap);
    return [...query!.slice(0, -1), this.outputDim ?? query![query!.length - 1]!];
  }

  override computeMask(): tf.Tensor {
    return null as unknown as tf.Tensor; // the output carries no mask
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      numHeads: this.numHeads,
      keyDim: this.keyDim,
      valueDim: this.valueDim,
      useBias: this.useBias,
      outputShape: this.outputDim,
      useCausalMask: this.useCausalMask,
      inputMap: this.inputMap,
    };
  }
}

let registered = false;

export function registerKerasLayers(): void {
  if (registered) return;
  for (const cls of [Normalization, ResetAfterGRUCell, ResetAfterGRU, CausalConv1D, Attention, MultiHeadAttention]) {
    tf.serialization.registerClass(cls as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);
  }
  registered = true;
}
