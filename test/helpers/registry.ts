/**
 * Copies of file-store registries in temp dirs, with artifact paths rewritten to the copy
 * (absolute file: URIs, as MLflow writes them), so tests can edit them as MLflow would.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from './fixtures.js';

/** The repo's example registry (ONNX iris: v1 Production @champion, v2 Staging @challenger). */
export function copyExampleRegistry(root = mkdtempSync(join(tmpdir(), 'flowgate-registry-'))): string {
  cpSync(join(REPO, 'examples', 'mlruns'), root, { recursive: true });
  for (const name of readdirSync(join(root, 'models'))) {
    for (const entry of readdirSync(join(root, 'models', name)).filter((e) => e.startsWith('version-'))) {
      const meta = join(root, 'models', name, entry, 'meta.yaml');
      writeFileSync(meta, readFileSync(meta, 'utf8').replaceAll('examples/mlruns/', `file://${root}/`));
    }
  }
  return root;
}

/** Points `alias` at `version`, as MLflow's file store does. */
export function setAlias(root: string, model: string, alias: string, version: number): void {
  writeFileSync(join(root, 'models', model, 'aliases', alias), String(version));
}

/** Moves a version to a stage, as MLflow's file store does (its meta.yaml `current_stage`). */
export function setStage(root: string, model: string, version: number, stage: string): void {
  const meta = join(root, 'models', model, `version-${version}`, 'meta.yaml');
  writeFileSync(meta, readFileSync(meta, 'utf8').replace(/^current_stage: .*$/m, `current_stage: ${stage}`));
}

/** The local directory of a version's model files in the copy. */
export function versionDir(root: string, model: string, version: number): string {
  const meta = readFileSync(join(root, 'models', model, `version-${version}`, 'meta.yaml'), 'utf8');
  return /^source: file:\/\/(.*)$/m.exec(meta)![1]!;
}

/**
 * An endpoints file in the copy: endpoint iris split 50/50 between @champion and @challenger,
 * with the Staging version as a shadow. Returns its path.
 */
export function writeAbEndpointsFile(root: string): string {
  const file = join(root, 'flowgate.yaml');
  writeFileSync(
    file,
    [
      'endpoints:',
      '  iris:',
      '    variants:',
      '      - { name: champion, model: "models:/iris@champion", weight: 50 }',
      '      - { name: challenger, model: "models:/iris@challenger", weight: 50 }',
      '    shadow:',
      '      - { name: candidate, model: "models:/iris/Staging" }',
      '',
    ].join('\n'),
  );
  return file;
}
