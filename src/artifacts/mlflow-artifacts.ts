/**
 * `mlflow-artifacts:/` through the tracking server's artifact proxy
 * (GET /api/2.0/mlflow-artifacts/artifacts?path=dir lists, GET .../artifacts/<path> downloads).
 */
import type { Readable } from 'node:stream';
import { z } from 'zod';
import { MlflowError } from '../errors.js';
import type { TrackingServerClient } from './http-client.js';
import { safeRelativePath } from './safe-path.js';
import type { ArtifactSource, RemoteFile } from './source.js';

const ENDPOINT = '/api/2.0/mlflow-artifacts/artifacts';
/** A listing deeper than this is a server bug or an attack, not a model. */
const MAX_DEPTH = 32;

export const fileInfoList = z.object({
  files: z
    .array(
      z.object({
        path: z.string(),
        is_dir: z.boolean().optional(),
        file_size: z.union([z.number(), z.string()]).optional(),
      }),
    )
    .optional(),
  next_page_token: z.string().optional(),
});

export function fileSize(value: number | string | undefined): number | null {
  if (value === undefined) return null;
  const n = typeof value === 'number' ? value : Number.parseInt(value, 10);
  return Number.isFinite(n) && n >= 0 ? n : null;
}

export function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

export function joinRel(dir: string, name: string): string {
  if (dir === '') return name;
  return name === '' ? dir : `${dir}/${name}`;
}

export class MlflowArtifactsSource implements ArtifactSource {
  readonly description: string;

  constructor(
    private readonly client: TrackingServerClient,
    /** Path under the server's artifact root, e.g. `1/<run>/artifacts/model`. */
    private readonly root: string,
  ) {
    this.description = `mlflow-artifacts:/${root} (via ${client.baseUrl})`;
  }

  async list(): Promise<RemoteFile[]> {
    const files: RemoteFile[] = [];
    const walk = async (dir: string, depth: number): Promise<void> => {
      if (depth > MAX_DEPTH) throw new MlflowError('INVALID_STATE', `Artifact listing of ${this.description} is deeper than ${MAX_DEPTH} levels`);
      const answer = fileInfoList.parse(await this.client.getJson(ENDPOINT, { path: joinRel(this.root, dir) }));
      for (const entry of answer.files ?? []) {
        // The proxy answers base names; older servers answered longer relative paths.
        const rel = joinRel(dir, safeRelativePath(entry.path, this.description));
        if (entry.is_dir === true) await walk(rel, depth + 1);
        else files.push({ path: rel, size: fileSize(entry.file_size) });
      }
    };
    await walk('', 0);
    return files;
  }

  async open(file: RemoteFile): Promise<Readable> {
    const { body } = await this.client.getStream(`${ENDPOINT}/${encodePath(joinRel(this.root, file.path))}`);
    return body;
  }
}
