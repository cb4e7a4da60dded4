/**
 * `s3://bucket/prefix` through @aws-sdk/client-s3, configured as MLflow configures boto3
 * (mlflow/store/artifact/s3_artifact_repo.py): MLFLOW_S3_ENDPOINT_URL, MLFLOW_S3_IGNORE_TLS,
 * AWS_* credentials and region.
 */
import { Agent } from 'node:https';
import type { Readable } from 'node:stream';
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import { MlflowError } from '../errors.js';
import { withTraceContext } from '../tracing.js';
import { safeRelativePath } from './safe-path.js';
import type { ArtifactSource, RemoteFile } from './source.js';

export interface S3Settings {
  /** MLFLOW_S3_ENDPOINT_URL: an S3-compatible server (MinIO, Ceph...); null = AWS. */
  endpointUrl: string | null;
  /** MLFLOW_S3_IGNORE_TLS: do not verify the endpoint's certificate. */
  ignoreTls: boolean;
  /** AWS_DEFAULT_REGION / AWS_REGION; null = us-east-1, as boto3 does for S3. */
  region: string | null;
  /** AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN; null = the SDK's default chain (profiles, instance roles). */
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string | null } | null;
  /** MLFLOW_BOTO_CLIENT_ADDRESSING_STYLE: `auto` means path-style with a custom endpoint. */
  addressingStyle: 'auto' | 'path' | 'virtual';
}

export const DEFAULT_S3_SETTINGS: S3Settings = {
  endpointUrl: null,
  ignoreTls: false,
  region: null,
  credentials: null,
  addressingStyle: 'auto',
};

function clientConfig(settings: S3Settings): S3ClientConfig {
  const config: S3ClientConfig = {
    region: settings.region ?? 'us-east-1',
    forcePathStyle: settings.addressingStyle === 'path' || (settings.addressingStyle === 'auto' && settings.endpointUrl !== null),
    // Newer SDKs add CRC checksums by default, which many S3-compatible servers reject.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
  if (settings.endpointUrl !== null) config.endpoint = settings.endpointUrl;
  if (settings.credentials !== null) {
    const { accessKeyId, secretAccessKey, sessionToken } = settings.credentials;
    config.credentials = sessionToken === null ? { accessKeyId, secretAccessKey } : { accessKeyId, secretAccessKey, sessionToken };
  }
  if (settings.ignoreTls) config.requestHandler = { httpsAgent: new Agent({ rejectUnauthorized: false }) };
  return config;
}

function s3Error(err: unknown, what: string): MlflowError {
  const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (err instanceof Error && status !== undefined) {
    const code =
      status === 404 ? 'RESOURCE_DOES_NOT_EXIST' : status === 403 ? 'PERMISSION_DENIED' : status === 401 ? 'UNAUTHENTICATED' : 'INTERNAL_ERROR';
    return new MlflowError(code, `S3 ${what} failed: ${err.name} (HTTP ${status}): ${err.message}`, { cause: err });
  }
  const message = (err as Error).message;
  const hint = /certificate|self[- ]signed/i.test(message) ? ' (MLFLOW_S3_IGNORE_TLS=true skips verification)' : '';
  return new MlflowError('TEMPORARILY_UNAVAILABLE', `S3 ${what} failed: ${message}${hint}`, { cause: err });
}

/**
 * The SDK is big: it is loaded on the first S3 download, not when flowgate starts. Its clients
 * print a warning about the SDK's future Node support policy on Node < 22; flowgate's own
 * `engines` says which Node it needs, so the SDK's documented switch turns that warning off.
 */
const sdk = () => {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  return import('@aws-sdk/client-s3');
};

export class S3Source implements ArtifactSource {
  readonly description: string;
  private client: S3Client | null = null;

  constructor(
    private readonly bucket: string,
    /** Key prefix of the model directory, without a trailing slash. */
    private readonly prefix: string,
    private readonly settings: S3Settings,
  ) {
    this.description = `s3://${bucket}/${prefix}`;
  }

  private async s3(): Promise<S3Client> {
    if (this.client === null) {
      this.client = new (await sdk()).S3Client(clientConfig(this.settings));
      // Each S3 call carries the traceparent of the load or poll that made it (before signing: it is signed too).
      this.client.middlewareStack.add(
        (next) => (args) => {
          const request = args.request as { headers?: Record<string, string> };
          if (request.headers !== undefined) withTraceContext(request.headers);
          return next(args);
        },
        { step: 'build', name: 'flowgateTraceContext' },
      );
    }
    return this.client;
  }

  async list(): Promise<RemoteFile[]> {
    const files: RemoteFile[] = [];
    const keyPrefix = this.prefix === '' ? '' : `${this.prefix}/`;
    let token: string | undefined;
    const { ListObjectsV2Command } = await sdk();
    try {
      const client = await this.s3();
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: keyPrefix, ContinuationToken: token }));
        for (const object of page.Contents ?? []) {
          const key = object.Key ?? '';
          // "dir/" keys are folder markers some tools create; they hold no file.
          if (!key.startsWith(keyPrefix) || key.endsWith('/')) continue;
          files.push({ path: safeRelativePath(key.slice(keyPrefix.length), this.description), size: object.Size ?? null });
        }
        token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
      } while (token !== undefined);
    } catch (err) {
      if (err instanceof MlflowError) throw err;
      throw s3Error(err, `listing ${this.description}`);
    }
    return files;
  }

  async open(file: RemoteFile): Promise<Readable> {
    const key = this.prefix === '' ? file.path : `${this.prefix}/${file.path}`;
    const { GetObjectCommand } = await sdk();
    try {
      const object = await (await this.s3()).send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return object.Body as Readable;
    } catch (err) {
      throw s3Error(err, `download of s3://${this.bucket}/${key}`);
    }
  }

  close(): void {
    this.client?.destroy();
  }
}
