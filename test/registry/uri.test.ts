/**
 * The models:/ and runs:/ grammars (spec §5.1; mlflow/store/artifact/utils/models.py).
 */
import { describe, expect, it } from 'vitest';
import { MlflowError } from '../../src/errors.js';
import { canonicalStage, parseModelsUri, parseRunsUri, uriScheme, validateAlias } from '../../src/registry/uri.js';

function error(fn: () => unknown): MlflowError {
  try {
    fn();
  } catch (err) {
    if (err instanceof MlflowError) return err;
    throw err;
  }
  throw new Error('expected an MlflowError');
}

describe('models:/ URIs', () => {
  it.each([
    ['models:/iris/3', { kind: 'version', name: 'iris', version: '3' }],
    ['models:/iris/007', { kind: 'version', name: 'iris', version: '7' }],
    ['models:/iris/latest', { kind: 'latest', name: 'iris' }],
    ['models:/iris/LATEST', { kind: 'latest', name: 'iris' }],
    ['models:/iris/production', { kind: 'stage', name: 'iris', stage: 'production' }],
    ['models:/iris/None', { kind: 'stage', name: 'iris', stage: 'None' }],
    ['models:/iris@champion', { kind: 'alias', name: 'iris', alias: 'champion' }],
    ['models:/team@iris@v-2', { kind: 'alias', name: 'team@iris', alias: 'v-2' }],
    ['models:/a@b/1', { kind: 'version', name: 'a@b', version: '1' }],
    ['models:/m-0123456789abcdef0123456789abcdef', { kind: 'logged-model', modelId: 'm-0123456789abcdef0123456789abcdef' }],
    ['MODELS:/iris/1', { kind: 'version', name: 'iris', version: '1' }],
    ['models:///iris/1', { kind: 'version', name: 'iris', version: '1' }],
  ])('%s', (uri, expected) => {
    expect(parseModelsUri(uri)).toEqual(expected);
  });

  it.each(['models:/iris/Production/extra', 'models:/', 'models:iris/1', 'models:/iris/', 'models:/ /1', 'models:/iris@', 'models:/iris@ ', 'models:iris'])(
    '%s is not a proper models:/ URI',
    (uri) => {
      const err = error(() => parseModelsUri(uri));
      expect(err.errorCode).toBe('INVALID_PARAMETER_VALUE');
      expect(err.message).toBe(
        `Not a proper models:/ URI: ${uri}. Models URIs must be of the form 'models:/model_name/suffix' or 'models:/model_name@alias' ` +
          `where suffix is a model version, stage, or the string 'latest' and where alias is a registered model alias. ` +
          `Only one of suffix or alias can be defined at a time.`,
      );
    },
  );

  it('a bare name (no version, stage or alias) is not a proper URI either, with what to write instead', () => {
    const err = error(() => parseModelsUri('models:/iris'));
    expect(err.errorCode).toBe('INVALID_PARAMETER_VALUE');
    expect(err.message).toMatch(/^Not a proper models:\/ URI: models:\/iris\. Models URIs must be of the form/);
    expect(err.message).toContain('use models:/iris/<version>, models:/iris/latest or models:/iris@<alias>');
  });

  it('refuses the Databricks profile form', () => {
    expect(error(() => parseModelsUri('models://profile@databricks/iris/1')).errorCode).toBe('NOT_IMPLEMENTED');
  });
});

describe('runs:/ URIs', () => {
  it.each([
    ['runs:/abc123/model', { runId: 'abc123', path: 'model' }],
    ['runs:/abc123/a/b/', { runId: 'abc123', path: 'a/b' }],
    ['runs:/abc123', { runId: 'abc123', path: '' }],
  ])('%s', (uri, expected) => expect(parseRunsUri(uri)).toEqual(expected));

  it.each(['runs:/', 'runs:abc/model', 'runs://model'])('%s is not a proper runs:/ URI', (uri) => {
    expect(error(() => parseRunsUri(uri)).message).toMatch(/^Not a proper runs:\/ URI/);
  });

  it('validates the run id as MLflow does', () => {
    const err = error(() => parseRunsUri('runs:/../model'));
    expect([err.errorCode, err.message]).toEqual(['INVALID_PARAMETER_VALUE', `Invalid value ".." for parameter 'run_id' supplied.`]);
  });
});

describe('stages and aliases', () => {
  it('stages are case-insensitive and canonical', () => {
    expect(['none', 'STAGING', 'Production', 'archived'].map(canonicalStage)).toEqual(['None', 'Staging', 'Production', 'Archived']);
  });

  it('an unknown stage is INVALID_PARAMETER_VALUE with MLflow\'s message', () => {
    const err = error(() => canonicalStage('Prod'));
    expect([err.errorCode, err.message]).toEqual([
      'INVALID_PARAMETER_VALUE',
      'Invalid Model Version stage: Prod. Value must be one of None, Staging, Production, Archived.',
    ]);
  });

  it('alias names are word characters and dashes', () => {
    expect(() => validateAlias('champion-2_b')).not.toThrow();
    expect(error(() => validateAlias('a.b')).message).toBe(
      "Invalid alias name: 'a.b'. Names may only contain alphanumerics, underscores (_), and dashes (-).",
    );
  });
});

describe('uriScheme', () => {
  it.each([
    ['/abs/path', null],
    ['rel/path', null],
    ['C:\\models\\iris', null],
    ['file:///x', 'file'],
    ['S3://bucket/key', 's3'],
    ['mlflow-artifacts:/1/x', 'mlflow-artifacts'],
  ])('%s → %s', (uri, scheme) => expect(uriScheme(uri)).toBe(scheme));
});
