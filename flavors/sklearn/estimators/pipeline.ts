/**
 * Pipeline (sklearn.pipeline): every step but the last transforms X in turn (None and
 * 'passthrough' steps are skipped); the last step predicts. A pipeline whose last step is
 * 'passthrough' only transforms.
 */
import { Attributes, asSequence, type PyObject } from '../../../src/pickle/index.js';
import type { BuildContext, Estimator, EstimatorFamily } from '../estimator.js';
import type { Values } from '../../../src/model/data.js';
import type { Table } from '../table.js';
import { takesItems } from './dict-vectorizer.js';

function isPassthrough(step: unknown): boolean {
  return step === null || step === 'passthrough';
}

function buildPipeline(obj: PyObject, ctx: BuildContext): Estimator {
  const a = new Attributes(obj);
  const steps = a.sequence('steps').map((s, i) => {
    const [name, step] = asSequence(s, `Pipeline.steps[${i}]`);
    return { name: String(name), step };
  });
  if (steps.length === 0) throw new TypeError('Pipeline has no steps');
  const built = steps.map(({ name, step }) => (isPassthrough(step) ? null : ctx.build(step, `Pipeline step '${name}'`)));
  const transformers = built.slice(0, -1).filter((e): e is Estimator => e !== null);
  for (const t of transformers) {
    if (t.transform === undefined) throw new TypeError(`Pipeline step ${t.name} has no transform`);
  }
  const final = built[built.length - 1] ?? null;
  const through = (X: Table): Table => transformers.reduce((Xt, t) => t.transform!(Xt), X);

  const pipeline: Estimator = { name: final === null ? 'Pipeline' : `Pipeline(${final.name})` };
  const methods = ['predict', 'predictProba', 'predictLogProba', 'predictJointLogProba', 'decisionFunction'] as const;
  const out: Record<string, unknown> = { ...pipeline };
  for (const m of methods) {
    const f = final?.[m];
    if (f !== undefined) out[m] = (X: Table) => f.call(final, through(X));
  }
  if (final === null) out.transform = through;
  else if (final.transform !== undefined) out.transform = (X: Table) => final.transform!(through(X));
  // a pipeline starting with a vectorizer of items (text, dicts) reads a single column too
  const first = built.find((e): e is Estimator => e !== null);
  if (first !== undefined && takesItems(first) && out.transform !== undefined) {
    const rest = built.slice(built.indexOf(first) + 1).filter((e): e is Estimator => e !== null);
    for (const t of rest) if (t.transform === undefined) throw new TypeError(`Pipeline step ${t.name} has no transform`);
    out.transformItems = (values: Values, rows: number) => rest.reduce((Xt, t) => t.transform!(Xt), first.transformItems(values, rows));
  }
  return out as unknown as Estimator;
}

export const pipelines: EstimatorFamily = {
  classes: ['sklearn.pipeline.Pipeline'],
  build: buildPipeline,
};
