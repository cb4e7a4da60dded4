/**
 * A bare `npm ci` in a checkout works offline and prints no warning: onnxruntime-node's install
 * script (which downloads its CUDA provider from NuGet) is denied by package.json's `allowScripts`
 * (npm's install-script policy), not by an npmrc key npm does not know. Every dependency with an
 * install script is reviewed there, so npm runs only better-sqlite3's build.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const repo = join(import.meta.dirname, '..', '..');
const run = promisify(execFile);

/** npm in the repo root, without the switches a user would not have set. */
async function npm(args: string[]): Promise<{ stdout: string; stderr: string }> {
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (/^(ONNXRUNTIME_NODE_INSTALL|npm_config_onnxruntime)/i.test(key)) delete env[key];
  return run('npm', args, { cwd: repo, env });
}

const npmHasInstallScripts = await npm(['install-scripts', 'ls'])
  .then(() => true)
  .catch(() => false);
if (!npmHasInstallScripts) console.warn('npm-install-policy: this npm has no `install-scripts` command (it predates allowScripts): the review check is skipped');

describe('npm install policy', () => {
  it('npm reads the project config without a warning', async () => {
    const { stderr } = await npm(['pkg', 'get', 'name']);
    expect(stderr).not.toMatch(/npm warn/i);
    expect(readFileSync(join(repo, '.npmrc'), 'utf8')).not.toMatch(/onnxruntime/);
  });

  it('allowScripts denies the downloads (onnxruntime-node, tfjs-node) and allows better-sqlite3’s build', () => {
    const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { allowScripts: Record<string, boolean> };
    expect(pkg.allowScripts).toMatchObject({ 'onnxruntime-node': false, '@tensorflow/tfjs-node': false, 'better-sqlite3': true });
  });

  it.skipIf(!npmHasInstallScripts)('every installed dependency with an install script is reviewed in allowScripts', async () => {
    const { stdout } = await npm(['install-scripts', 'ls', '--json']);
    expect(JSON.parse(stdout)).toEqual({ allowScripts: [] });
  });
});
