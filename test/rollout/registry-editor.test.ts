/**
 * Registry writes as MLflow makes them, read back by flowgate's own read-only stores (what
 * every replica and `models:/name@alias` consumer sees): the file store's tag and alias
 * files and meta.yaml, the SQL store's rows, and the REST calls exactly as MLflow's client
 * sends them (methods, paths, JSON bodies), against the project's tracking server.
 */
import { chmodSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { openRegistryEditor } from '../../src/registry/editor.js';
import { resolveModelVersion } from '../../src/registry/index.js';
import { copyExampleRegistry } from '../helpers/registry.js';
import { HAVE_SHARED, SKIP_SHARED_MESSAGE } from '../helpers/fixtures.js';
import { startFakeTrackingServer } from '../registry/fake-tracking-server.js';
import { quietLogger } from '../helpers/server.js';
import { options, relocatedCopy, tempDir } from '../registry/fixture.js';

const testOptions = (uri: string) => options(uri, '/tmp/flowgate-editor-cache', quietLogger);

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe('file store', () => {
  test('tags and aliases are the files MLflow writes, and meta.yaml is updated as MLflow updates it', async () => {
    const root = copyExampleRegistry();
    cleanups.push(() => rmSync(root, { recursive: true, force: true }));
    const opts = testOptions(root);
    const editor = openRegistryEditor(opts);
    const metaBefore = readFileSync(join(root, 'models/iris/meta.yaml'), 'utf8');

    await editor.setRegisteredModelTag('iris', 'flowgate.rollout.iris.record', '{"a":1}');
    expect(readFileSync(join(root, 'models/iris/tags/flowgate.rollout.iris.record'), 'utf8')).toBe('{"a":1}');
    expect(await editor.getRegisteredModelTags('iris')).toMatchObject({ task: expect.any(String), 'flowgate.rollout.iris.record': '{"a":1}' });
    await editor.deleteRegisteredModelTag('iris', 'flowgate.rollout.iris.record');
    await editor.deleteRegisteredModelTag('iris', 'flowgate.rollout.iris.record'); // absent: no error, as MLflow
    expect(Object.keys(await editor.getRegisteredModelTags('iris'))).not.toContain('flowgate.rollout.iris.record');

    await editor.setRegisteredModelAlias('iris', 'champion', '2');
    expect((await resolveModelVersion('models:/iris@champion', opts)).version).toBe('2');
    const meta = readFileSync(join(root, 'models/iris/meta.yaml'), 'utf8');
    expect(meta).toMatch(/^aliases:\n {2}challenger: '2'\n {2}champion: '2'$/m);
    expect(Number(/last_updated_timestamp: (\d+)/.exec(meta)![1])).toBeGreaterThan(Number(/last_updated_timestamp: (\d+)/.exec(metaBefore)![1]));
    expect(meta.replace(/aliases:\n(  .*\n)+/, '').replace(/last_updated_timestamp: \d+/, '')).toBe(metaBefore.replace(/aliases:\n(  .*\n)+/, '').replace(/last_updated_timestamp: \d+/, ''));

    await expect(editor.setRegisteredModelAlias('iris', 'champion', '9')).rejects.toMatchObject({ errorCode: 'RESOURCE_DOES_NOT_EXIST' });
    await expect(editor.setRegisteredModelTag('nope', 'k', 'v')).rejects.toThrow('Registered Model with name=nope not found');
    await expect(editor.setRegisteredModelTag('iris', '../escape', 'v')).rejects.toThrow(/invalid registered model tag key/);
  });

  test.skipIf(process.getuid?.() === 0)('a registry this process cannot write is refused before serving a rollout', async () => {
    const root = copyExampleRegistry();
    cleanups.push(() => {
      chmodSync(join(root, 'models/iris'), 0o755);
      rmSync(root, { recursive: true, force: true });
    });
    chmodSync(join(root, 'models/iris'), 0o555);
    await expect(openRegistryEditor(testOptions(root)).checkWritable('iris')).rejects.toThrow(/cannot write .*models\/iris: a rollout stores its state/);
  });
  if (process.getuid?.() === 0) console.warn('running as root: file permissions do not bind, skipping the read-only registry test');
});

describe.skipIf(!HAVE_SHARED)('SQLite store and tracking server', () => {
  test('SQLite: rows as SqlAlchemyStore merges them, read back by the read-only store', async () => {
    const tmp = tempDir('editor-sqlite');
    cleanups.push(tmp.cleanup);
    const dir = relocatedCopy('registry-sqlite', tmp.dir);
    const opts = testOptions(`sqlite:///${join(dir, 'mlflow.db')}`);
    const editor = openRegistryEditor(opts);
    await editor.checkWritable('iris-lr');
    await editor.setRegisteredModelTag('iris-lr', 'flowgate.rollout.x.record', 'one');
    await editor.setRegisteredModelTag('iris-lr', 'flowgate.rollout.x.record', 'two');
    expect(await editor.getRegisteredModelTags('iris-lr')).toMatchObject({ task: 'classification', 'flowgate.rollout.x.record': 'two' });
    await editor.deleteRegisteredModelTag('iris-lr', 'flowgate.rollout.x.record');
    expect(await editor.getRegisteredModelTags('iris-lr')).not.toHaveProperty('flowgate.rollout.x.record');
    await editor.setRegisteredModelAlias('iris-lr', 'champion', '3');
    expect((await resolveModelVersion('models:/iris-lr@champion', opts)).version).toBe('3');
    await expect(editor.setRegisteredModelAlias('iris-lr', 'champion', '99')).rejects.toThrow('Model Version (name=iris-lr, version=99) not found');
  });

  test('REST: the calls MLflow\'s client makes, answered as MLflow answers them', async () => {
    const tmp = tempDir('editor-rest');
    cleanups.push(tmp.cleanup);
    const server = await startFakeTrackingServer(relocatedCopy('registry-sqlite-server', tmp.dir), { writable: true });
    cleanups.push(() => server.close());
    const opts = testOptions(server.url);
    const editor = openRegistryEditor(opts);
    await editor.setRegisteredModelTag('iris-lr', 'flowgate.rollout.x.record', 'v');
    await editor.deleteRegisteredModelTag('iris-lr', 'flowgate.rollout.x.record');
    await editor.setRegisteredModelAlias('iris-lr', 'champion', '3');
    expect(server.requests.filter((r) => r.method !== 'GET').map((r) => [r.method, r.url, JSON.parse(r.body)])).toEqual([
      ['POST', '/api/2.0/mlflow/registered-models/set-tag', { name: 'iris-lr', key: 'flowgate.rollout.x.record', value: 'v' }],
      ['DELETE', '/api/2.0/mlflow/registered-models/delete-tag', { name: 'iris-lr', key: 'flowgate.rollout.x.record' }],
      ['POST', '/api/2.0/mlflow/registered-models/alias', { name: 'iris-lr', alias: 'champion', version: '3' }],
    ]);
    expect((await resolveModelVersion('models:/iris-lr@champion', opts)).version).toBe('3');
    expect(await editor.getRegisteredModelTags('iris-lr')).toEqual({ task: 'classification', dataset: 'iris' });
    await expect(editor.getRegisteredModelTags('no-such-model')).rejects.toThrow('Registered Model with name=no-such-model not found');
    await expect(editor.setRegisteredModelAlias('iris-lr', 'champion', '99')).rejects.toThrow('Model Version (name=iris-lr, version=99) not found');
  });
});
if (!HAVE_SHARED) console.warn(SKIP_SHARED_MESSAGE);
