/**
 * Model URIs that are not registry look-ups: a directory, a relative path, a file: URI.
 * They are used in place.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MlflowError } from '../../src/errors.js';
import { resolveModel } from '../../src/registry/index.js';
import { HAVE_FIXTURES, MLFLOW_REAL, captureLogger, options, tempDir } from './fixture.js';

const tmp = tempDir('plain');
afterAll(() => tmp.cleanup());
const log = captureLogger();
const opts = (cwd: string) => options('http://127.0.0.1:9', join(tmp.dir, 'cache'), log.logger, {}, { cwd });

describe.skipIf(!HAVE_FIXTURES)('plain model locations', () => {
  const model = join(MLFLOW_REAL, 'models', 'sk_iris_logreg');

  it.each([
    ['an absolute directory', model, '/'],
    ['a relative directory', 'models/sk_iris_logreg', MLFLOW_REAL],
    ['a file:// URI', `file://${model}`, '/'],
    ['a file: URI', `file:${model}`, '/'],
    ['a relative file: URI', 'file:./models/sk_iris_logreg', MLFLOW_REAL],
  ])('%s is used in place', async (_what, uri, cwd) => {
    const resolved = await resolveModel(uri, opts(cwd));
    expect(resolved).toMatchObject({ uri, name: null, version: null, stage: null, aliases: [], source: uri, localPath: model, artifactUri: model });
  });
});

describe('plain locations that cannot serve', () => {
  it('a missing directory is RESOURCE_DOES_NOT_EXIST', async () => {
    const err = (await resolveModel(join(tmp.dir, 'nope'), opts('/')).catch((e: unknown) => e)) as MlflowError;
    expect([err.errorCode, err.message]).toEqual(['RESOURCE_DOES_NOT_EXIST', `Model directory ${join(tmp.dir, 'nope')} does not exist`]);
  });

  it('a directory without MLmodel says so', async () => {
    mkdirSync(join(tmp.dir, 'empty'));
    const err = (await resolveModel(join(tmp.dir, 'empty'), opts('/')).catch((e: unknown) => e)) as MlflowError;
    expect(err.message).toContain(`Could not find an "MLmodel" configuration file at "${join(tmp.dir, 'empty')}"`);
  });

  it.each([
    ['gs://bucket/model', 'NOT_IMPLEMENTED'],
    ['hdfs://nn/model', 'NOT_IMPLEMENTED'],
    ['ftp://host/model', 'NOT_IMPLEMENTED'],
    ['https://example.com/model.tar.gz', 'NOT_IMPLEMENTED'],
    ['file://otherhost/model', 'INVALID_PARAMETER_VALUE'],
  ])('%s is refused with %s', async (uri, code) => {
    const err = (await resolveModel(uri, opts('/')).catch((e: unknown) => e)) as MlflowError;
    expect(err).toBeInstanceOf(MlflowError);
    expect(err.errorCode).toBe(code);
  });
});
