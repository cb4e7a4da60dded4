/**
 * Registry writes through a tracking server, exactly as MLflow's RestStore sends them
 * (model_registry.proto): POST registered-models/set-tag {name, key, value}, DELETE
 * registered-models/delete-tag {name, key}, POST registered-models/alias {name, alias,
 * version}, each answered `{}`; tags are read from GET registered-models/get?name=.
 */
import { z } from 'zod';
import type { TrackingServerClient } from '../artifacts/http-client.js';
import { MlflowError } from '../errors.js';
import { validateTag, type RegistryEditor } from './editor.js';

const API = '/api/2.0/mlflow';

const registeredModel = z.object({
  registered_model: z.object({ tags: z.array(z.object({ key: z.string(), value: z.string().optional() })).optional() }),
});

export class RestEditor implements RegistryEditor {
  readonly uri: string;

  constructor(private readonly client: TrackingServerClient) {
    this.uri = client.baseUrl;
  }

  async getRegisteredModelTags(name: string): Promise<Record<string, string>> {
    const parsed = registeredModel.safeParse(await this.client.getJson(`${API}/registered-models/get`, { name }));
    if (!parsed.success) throw new MlflowError('INTERNAL_ERROR', `Unexpected registered-models/get answer from the tracking server: ${parsed.error.message}`);
    return Object.fromEntries((parsed.data.registered_model.tags ?? []).map((t) => [t.key, t.value ?? '']));
  }

  async setRegisteredModelTag(name: string, key: string, value: string): Promise<void> {
    validateTag(key, value);
    await this.client.postJson(`${API}/registered-models/set-tag`, { name, key, value });
  }

  async deleteRegisteredModelTag(name: string, key: string): Promise<void> {
    await this.client.deleteJson(`${API}/registered-models/delete-tag`, { name, key });
  }

  async setRegisteredModelAlias(name: string, alias: string, version: string): Promise<void> {
    await this.client.postJson(`${API}/registered-models/alias`, { name, alias, version });
  }

  /** A server is only known to refuse when written (permissions, read-only replicas); a down server must not stop serving. */
  async checkWritable(): Promise<void> {}
}
