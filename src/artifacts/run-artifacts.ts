/**
 * A run's artifacts through the tracking server's run-artifact endpoints
 * (GET /api/2.0/mlflow/artifacts/list, GET /get-artifact). The server reads its own
 * artifact store, whatever it is, so this works even when the client cannot reach it.
 */
import type { Readable } from 'node:stream';
import { MlflowError } from '../errors.js';
import type { TrackingServerClient } from './http-client.js';
import { fileInfoList, fileSize, joinRel } from './mlflow-artifacts.js';
import { safeRelativePath } from './safe-path.js';
import type { ArtifactSource, RemoteFile } from './source.js';

const MAX_DEPTH = 32;

export class RunArtifactsSource implements ArtifactSource {
  readonly description: string;

  constructor(
    private readonly client: TrackingServerClient,
    private readonly runId: string,
    /** Run-relative directory, e.g. `model`; '' for the whole run. */
    private readonly root: string,
  ) {
    this.description = `runs:/${runId}/${root} (via ${client.baseUrl})`;
  }

  /** One directory level: run-relative paths, all pages. */
  async listDir(dir: string): Promise<{ path: string; isDir: boolean; size: number | null }[]> {
    const entries: { path: string; isDir: boolean; size: number | null }[] = [];
    let pageToken: string | undefined;
    do {
      const query: Record<string, string | undefined> = { run_id: this.runId, path: dir === '' ? undefined : dir, page_token: pageToken };
      const answer = fileInfoList.parse(await this.client.getJson('/api/2.0/mlflow/artifacts/list', query));
      for (const entry of answer.files ?? []) {
        entries.push({ path: safeRelativePath(entry.path, this.description), isDir: entry.is_dir === true, size: fileSize(entry.file_size) });
      }
      pageToken = answer.next_page_token === '' ? undefined : answer.next_page_token;
    } while (pageToken !== undefined);
    return entries;
  }

  async list(): Promise<RemoteFile[]> {
    const files: RemoteFile[] = [];
    const prefix = this.root === '' ? '' : `${this.root}/`;
    const walk = async (dir: string, depth: number): Promise<void> => {
      if (depth > MAX_DEPTH) throw new MlflowError('INVALID_STATE', `Artifact listing of ${this.description} is deeper than ${MAX_DEPTH} levels`);
      for (const entry of await this.listDir(dir)) {
        // Paths are run-relative; anything outside the requested directory is not ours to take.
        if (!entry.path.startsWith(prefix) || entry.path === dir) {
          throw new MlflowError('INVALID_STATE', `Artifact listing of ${this.description} returned ${JSON.stringify(entry.path)}, outside it`);
        }
        if (entry.isDir) await walk(entry.path, depth + 1);
        else files.push({ path: entry.path.slice(prefix.length), size: entry.size });
      }
    };
    await walk(this.root, 0);
    return files;
  }

  async open(file: RemoteFile): Promise<Readable> {
    const { body } = await this.client.getStream('/get-artifact', { path: joinRel(this.root, file.path), run_id: this.runId });
    return body;
  }
}
