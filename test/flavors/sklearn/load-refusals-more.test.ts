/**
 * Options flowgate does not implement stop the load with a message naming the class and the
 * option (or, for a Python function in the pickle, the unpickler names the function).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pyfuncMethod, readSklearnModel } from '../../../flavors/sklearn/index.js';
import { FlavorError } from '../../../src/errors.js';
import { NO_GENERATED_MORE, generatedMore } from './generated-more.js';

const generated = generatedMore();

describe.skipIf(generated.length === 0)('sklearn flavor refuses at load what it does not implement', () => {
  if (generated.length === 0) it.skip(NO_GENERATED_MORE, () => {});
  for (const { dir, version, refusals, cases } of generated) {
    for (const r of refusals) {
      it(`${version} ${r.name}`, () => {
        const load = () => readSklearnModel(readFileSync(join(dir, r.file)), r.file);
        expect(load).toThrow(FlavorError);
        const message = (() => {
          try {
            load();
            return '';
          } catch (err) {
            return (err as Error).message;
          }
        })();
        expect(message.startsWith('flavor sklearn: '), message).toBe(true);
        for (const word of r.words) expect(message.toLowerCase()).toContain(word.toLowerCase());
      });
    }

    it(`${version} an SVC fitted without probability=True has no predict_proba for the pyfunc`, () => {
      const c = cases.find((x) => x.name === 'svc_rbf_multi_str')!;
      const svc = readSklearnModel(readFileSync(join(dir, c.files.pickle!)), 'model.pkl');
      expect(() => pyfuncMethod(svc, 'predict')).not.toThrow();
      expect(() => pyfuncMethod(svc, 'predict_proba')).toThrow(/SVC has no predict_proba/);
    });
  }
});
