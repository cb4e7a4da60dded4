/**
 * s3:// artifacts against a real S3-compatible server (s3rver) on 127.0.0.1, configured
 * the MLflow way: MLFLOW_S3_ENDPOINT_URL and the AWS_* variables.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlflowError } from '../../src/errors.js';
import { createProgressReporter, fetchModelFiles, resolveModel, resolveModelVersion } from '../../src/registry/index.js';
import { runCli } from '../helpers/cli.js';
import { captureLogger, options, tempDir } from '../registry/fixture.js';

const BUCKET = 'mlflow';
const FILES: Record<string, Buffer> = {
  MLmodel: Buffer.from('artifact_path: model\nflavors: {}\n'),
  'model.bin': Buffer.alloc(5 * 1024 * 1024, 7),
  'nested/dir/notes.txt': Buffer.from('nested'),
};

describe('S3 artifacts', () => {
  const tmp = tempDir('s3');
  const log = captureLogger();
  let server: S3rver;
  let env: Record<string, string> = {};

  beforeAll(async () => {
    mkdirSync(join(tmp.dir, 's3'));
    server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: join(tmp.dir, 's3'), configureBuckets: [{ name: BUCKET, configs: [] }] });
    const address = (await server.run()) as AddressInfo;
    env = {
      MLFLOW_S3_ENDPOINT_URL: `http://127.0.0.1:${address.port}`,
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_DEFAULT_REGION: 'us-east-1',
    };
    const s3 = new S3Client({
      endpoint: env.MLFLOW_S3_ENDPOINT_URL,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      requestChecksumCalculation: 'WHEN_REQUIRED',
    });
    for (const [path, body] of Object.entries(FILES)) {
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `1/abc/artifacts/model/${path}`, Body: body }));
    }
    // a sibling whose name shares the prefix must not leak into the download
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: '1/abc/artifacts/model2/MLmodel', Body: 'other' }));
    s3.destroy();
  });
  afterAll(async () => {
    await server.close();
    tmp.cleanup();
  });

  const opts = (extra: Record<string, string> = {}) => options(null, join(tmp.dir, 'cache'), log.logger, { ...env, ...extra });

  it('downloads a plain s3:// model directory into the cache', async () => {
    const model = await resolveModel(`s3://${BUCKET}/1/abc/artifacts/model`, opts());
    expect(model.localPath.startsWith(join(tmp.dir, 'cache'))).toBe(true);
    for (const [path, body] of Object.entries(FILES)) expect(readFileSync(join(model.localPath, path)).equals(body)).toBe(true);
    const files = readdirSync(model.localPath, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    expect(files.map((e) => join(e.parentPath, e.name).slice(model.localPath.length + 1)).sort()).toEqual(Object.keys(FILES).sort());
  });

  it('downloads a registered version whose source is on S3, with a live progress line on a TTY', async () => {
    const root = join(tmp.dir, 'mlruns');
    mkdirSync(join(root, 'models', 'iris', 'version-1'), { recursive: true });
    writeFileSync(
      join(root, 'models', 'iris', 'version-1', 'meta.yaml'),
      `name: iris\nversion: 1\ncurrent_stage: Production\nsource: s3://${BUCKET}/1/abc/artifacts/model\nrun_id: abc\n`,
    );
    const o = { ...opts(), trackingUri: `file://${root}`, cacheDir: join(tmp.dir, 'cache-registry') };
    const ref = await resolveModelVersion('models:/iris/Production', o);
    expect(ref.artifactUri).toBe(`s3://${BUCKET}/1/abc/artifacts/model`);
    const written: string[] = [];
    let clock = 0;
    const reporter = createProgressReporter({ stream: { isTTY: true, write: (t: string) => written.push(t) }, logger: log.logger, now: () => (clock += 50) });
    const dir = await fetchModelFiles(ref, o, reporter);
    expect(readFileSync(join(dir, 'nested', 'dir', 'notes.txt'), 'utf8')).toBe('nested');
    const last = written.at(-1)!;
    expect(last).toContain(`s3://${BUCKET}/1/abc/artifacts/model`);
    expect(last).toContain('5.0 MiB / 5.0 MiB (100%)');
    expect(last).toMatch(/MiB\/s|KiB\/s/);
    expect(last.endsWith('\n')).toBe(true);
    expect(written.slice(0, -1).some((l) => /ETA \d+s/.test(l))).toBe(true);
  });

  it('serves a cached version without asking S3 again', async () => {
    const first = await resolveModel(`s3://${BUCKET}/1/abc/artifacts/model`, opts());
    // Nothing listens on port 9: any S3 request would fail.
    const again = await resolveModel(`s3://${BUCKET}/1/abc/artifacts/model`, opts({ MLFLOW_S3_ENDPOINT_URL: 'http://127.0.0.1:9' }));
    expect(again.localPath).toBe(first.localPath);
  });

  it('the CLI on an s3:// URI prints no AWS SDK warning about Node versions', async () => {
    const { stderr } = await runCli(['predict', '-m', `s3://${BUCKET}/1/abc/artifacts/model`, '-i', '-', '--cache-dir', join(tmp.dir, 'cache-cli')], { input: '{"inputs": [[1]]}', env });
    // it downloaded (then refused the flavor-less MLmodel): the SDK's client did run
    expect(stderr).toMatch(/flavor/i);
    expect(stderr).not.toMatch(/NodeVersionSupportWarning|AWS SDK for JavaScript/);
  });

  it('wrong credentials are PERMISSION_DENIED from S3', async () => {
    const denied = { ...opts({ AWS_ACCESS_KEY_ID: 'nobody', AWS_SECRET_ACCESS_KEY: 'wrong' }), cacheDir: join(tmp.dir, 'cache-denied') };
    const err = await resolveModel(`s3://${BUCKET}/1/abc/artifacts/model`, denied).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MlflowError);
    expect((err as MlflowError).errorCode).toBe('PERMISSION_DENIED');
    expect((err as MlflowError).message).toContain('HTTP 403');
  });

  it('an empty prefix says there is nothing there', async () => {
    const err = await resolveModel(`s3://${BUCKET}/1/nothing/here`, { ...opts(), cacheDir: join(tmp.dir, 'cache-empty') }).catch((e: unknown) => e);
    expect((err as MlflowError).errorCode).toBe('RESOURCE_DOES_NOT_EXIST');
    expect((err as MlflowError).message).toBe(`No artifacts found at s3://${BUCKET}/1/nothing/here`);
  });
});

const HAVE_OPENSSL = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!HAVE_OPENSSL)('S3 over HTTPS with a self-signed certificate', () => {
  const tmp = tempDir('s3tls');
  const log = captureLogger();
  let server: S3rver;
  let env: Record<string, string> = {};

  beforeAll(async () => {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(tmp.dir, 'key.pem'), '-out', join(tmp.dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    mkdirSync(join(tmp.dir, 's3', BUCKET, '1', 'm'), { recursive: true });
    server = new S3rver({
      address: '127.0.0.1',
      port: 0,
      silent: true,
      directory: join(tmp.dir, 's3'),
      key: readFileSync(join(tmp.dir, 'key.pem')),
      cert: readFileSync(join(tmp.dir, 'cert.pem')),
      configureBuckets: [{ name: BUCKET, configs: [] }],
    });
    const address = (await server.run()) as AddressInfo;
    env = { MLFLOW_S3_ENDPOINT_URL: `https://127.0.0.1:${address.port}`, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' };
    const s3 = new S3Client({
      endpoint: env.MLFLOW_S3_ENDPOINT_URL,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      requestHandler: { httpsAgent: new (await import('node:https')).Agent({ rejectUnauthorized: false }) },
    });
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'tls/model/MLmodel', Body: 'flavors: {}\n' }));
    s3.destroy();
  });
  afterAll(async () => {
    await server.close();
    tmp.cleanup();
  });

  it('fails certificate verification by default', async () => {
    const err = await resolveModel(`s3://${BUCKET}/tls/model`, options(null, join(tmp.dir, 'c1'), log.logger, env)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MlflowError);
    expect((err as MlflowError).message).toMatch(/self[- ]signed|certificate/i);
    expect((err as MlflowError).message).toContain('MLFLOW_S3_IGNORE_TLS=true');
  });

  it('MLFLOW_S3_IGNORE_TLS=true skips verification', async () => {
    const model = await resolveModel(`s3://${BUCKET}/tls/model`, options(null, join(tmp.dir, 'c2'), log.logger, { ...env, MLFLOW_S3_IGNORE_TLS: 'true' }));
    expect(readFileSync(join(model.localPath, 'MLmodel'), 'utf8')).toBe('flavors: {}\n');
  });
});
