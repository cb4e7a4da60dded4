/**
 * The MLmodel file (spec §3): YAML, parsed once at load into typed objects.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { MlflowError } from '../errors.js';
import { parseParams, parseSchema, type Signature } from './signature.js';

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

export function parseMLmodel(text: string, where = 'MLmodel'): MLmodel {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new MlflowError('INVALID_PARAMETER_VALUE', `${where} is not valid YAML: ${(err as Error).message}`);
  }
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

export async function readMLmodel(modelDir: string): Promise<MLmodel> {
  const path = join(modelDir, 'MLmodel');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new MlflowError(
      'RESOURCE_DOES_NOT_EXIST',
      code === 'ENOENT' ? `Could not find an "MLmodel" configuration file at "${modelDir}"` : `Cannot read ${path}: ${(err as Error).message}`,
    );
  }
  return parseMLmodel(text, path);
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
