/**
 * One loaded model version: its files read, its flavor loaded, its signature compiled.
 * `predict` is the whole model-side request path: schema enforcement, params, the flavor,
 * and MLflow's mapping of failures to error bodies.
 */
import type { Logger } from 'pino';
import { flavorFor } from '../../flavors/index.js';
import { MlflowError } from '../errors.js';
import type { ModelInput, ModelOutput } from '../model/data.js';
import { describeInput } from '../model/describe.js';
import { enforceSchema } from '../model/enforce.js';
import type { LoadedModel } from '../model/flavor.js';
import { readMLmodel, servingFlavorName, type MLmodel } from '../model/mlmodel.js';
import { enforceParams } from '../model/params.js';

export interface ModelIdentity {
  /** registered model name, or the directory name for a plain path */
  name: string;
  /** registry version, or null for a plain path */
  version: string | null;
  uri: string;
  localPath: string;
}

export const UNEXPECTED_ERROR =
  'Encountered an unexpected error while evaluating the model. Verify that the serialized input Dataframe is compatible with the model for inference.';

export class ModelVersion {
  private inFlight = 0;
  private drained: (() => void) | null = null;

  private constructor(
    readonly identity: ModelIdentity,
    readonly mlmodel: MLmodel,
    readonly flavor: string,
    private readonly model: LoadedModel,
  ) {}

  static async load(identity: ModelIdentity, logger: Logger): Promise<ModelVersion> {
    const mlmodel = await readMLmodel(identity.localPath);
    const flavorName = servingFlavorName(mlmodel);
    const flavor = await flavorFor(flavorName);
    const model = await flavor.load(identity.localPath, mlmodel, { logger });
    return new ModelVersion(identity, mlmodel, flavor.name, model);
  }

  get signature(): MLmodel['signature'] {
    return this.mlmodel.signature;
  }

  /** Runs predict for a decoded request; every failure comes out as an MlflowError. */
  async predict(input: ModelInput, rawParams: unknown): Promise<ModelOutput> {
    this.inFlight++;
    try {
      const schema = this.mlmodel.signatureFromTypeHint ? null : (this.signature?.inputs ?? null);
      const enforced = schema === null ? input : enforceSchema(input, schema);
      const params = enforceParams(rawParams, this.signature?.params ?? null);
      try {
        return await this.model.predict(enforced, params);
      } catch (err) {
        if (err instanceof MlflowError) {
          throw new MlflowError(err.errorCode, `Failed to predict data '${describeInput(enforced)}'. \nError: ${err.message}`);
        }
        throw err;
      }
    } catch (err) {
      if (err instanceof MlflowError) throw err;
      const e = err as Error;
      throw new MlflowError('BAD_REQUEST', UNEXPECTED_ERROR, { stackTrace: `${e?.name ?? 'Error'}: ${e?.message ?? String(err)}` });
    } finally {
      if (--this.inFlight === 0 && this.drained) this.drained();
    }
  }

  /** Waits for the requests running on this version, then releases it. */
  async retire(): Promise<void> {
    if (this.inFlight > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    await this.model.dispose();
  }
}
