/**
 * The endpoints file: a good file becomes the spec the gateway serves; a bad one is refused
 * with every problem at once, each with its line:column and its path in the file.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { serveConfig, ConfigError } from '../../src/config.js';
import { singleModelSpec } from '../../src/endpoints/config.js';
import { ConfigFileError, parseConfigText, readConfigFile } from '../../src/endpoints/config-file.js';

const FILE = 'flowgate.yaml';

function problems(yaml: string): string[] {
  try {
    parseConfigText(yaml, FILE);
  } catch (err) {
    if (err instanceof ConfigFileError) return err.message.split('\n').slice(1).map((l) => l.trim());
    throw err;
  }
  throw new Error('the file was accepted');
}

describe('a valid endpoints file', () => {
  test('the README example becomes the spec the gateway serves', () => {
    const spec = parseConfigText(
      `
endpoints:
  iris:
    variants:
      - { name: champion,   model: "models:/iris@champion",   weight: 90 }
      - { name: challenger, model: "models:/iris@challenger", weight: 10 }
    sticky: { header: X-User-Id }
    shadow: [ { name: candidate, model: "models:/iris/Staging", sample: 0.25 } ]
  diabetes:
    variants: [ { model: "models:/diabetes-reg/Production" } ]
    sticky: { json: params.user_id }
    variant_override: false
default_endpoint: iris
`,
      FILE,
    );
    expect(spec).toEqual({
      defaultEndpoint: 'iris',
      endpoints: [
        {
          name: 'iris',
          variants: [
            { name: 'champion', model: 'models:/iris@champion', weight: 90 },
            { name: 'challenger', model: 'models:/iris@challenger', weight: 10 },
          ],
          shadows: [{ name: 'candidate', model: 'models:/iris/Staging', sample: 0.25, maxQueue: 100, concurrency: 2 }],
          sticky: { header: 'x-user-id' },
          variantOverride: true,
          rollout: null,
          feedback: null,
          bandit: null,
          maxBodyBytes: null,
          access: null,
        },
        {
          name: 'diabetes',
          variants: [{ name: 'default', model: 'models:/diabetes-reg/Production', weight: 1 }],
          shadows: [],
          sticky: { json: ['params', 'user_id'] },
          variantOverride: false,
          rollout: null,
          feedback: null,
          bandit: null,
          maxBodyBytes: null,
          access: null,
        },
      ],
    });
  });

  test('variants without weights split evenly; one endpoint is the default by itself', () => {
    const spec = parseConfigText('endpoints:\n  iris:\n    variants:\n      - { name: a, model: /models/a }\n      - { name: b, model: /models/b }\n', FILE);
    expect(spec.defaultEndpoint).toBe('iris');
    expect(spec.endpoints[0]!.variants.map((v) => v.weight)).toEqual([1, 1]);
  });

  test('JSON is YAML too', () => {
    expect(parseConfigText('{"endpoints": {"m": {"variants": [{"model": "runs:/abc123/model"}]}}}', FILE).endpoints[0]!.name).toBe('m');
  });

  test('`-m URI` is one endpoint named after the model, with one variant', () => {
    expect(singleModelSpec('models:/iris@champion').endpoints[0]!.name).toBe('iris');
    expect(singleModelSpec('models:/iris/Production').endpoints[0]!.name).toBe('iris');
    expect(singleModelSpec('/srv/models/fraud-xgb/').endpoints[0]!.name).toBe('fraud-xgb');
    expect(singleModelSpec('runs:/0123abc/model').defaultEndpoint).toBe('model');
  });
});

describe('a bad endpoints file lists every problem with its place', () => {
  test('many problems at once, in file order, each with line:column and path', () => {
    const yaml = [
      'endpoints:', // 1
      '  iris:', // 2
      '    variants:', // 3
      '      - { name: champion, model: "models:/iris@champion", weight: 90 }', // 4
      '      - { name: champion, model: "models:/iris@challenger", wieght: 10 }', // 5
      '    sticky: { header: x-user-id, json: params.user_id }', // 6
      '    shadow: [ { name: candidate, model: "models:/iris/Stagin", sample: 1.5 } ]', // 7
      '  "bad name!":', // 8
      '    variants: []', // 9
      '  fraud:', // 10
      '    variants:', // 11
      '      - model: "runs:/"', // 12
      '        weight: -1', // 13
      'default_endpoint: nope', // 14
    ].join('\n');
    expect(problems(yaml)).toEqual([
      `${FILE}:5:9: endpoints.iris.variants[1].weight: is required: give every variant a weight, or none (an even split)`,
      `${FILE}:5:17: endpoints.iris.variants[1].name: "champion" is already the name of variants[0]; names must be unique in an endpoint`,
      `${FILE}:5:61: endpoints.iris.variants[1].wieght: is not a known setting`,
      `${FILE}:6:13: endpoints.iris.sticky: must give exactly one of \`header\` or \`json\``,
      `${FILE}:7:41: endpoints.iris.shadow[0].model: Invalid Model Version stage: Stagin. Value must be one of None, Staging, Production, Archived.`,
      `${FILE}:7:72: endpoints.iris.shadow[0].sample: must be between 0 and 1`,
      `${FILE}:8:3: endpoints.bad name!: is not a valid name: must be 1-128 letters, digits, "_", "." or "-", starting with a letter or digit`,
      `${FILE}:12:7: endpoints.fraud.variants: the weights must add up to more than 0`,
      `${FILE}:12:16: endpoints.fraud.variants[0].model: Not a proper runs:/ URI: runs:/. Runs URIs must be of the form 'runs:/<run_id>/run-relative/path/to/artifact'`,
      `${FILE}:13:17: endpoints.fraud.variants[0].weight: must be >= 0`,
      `${FILE}:14:19: default_endpoint: "nope" is not an endpoint (endpoints: iris, bad name!, fraud)`,
    ]);
  });

  test.each([
    ['a weight as a string', 'endpoints:\n  m:\n    variants: [ { model: /m, weight: "90" } ]\n', [`${FILE}:3:38: endpoints.m.variants[0].weight: must be a number`]],
    ['a missing model', 'endpoints:\n  m:\n    variants:\n      - { name: a }\n', [`${FILE}:4:9: endpoints.m.variants[0].model: is required`]],
    ['an unnamed variant among several', 'endpoints:\n  m:\n    variants:\n      - { model: /a }\n      - { name: b, model: /b }\n', [`${FILE}:4:9: endpoints.m.variants[0].name: is required when an endpoint has several variants`]],
    ['no variants', 'endpoints:\n  m:\n    variants: []\n', [`${FILE}:3:15: endpoints.m.variants: must list at least one variant`]],
    ['a shadow named like a variant', 'endpoints:\n  m:\n    variants: [ { name: a, model: /a } ]\n    shadow: [ { name: a, model: /b } ]\n', [`${FILE}:4:23: endpoints.m.shadow[0].name: "a" is already the name of variants[0]; names must be unique in an endpoint`]],
    ['an unknown top-level key', 'endpoint:\n  m:\n    variants: [ { model: /a } ]\n', [`${FILE}:1:1: endpoints: is required`, `${FILE}:1:1: endpoint: is not a known setting`]],
    ['several endpoints and no default', 'endpoints:\n  a: { variants: [ { model: /a } ] }\n  b: { variants: [ { model: /b } ] }\n', [`${FILE}:1:1: default_endpoint: is required with several endpoints: the one /invocations serves (one of a, b)`]],
    ['a bad alias', 'endpoints:\n  m: { variants: [ { model: "models:/m@bad alias" } ] }\n', [`${FILE}:2:29: endpoints.m.variants[0].model: Invalid alias name: 'bad alias'. Names may only contain alphanumerics, underscores (_), and dashes (-).`]],
    ['a bad sticky header', 'endpoints:\n  m:\n    variants: [ { model: /a } ]\n    sticky: { header: "x user" }\n', [`${FILE}:4:23: endpoints.m.sticky.header: must be an HTTP header name`]],
    ['a fractional queue limit', 'endpoints:\n  m:\n    variants: [ { model: /a } ]\n    shadow: [ { name: s, model: /b, max_queue: 2.5 } ]\n', [`${FILE}:4:48: endpoints.m.shadow[0].max_queue: must be a whole number`]],
    ['invalid YAML', 'endpoints:\n  m:\n    variants:\n      - { model: a\n', [`${FILE}:5:1: invalid YAML: Flow map in block collection must be sufficiently indented and end with a }`]],
    ['a duplicate key', 'endpoints:\n  m: { variants: [ { model: /a } ] }\n  m: { variants: [ { model: /b } ] }\n', [`${FILE}:3:3: invalid YAML: Map keys must be unique`]],
    ['an empty file', '', [`${FILE}:1:1: must be a mapping with \`endpoints\` (and \`default_endpoint\` when there are several)`]],
  ])('%s', (_name, yaml, expected) => {
    expect(problems(yaml)).toEqual(expected);
  });

  test('a file that cannot be read says so', async () => {
    await expect(readConfigFile('/nonexistent/flowgate.yaml')).rejects.toThrow(/flowgate.yaml: 1 problem:\n {2}\/nonexistent\/flowgate.yaml: cannot read the file: ENOENT/);
  });
});

describe('serve flags: -m or --config', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'flowgate-cfg-')), 'flowgate.yaml');
  writeFileSync(file, 'endpoints:\n  m: { variants: [ { model: /a } ] }\n');

  test('--config wins over a model URI from the environment (the container sets MODEL_URI)', () => {
    const config = serveConfig({ config: file }, { MODEL_URI: '/opt/ml/model' });
    expect([config.configPath, config.modelUri]).toEqual([file, '']);
    expect(serveConfig({}, { FLOWGATE_CONFIG: file, MODEL_URI: '/opt/ml/model' }).configPath).toBe(file);
  });

  test('-m wins over FLOWGATE_CONFIG; both flags are refused; neither is refused', () => {
    expect(serveConfig({ modelUri: '/m' }, { FLOWGATE_CONFIG: file }).configPath).toBeNull();
    expect(() => serveConfig({ modelUri: '/m', config: file }, {})).toThrow(new ConfigError('give either -m/--model-uri or --config, not both'));
    expect(() => serveConfig({}, {})).toThrow(/a model URI is required \(-m\/--model-uri\), or an endpoints file \(--config\)/);
  });
});
