/**
 * Options flowgate does not implement stop the load with a message naming the class and the
 * option (or, for a Python function in the pickle, the unpickler names the function).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pyfuncMethod, readSklearnModel } from '../../../flavors/sklearn/index.js';
import { NO_GENERATED_MORE, describeRefusals, generatedMore } from './generated-more.js';

const generated = generatedMore();

describeRefusals('sklearn flavor refuses at load what it does not implement');

describe.skipIf(generated.length === 0)('sklearn flavor: methods the pyfunc may not call', () => {
  if (generated.length === 0) it.skip(NO_GENERATED_MORE, () => {});
  for (const { dir, version, cases } of generated) {
    it(`${version} an SVC fitted without probability=True has no predict_proba for the pyfunc`, () => {
      const c = cases.find((x) => x.name === 'svc_rbf_multi_str')!;
      const svc = readSklearnModel(readFileSync(join(dir, c.files.pickle!)), 'model.pkl');
      expect(() => pyfuncMethod(svc, 'predict')).not.toThrow();
      expect(() => pyfuncMethod(svc, 'predict_proba')).toThrow(/SVC has no predict_proba/);
    });
  }
});
