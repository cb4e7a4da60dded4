/**
 * A remote tree of artifact files, as every non-local artifact store presents it to the cache.
 */
import type { Readable } from 'node:stream';

export interface RemoteFile {
  /** Relative to the artifact root being downloaded, already checked by safeRelativePath. */
  path: string;
  /** Bytes, when the listing says; used for progress and to detect truncated downloads. */
  size: number | null;
}

export interface ArtifactSource {
  /** Shown in logs and progress, e.g. `s3://bucket/models/iris`; never holds credentials. */
  readonly description: string;
  /** Every file under the root, recursively. */
  list(): Promise<RemoteFile[]>;
  open(file: RemoteFile): Promise<Readable>;
  /** Releases clients and sockets once the download is over. */
  close?(): void;
}
