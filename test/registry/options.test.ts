/**
 * registryOptionsFromEnv: MLflow's environment variables, flags over variables, and the
 * mistakes it refuses up front.
 */
import { describe, expect, it } from 'vitest';
import { MlflowError } from '../../src/errors.js';
import { defaultCacheDir, registryOptionsFromEnv } from '../../src/registry/index.js';
import { captureLogger } from './fixture.js';

const log = captureLogger();
const from = (env: Record<string, string>, overrides: Record<string, string | null> = {}) =>
  registryOptionsFromEnv({ HOME: '/nonexistent-home', ...env }, { ...overrides, logger: log.logger });

describe('registryOptionsFromEnv', () => {
  it('without variables: MLflow defaults, plus a 15 s deadline per call', () => {
    const o = from({}, { cwd: '/srv' } as never);
    expect(o.trackingUri).toBeNull();
    expect(o.registryUri).toBeNull();
    expect(o.cwd).toBe('/srv');
    expect(o.http).toEqual({
      auth: { kind: 'none' },
      insecureTls: false,
      caCertPath: null,
      clientCertPath: null,
      timeoutMs: 120_000,
      maxRetries: 7,
      backoffFactorSeconds: 2,
      backoffJitterSeconds: 1,
      deadlineMs: 15_000,
    });
    expect(o.s3).toEqual({ endpointUrl: null, ignoreTls: false, region: null, credentials: null, addressingStyle: 'auto' });
  });

  it('flags win over MLFLOW_TRACKING_URI / MLFLOW_REGISTRY_URI', () => {
    const env = { MLFLOW_TRACKING_URI: 'http://env:5000', MLFLOW_REGISTRY_URI: 'sqlite:///env.db' };
    expect(from(env)).toMatchObject({ trackingUri: 'http://env:5000', registryUri: 'sqlite:///env.db' });
    expect(from(env, { trackingUri: 'file:/flag', registryUri: 'file:/reg' })).toMatchObject({ trackingUri: 'file:/flag', registryUri: 'file:/reg' });
  });

  it('reads the HTTP and S3 variables', () => {
    const o = from({
      MLFLOW_TRACKING_TOKEN: 't',
      MLFLOW_TRACKING_USERNAME: 'only-user',
      MLFLOW_TRACKING_SERVER_CERT_PATH: '/ca.pem',
      MLFLOW_HTTP_REQUEST_TIMEOUT: '5',
      MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0',
      MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR: '0.5',
      MLFLOW_S3_ENDPOINT_URL: 'https://minio:9000',
      MLFLOW_S3_IGNORE_TLS: 'TRUE',
      AWS_ACCESS_KEY_ID: 'AK',
      AWS_SECRET_ACCESS_KEY: 'SK',
      AWS_SESSION_TOKEN: 'ST',
      AWS_REGION: 'eu-west-1',
    });
    // a username without a password is not basic auth: the token is used
    expect(o.http).toMatchObject({ auth: { kind: 'bearer', token: 't' }, caCertPath: '/ca.pem', timeoutMs: 5000, maxRetries: 0, backoffFactorSeconds: 0.5 });
    expect(from({ FLOWGATE_REGISTRY_TIMEOUT: '0' }).http.deadlineMs).toBe(0);
    expect(() => from({ FLOWGATE_REGISTRY_TIMEOUT: 'soon' })).toThrow(/FLOWGATE_REGISTRY_TIMEOUT must be a number >= 0/);
    expect(o.s3).toEqual({
      endpointUrl: 'https://minio:9000',
      ignoreTls: true,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AK', secretAccessKey: 'SK', sessionToken: 'ST' },
      addressingStyle: 'auto',
    });
  });

  it.each([
    [{ MLFLOW_TRACKING_INSECURE_TLS: 'yes' }, 'MLFLOW_TRACKING_INSECURE_TLS must be one of true, false, 1, 0'],
    [{ MLFLOW_TRACKING_INSECURE_TLS: 'true', MLFLOW_TRACKING_SERVER_CERT_PATH: '/ca.pem' }, 'cannot both be set'],
    [{ MLFLOW_HTTP_REQUEST_MAX_RETRIES: '-1' }, 'MLFLOW_HTTP_REQUEST_MAX_RETRIES must be a whole number >= 0'],
    [{ MLFLOW_BOTO_CLIENT_ADDRESSING_STYLE: 'dns' }, 'must be auto, path or virtual'],
  ])('refuses %j', (env, message) => {
    let err: unknown;
    try {
      from(env);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MlflowError);
    expect((err as MlflowError).message).toContain(message);
  });

  it('warns that auth plugins are not supported', () => {
    from({ MLFLOW_TRACKING_AUTH: 'my_plugin' });
    expect(log.records().some((r) => r.level === 40 && r.variable === 'MLFLOW_TRACKING_AUTH')).toBe(true);
  });

  it('caches under the OS cache directory', () => {
    expect(defaultCacheDir({}, '/home/u', 'linux')).toBe('/home/u/.cache/flowgate/models');
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/xdg' }, '/home/u', 'linux')).toBe('/xdg/flowgate/models');
    expect(defaultCacheDir({}, '/Users/u', 'darwin')).toBe('/Users/u/Library/Caches/flowgate/models');
    expect(from({ XDG_CACHE_HOME: '/xdg' }).cacheDir).toBe(process.platform === 'linux' ? '/xdg/flowgate/models' : from({}).cacheDir);
    expect(from({}, { cacheDir: '/flag/cache' }).cacheDir).toBe('/flag/cache');
    expect(from({}, { cacheDir: 'rel/cache', cwd: '/srv' }).cacheDir).toBe('/srv/rel/cache');
  });
});
