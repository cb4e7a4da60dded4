/**
 * Online feedback: ground truth that arrives after the answer. The endpoint remembers, for
 * its last `capacity` answered requests (a bounded LRU keyed by the request id the client
 * got in `x-request-id`), which variant and version answered and what it predicted; a
 * feedback item names the request id and brings a `label` (scored against the prediction:
 * right or wrong for classes, absolute error for numbers) or a `reward`. Scores go to the
 * variant's stats, where rollout gates and bandit routing read them. Unknown or expired
 * ids, and labels that cannot be compared with what was predicted, are counted, never errors.
 */
import type { FeedbackScore, VariantStats } from './variant-stats.js';

export type FeedbackTask = 'auto' | 'classification' | 'regression';

export interface FeedbackSpec {
  /** request ids remembered */
  capacity: number;
  /** how a label is scored: auto = numbers that are not whole are regression, the rest classification */
  task: FeedbackTask;
  /** the model output labels are compared with, when it has several (e.g. `label` beside `probabilities`); null = the first one with one value per row */
  output: string | null;
}

/** Predictions longer than this are not kept: rewards still apply, labels are counted as unscored. */
const MAX_PREDICTION_CHARS = 64 * 1024;

interface Answered {
  variant: string;
  version: string | null;
  /** the predictions as the response wrote them (formatOutput), or null when too long */
  predictions: string | null;
}

export interface FeedbackItem {
  request_id: string;
  label?: unknown;
  reward?: number;
}

export interface FeedbackOutcome {
  request_id: string;
  status: 'scored' | 'unknown' | 'unscored';
  variant?: string;
  version?: string | null;
  /** what was measured: rows right (classes), mean absolute error (numbers), reward */
  correct?: number;
  rows?: number;
  mae?: number;
  reward?: number;
  /** why a label could not be scored */
  reason?: string;
}

export class FeedbackLog {
  private readonly answers = new Map<string, Answered>();
  unknown = 0;
  unscored = 0;

  constructor(readonly spec: FeedbackSpec) {}

  /** An answered request (call after a 200). */
  remember(requestId: string, variant: string, version: string | null, predictions: string): void {
    const answers = this.answers;
    answers.delete(requestId);
    answers.set(requestId, { variant, version, predictions: predictions.length <= MAX_PREDICTION_CHARS ? predictions : null });
    if (answers.size > this.spec.capacity) answers.delete(answers.keys().next().value!);
  }

  get size(): number {
    return this.answers.size;
  }

  /** Scores one item into `stats`; each request id takes feedback once. */
  apply(item: FeedbackItem, stats: VariantStats): FeedbackOutcome {
    const answered = this.answers.get(item.request_id);
    if (answered === undefined) {
      this.unknown += 1;
      return { request_id: item.request_id, status: 'unknown' };
    }
    this.answers.delete(item.request_id);
    const base = { request_id: item.request_id, variant: answered.variant, version: answered.version };
    const out: FeedbackOutcome = { ...base, status: 'scored' };
    if (item.reward !== undefined) {
      stats.feedback(answered.variant, { kind: 'reward', reward: item.reward });
      out.reward = item.reward;
    }
    if (item.label !== undefined) {
      const score = scoreLabel(item.label, answered.predictions, this.spec);
      if (typeof score === 'string') {
        this.unscored += 1;
        return item.reward === undefined ? { ...base, status: 'unscored', reason: score } : { ...out, reason: score };
      }
      stats.feedback(answered.variant, score);
      out.rows = score.rows;
      if (score.kind === 'label') out.correct = score.correct;
      else out.mae = score.absError / score.rows;
    }
    return out;
  }
}

type Scalar = string | number | boolean;
const isScalar = (x: unknown): x is Scalar => typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean';

/** The value of `output` in a row or column map, else its first value that `ok` accepts. */
function pick(map: Record<string, unknown>, output: string | null, ok: (x: unknown) => boolean): unknown {
  if (output !== null) return map[output];
  return Object.values(map).find(ok);
}

/**
 * The scalar per row a response predicted: a list of scalars (or of one-element lists), a
 * map of columns (`{"label": [...], "probabilities": [...]}`), or a list of row maps; with
 * several outputs, `output`'s, else the first with one scalar per row. null when none fits.
 */
function predictedRows(predictions: string, output: string | null): Scalar[] | null {
  let doc: unknown;
  try {
    doc = JSON.parse(predictions);
  } catch {
    return null;
  }
  const scalarRows = (x: unknown): x is unknown[] => Array.isArray(x) && x.every((r) => isScalar(r) || (Array.isArray(r) && r.length === 1 && isScalar(r[0])));
  let rows: unknown = doc;
  if (typeof doc === 'object' && doc !== null && !Array.isArray(doc)) rows = pick(doc as Record<string, unknown>, output, scalarRows);
  else if (isScalar(doc)) rows = [doc];
  if (!Array.isArray(rows)) return null;
  const out: Scalar[] = [];
  for (const row of rows) {
    let cell: unknown = row;
    if (Array.isArray(row) && row.length === 1) cell = row[0];
    else if (typeof row === 'object' && row !== null && !Array.isArray(row)) cell = pick(row as Record<string, unknown>, output, isScalar);
    if (!isScalar(cell)) return null;
    out.push(cell);
  }
  return out;
}

/** A label (one per request, or a list with one per row) against the prediction, or why it cannot be scored. */
export function scoreLabel(label: unknown, predictions: string | null, spec: FeedbackSpec): Exclude<FeedbackScore, { kind: 'reward' }> | string {
  if (predictions === null) return 'the prediction was too large to keep';
  const rows = predictedRows(predictions, spec.output);
  if (rows === null) return `the prediction has no output with one value per row${spec.output === null ? '' : ` named "${spec.output}"`}`;
  const task = spec.task;
  const labels = Array.isArray(label) ? label : [label];
  if (!labels.every(isScalar)) return 'a label must be a string, number or boolean (or a list of them, one per row)';
  if (labels.length !== rows.length) return `${labels.length} label(s) for ${rows.length} predicted row(s)`;
  const numeric = rows.every((r) => typeof r === 'number') && labels.every((l) => typeof l === 'number');
  const regression = task === 'regression' || (task === 'auto' && numeric && (rows as number[]).concat(labels as number[]).some((x) => !Number.isInteger(x)));
  if (regression) {
    if (!numeric) return 'regression feedback needs numeric labels and predictions';
    const absError = (rows as number[]).reduce((s, r, i) => s + Math.abs(r - (labels[i] as number)), 0);
    return { kind: 'error', rows: rows.length, absError };
  }
  // Classes compare as text: a class 1 predicted as 1.0 or "1" is the same class.
  return { kind: 'label', rows: rows.length, correct: rows.filter((r, i) => String(r) === String(labels[i])).length };
}
