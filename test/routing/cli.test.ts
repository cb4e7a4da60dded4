/**
 * The endpoints file from the command line: `flowgate validate` checks it (and with
 * --resolve asks the registry), `flowgate serve --config` refuses a bad one at start with
 * every problem, and SIGHUP re-reads it without stopping the server.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { cliPerTest, runCli } from '../helpers/cli.js';
import { copyExampleRegistry, setAlias } from '../helpers/registry.js';

const GOOD = `
endpoints:
  iris:
    variants:
      - { name: champion,   model: "models:/iris@champion",   weight: 90 }
      - { name: challenger, model: "models:/iris@challenger", weight: 10 }
    sticky: { header: x-user-id }
    shadow: [ { name: candidate, model: "models:/iris/Staging", sample: 0.5 } ]
  iris-v1:
    variants: [ { model: "models:/iris/1" } ]
default_endpoint: iris
`;

function writeConfig(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'flowgate-cli-')), 'flowgate.yaml');
  writeFileSync(file, text);
  return file;
}

describe('flowgate validate', () => {
  test('a good file: exit 0 and what it serves', async () => {
    const { code, stdout, stderr } = await runCli(['validate', writeConfig(GOOD)]);
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/flowgate.yaml: valid\n/);
    expect(stdout).toContain('endpoint iris (default: /invocations) sticky on header x-user-id\n    champion: 90% models:/iris@champion\n    challenger: 10% models:/iris@challenger\n    candidate: shadow, sample 0.5 models:/iris/Staging\n');
    expect(stdout).toContain('endpoint iris-v1\n    default: 100% models:/iris/1\n');
  });

  test('a bad file: exit 1 and every problem with line:column and path', async () => {
    const file = writeConfig(GOOD.replace('weight: 10', 'weight: -10').replace('sample: 0.5', 'sample: 5'));
    const { code, stdout, stderr } = await runCli(['validate', file]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      `${file}: 2 problems:\n` +
        `  ${file}:6:71: endpoints.iris.variants[1].weight: must be >= 0\n` +
        `  ${file}:8:73: endpoints.iris.shadow[0].sample: must be between 0 and 1\n`,
    );
  });

  test('--resolve asks the registry what each model URI points at', async () => {
    const root = copyExampleRegistry();
    try {
      const ok = await runCli(['validate', writeConfig(GOOD), '--resolve', '--tracking-uri', root]);
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stdout).toContain('  models:/iris@champion -> iris version 1 (onnx)\n  models:/iris@challenger -> iris version 2 (onnx)\n  models:/iris/Staging -> iris version 2 (onnx)\n  models:/iris/1 -> iris version 1 (onnx)\n');
      const bad = await runCli(['validate', writeConfig(GOOD.replace('@challenger', '@nobody')), '--resolve', '--tracking-uri', root]);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/^ {2}models:\/iris@nobody: .*nobody/m);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test('no file is a usage error', async () => {
    expect((await runCli(['validate'])).code).toBe(2);
  });
});

describe('flowgate serve --config', () => {
  const cli = cliPerTest();

  test('a bad file stops the start with exit 2 and every problem', async () => {
    const file = writeConfig(GOOD.replace('default_endpoint: iris', 'default_endpoint: fraud'));
    const { code, stderr } = await runCli(['serve', '--config', file, '-p', '0']);
    expect(code).toBe(2);
    expect(stderr).toBe(`flowgate serve: ${file}: 1 problem:\n  ${file}:11:19: default_endpoint: "fraud" is not an endpoint (endpoints: iris, iris-v1)\n`);
  });

  test('SIGHUP re-reads the file: one rejected earlier is applied once its model exists; the server keeps running', async () => {
    const root = cli.registry();
    const file = writeConfig(GOOD);
    const url = await cli.serve(['--config', file, '--tracking-uri', root]);
    // an alias that does not exist yet: the watcher rejects the file, the old endpoints serve on
    writeFileSync(file, GOOD.replace('name: challenger, model: "models:/iris@challenger"', 'name: canary,     model: "models:/iris@canary"   '));
    await new Promise((r) => setTimeout(r, 500));
    const names = async () => ((await (await fetch(`${url}/endpoints`)).json()) as { endpoints: { variants: { name: string }[] }[] }).endpoints[0]!.variants.map((v) => v.name);
    expect(await names()).toEqual(['champion', 'challenger']);
    // the alias appears in the registry (the file did not change): SIGHUP applies the file
    setAlias(root, 'iris', 'canary', 2);
    cli.child.kill('SIGHUP');
    const deadline = Date.now() + 10_000;
    while ((await names()).includes('challenger') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await names()).toEqual(['champion', 'canary']);
    const res = await fetch(`${url}/invocations`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'x-flowgate-variant': 'canary' }, body: '{"inputs": [[5.1, 3.5, 1.4, 0.2]]}' });
    expect([res.status, res.headers.get('x-flowgate-version')]).toEqual([200, '2']);
  });

  test('SIGHUP does not stop a server started with -m', async () => {
    const url = await cli.serve(['-m', 'models:/iris@champion', '--tracking-uri', cli.registry()]);
    cli.child.kill('SIGHUP');
    await new Promise((r) => setTimeout(r, 200));
    expect((await fetch(`${url}/ping`)).status).toBe(200);
    expect(cli.child.exitCode).toBeNull();
  });
});
