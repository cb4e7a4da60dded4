/**
 * The MLmodel file (spec §3): YAML, parsed once at load into typed objects. It comes from
 * whoever logged the model, so it is read as MLflow's `yaml.safe_load` reads it and no more
 * generously: no language tags (`!!python/...`), a size cap (the YAML parser is slow on
 * huge documents) and an alias budget (billion-laughs bombs); and every file it names must
 * lie inside the model directory (confine.ts). On the main thread, a file past a few KB is
 * parsed on a thread of its own (mlmodel-worker.ts): a model load during a hot reload must
 * not hold the event loop that serves requests.
 */
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { isMainThread, Worker } from 'node:worker_threads';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { MlflowError } from '../errors.js';
import { confineModelDir } from './confine.js';
import { parseParams, parseSchema, type Signature } from './signature.js';
import { workerModuleUrl } from '../worker-url.js';

/** Real MLmodel files are a few KB; a signature with thousands of columns stays well below this. */
export const MAX_MLMODEL_BYTES = 1 << 20;
/**
 * Files from this size on are parsed on a thread of their own when read on the main thread.
 * Real MLmodel files are 1–5 KB and parse in a millisecond inline; a thread costs tens of
 * milliseconds to start (on its own core), and the parse time grows faster than the size.
 */
const INLINE_PARSE_MAX_BYTES = 16 * 1024;
/** A parse on its thread that takes longer than this is stopped: the file is refused. */
const PARSE_TIMEOUT_MS = 30_000;
/** Aliases a document may expand; MLflow's own MLmodel files use none. */
const MAX_ALIAS_COUNT = 100;

export type FlavorConfig = Record<string, unknown>;

export interface InputExampleInfo {
  artifactPath: string;
  type: string | null;
  pandasOrient: string | null;
  servingInputPath: string | null;
}

export interface MLmodel {
  /** flavor name → its config, including `python_function` */
  flavors: Record<string, FlavorConfig>;
  signature: Signature | null;
  /** MLmodel's `is_signature_from_type_hint` */
  signatureFromTypeHint: boolean;
  inputExample: InputExampleInfo | null;
  metadata: Record<string, unknown> | null;
  modelUuid: string | null;
  modelId: string | null;
  runId: string | null;
  artifactPath: string | null;
  mlflowVersion: string | null;
  utcTimeCreated: string | null;
  /** the whole parsed YAML, unknown keys included */
  raw: Record<string, unknown>;
}

const mlmodelSchema = z
  .object({
    flavors: z.record(z.string(), z.record(z.string(), z.unknown()).nullable()),
    signature: z
      .object({
        inputs: z.string().nullish(),
        outputs: z.string().nullish(),
        params: z.string().nullish(),
      })
      .nullish(),
    is_signature_from_type_hint: z.boolean().nullish(),
    saved_input_example_info: z
      .object({
        artifact_path: z.string(),
        type: z.string().nullish(),
        pandas_orient: z.string().nullish(),
        serving_input_path: z.string().nullish(),
      })
      .passthrough()
      .nullish(),
    metadata: z.record(z.string(), z.unknown()).nullish(),
    model_uuid: z.string().nullish(),
    model_id: z.string().nullish(),
    run_id: z.string().nullish(),
    artifact_path: z.string().nullish(),
    mlflow_version: z.string().nullish(),
    utc_time_created: z.union([z.string(), z.date()]).nullish(),
  })
  .passthrough();

function invalid(where: string, why: string): MlflowError {
  return new MlflowError('INVALID_PARAMETER_VALUE', `${where} ${why}`);
}

/** YAML as yaml.safe_load reads it: plain data only, duplicate keys allowed (the last one wins). */
function safeLoad(text: string, where: string): unknown {
  if (Buffer.byteLength(text) > MAX_MLMODEL_BYTES) {
    throw invalid(where, `is ${Buffer.byteLength(text)} bytes, larger than the ${MAX_MLMODEL_BYTES} bytes an MLmodel file may have.`);
  }
  const doc = parseDocument(text, { uniqueKeys: false, prettyErrors: false });
  if (doc.errors.length > 0) throw invalid(where, `is not valid YAML: ${doc.errors[0]!.message}`);
  const tag = doc.warnings.find((w) => w.code === 'TAG_RESOLVE_FAILED');
  if (tag !== undefined) {
    throw invalid(where, `uses a YAML tag that plain data cannot have (MLflow's yaml.safe_load refuses it too): ${tag.message}`);
  }
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    throw invalid(where, `is not valid YAML: ${(err as Error).message}`);
  }
}

export function parseMLmodel(text: string, where = 'MLmodel'): MLmodel {
  const doc = safeLoad(text, where);
  const parsed = mlmodelSchema.safeParse(doc);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new MlflowError('INVALID_PARAMETER_VALUE', `${where} is not a valid MLmodel file: ${problems}`);
  }
  const m = parsed.data;
  let signature: Signature | null = null;
  if (m.signature) {
    try {
      signature = {
        inputs: parseSchema(m.signature.inputs),
        outputs: parseSchema(m.signature.outputs),
        params: parseParams(m.signature.params),
      };
    } catch (err) {
      throw new MlflowError('INVALID_PARAMETER_VALUE', `${where} has an invalid signature: ${(err as Error).message}`);
    }
  }
  const flavors: Record<string, FlavorConfig> = {};
  for (const [name, config] of Object.entries(m.flavors)) flavors[name] = config ?? {};
  const info = m.saved_input_example_info;
  return {
    flavors,
    signature,
    signatureFromTypeHint: m.is_signature_from_type_hint === true,
    inputExample: info
      ? {
          artifactPath: info.artifact_path,
          type: info.type ?? null,
          pandasOrient: info.pandas_orient ?? null,
          servingInputPath: info.serving_input_path ?? null,
        }
      : null,
    metadata: m.metadata ?? null,
    modelUuid: m.model_uuid ?? null,
    modelId: m.model_id ?? null,
    runId: m.run_id ?? null,
    artifactPath: m.artifact_path ?? null,
    mlflowVersion: m.mlflow_version ?? null,
    utcTimeCreated: m.utc_time_created instanceof Date ? m.utc_time_created.toISOString() : (m.utc_time_created ?? null),
    raw: doc as Record<string, unknown>,
  };
}

/** Reads at most MAX_MLMODEL_BYTES + 1 bytes: enough to tell that a file is too large. */
async function readCapped(path: string): Promise<string> {
  const file = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(MAX_MLMODEL_BYTES + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await file.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > MAX_MLMODEL_BYTES) {
      throw invalid(path, `is larger than the ${MAX_MLMODEL_BYTES} bytes an MLmodel file may have (${(await file.stat()).size} bytes).`);
    }
    return buffer.toString('utf8', 0, length);
  } finally {
    await file.close();
  }
}

/** The model directory's MLmodel, parsed, with every file it names checked to stay inside the directory. */
export async function readMLmodel(modelDir: string): Promise<MLmodel> {
  const path = join(modelDir, 'MLmodel');
  let text: string;
  try {
    text = await readCapped(path);
  } catch (err) {
    if (err instanceof MlflowError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new MlflowError(
      'RESOURCE_DOES_NOT_EXIST',
      code === 'ENOENT' ? `Could not find an "MLmodel" configuration file at "${modelDir}"` : `Cannot read ${path}: ${(err as Error).message}`,
    );
  }
  const mlmodel = isMainThread && text.length >= INLINE_PARSE_MAX_BYTES ? await parseOnThread(text, path) : parseMLmodel(text, path);
  await confineModelDir(modelDir, mlmodel);
  return mlmodel;
}

/** What mlmodel-worker.ts answers: the MLmodel, the request's MlflowError, or a bug. */
export type ParseAnswer = { mlmodel: MLmodel } | { error: { errorCode: MlflowError['errorCode']; message: string } } | { bug: { message: string; stack: string } };

/** parseMLmodel on a thread of its own: the same MLmodel or the same error. */
export function parseOnThread(text: string, where: string): Promise<MLmodel> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerModuleUrl(new URL('./mlmodel-worker.js', import.meta.url)), { workerData: { text, where } });
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      outcome();
    };
    const timer = setTimeout(
      () => settle(() => reject(invalid(where, `took longer than ${PARSE_TIMEOUT_MS / 1000} s to parse as YAML: refused.`))),
      PARSE_TIMEOUT_MS,
    );
    worker.once('message', (answer: ParseAnswer) =>
      settle(() => {
        if ('mlmodel' in answer) resolve(answer.mlmodel);
        else if ('error' in answer) reject(new MlflowError(answer.error.errorCode, answer.error.message));
        else reject(Object.assign(new Error(answer.bug.message), { stack: answer.bug.stack }));
      }),
    );
    worker.once('error', (err) => settle(() => reject(err)));
    worker.once('exit', (code) => settle(() => reject(new Error(`the thread parsing ${where} exited with code ${code}`))));
  });
}

/** The flavor that serves this model: the one the pyfunc loader_module names (mlflow.<flavor>). */
export function servingFlavorName(mlmodel: MLmodel): string {
  if (mlmodel.metadata?.['mlflow.model.isExternal'] === true) {
    throw new MlflowError('BAD_REQUEST', 'This model was logged as an external model reference and cannot be loaded for serving.');
  }
  const pyfunc = mlmodel.flavors.python_function;
  if (pyfunc === undefined) {
    throw new MlflowError('RESOURCE_DOES_NOT_EXIST', 'Model does not have the "python_function" flavor');
  }
  const loader = typeof pyfunc.loader_module === 'string' ? pyfunc.loader_module : '';
  const match = /^mlflow\.([a-z0-9_]+)/.exec(loader);
  return match ? match[1]! : loader;
}
