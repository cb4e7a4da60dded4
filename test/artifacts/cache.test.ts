/**
 * The model cache: complete-or-nothing entries, one download for concurrent requests,
 * no network on a hit, and nothing a server says can put a file outside the cache.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, utimesSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { cachedDownload, cachePath } from '../../src/artifacts/cache.js';
import { DEFAULT_HTTP_SETTINGS, TrackingServerClient } from '../../src/artifacts/http-client.js';
import { MlflowArtifactsSource } from '../../src/artifacts/mlflow-artifacts.js';
import type { DownloadEvent } from '../../src/artifacts/progress.js';
import { RunArtifactsSource } from '../../src/artifacts/run-artifacts.js';
import { safeRelativePath } from '../../src/artifacts/safe-path.js';
import type { ArtifactSource, RemoteFile } from '../../src/artifacts/source.js';
import { MlflowError } from '../../src/errors.js';
import { captureLogger, tempDir } from '../registry/fixture.js';

const log = captureLogger();
const tmp = tempDir('cache');
afterAll(() => tmp.cleanup());

/** A source serving in-memory files; counts what it was asked. */
class MemorySource implements ArtifactSource {
  readonly description = 'memory://model';
  lists = 0;
  opens = 0;
  constructor(
    private readonly files: Record<string, string>,
    private readonly hooks: { failOn?: string; claimSize?: Record<string, number>; gate?: Promise<void> } = {},
  ) {}
  async list(): Promise<RemoteFile[]> {
    this.lists += 1;
    await this.hooks.gate;
    return Object.entries(this.files).map(([path, text]) => ({ path, size: this.hooks.claimSize?.[path] ?? Buffer.byteLength(text) }));
  }
  async open(file: RemoteFile): Promise<Readable> {
    this.opens += 1;
    if (file.path === this.hooks.failOn) throw new MlflowError('TEMPORARILY_UNAVAILABLE', 'connection reset');
    return Readable.from([Buffer.from(this.files[file.path]!)]);
  }
}

const MODEL = { MLmodel: 'flavors: {}\n', 'model.onnx': 'x'.repeat(1000), 'sub/dir/extra.txt': 'extra' };

function cacheDir(name: string): string {
  return join(tmp.dir, name);
}

const leftovers = (dir: string) => readdirSync(dir).filter((n) => n.startsWith('.tmp-'));

describe('cachedDownload', () => {
  it('downloads into a temp dir and renames it into place', async () => {
    const dir = cacheDir('basic');
    const events: DownloadEvent[] = [];
    const path = await cachedDownload(dir, { label: 'iris-v2', identity: 'a' }, () => new MemorySource(MODEL), log.logger, (e) => events.push(e));
    expect(path).toBe(cachePath(dir, { label: 'iris-v2', identity: 'a' }));
    expect(path.startsWith(join(dir, 'iris-v2-'))).toBe(true);
    expect(readFileSync(join(path, 'sub', 'dir', 'extra.txt'), 'utf8')).toBe('extra');
    expect(readFileSync(join(path, 'model.onnx'), 'utf8')).toHaveLength(1000);
    expect(leftovers(dir)).toEqual([]);
    expect(events[0]).toEqual({ type: 'start', source: 'memory://model', files: 3, totalBytes: 1017 });
    expect(events.filter((e) => e.type === 'file').map((e) => (e as { path: string }).path).sort()).toEqual(['MLmodel', 'model.onnx', 'sub/dir/extra.txt']);
    expect(events.at(-1)).toEqual({ type: 'done', source: 'memory://model', files: 3, bytes: 1017, fromCache: false, dir: path });
  });

  it('uses an entry that is there without building a source', async () => {
    const dir = cacheDir('hit');
    const first = await cachedDownload(dir, { label: 'm', identity: 'same' }, () => new MemorySource(MODEL), log.logger);
    const events: DownloadEvent[] = [];
    let built = 0;
    const again = await cachedDownload(dir, { label: 'm', identity: 'same' }, () => {
      built += 1;
      return new MemorySource(MODEL);
    }, log.logger, (e) => events.push(e));
    expect([again, built]).toEqual([first, 0]);
    expect(events).toEqual([{ type: 'done', source: 'm', files: 0, bytes: 0, fromCache: true, dir: first }]);
  });

  it('shares one download between concurrent requests', async () => {
    const dir = cacheDir('shared');
    let open!: () => void;
    const source = new MemorySource(MODEL, { gate: new Promise<void>((resolve) => (open = resolve)) });
    const a = cachedDownload(dir, { label: 'm', identity: 'x' }, () => source, log.logger);
    const b = cachedDownload(dir, { label: 'm', identity: 'x' }, () => new MemorySource(MODEL), log.logger);
    open();
    const [pa, pb] = await Promise.all([a, b]);
    expect(pa).toBe(pb);
    expect([source.lists, source.opens]).toEqual([1, 3]);
  });

  it('leaves nothing behind when a download fails', async () => {
    const dir = cacheDir('fail');
    const entry = { label: 'm', identity: 'f' };
    const err = await cachedDownload(dir, entry, () => new MemorySource(MODEL, { failOn: 'model.onnx' }), log.logger).catch((e: unknown) => e);
    expect((err as MlflowError).message).toBe('connection reset');
    expect(existsSync(cachePath(dir, entry))).toBe(false);
    expect(leftovers(dir)).toEqual([]);
    // and the next attempt downloads again
    expect(existsSync(join(await cachedDownload(dir, entry, () => new MemorySource(MODEL), log.logger), 'MLmodel'))).toBe(true);
  });

  it('refuses a truncated file', async () => {
    const dir = cacheDir('short');
    const entry = { label: 'm', identity: 't' };
    const source = new MemorySource(MODEL, { claimSize: { 'model.onnx': 2000 } });
    const err = await cachedDownload(dir, entry, () => source, log.logger).catch((e: unknown) => e);
    expect((err as MlflowError).message).toContain('model.onnx from memory://model was truncated: 1000 of 2000 bytes');
    expect(existsSync(cachePath(dir, entry))).toBe(false);
  });

  it('an empty listing is an error, not an empty model', async () => {
    const err = await cachedDownload(cacheDir('empty'), { label: 'm', identity: 'e' }, () => new MemorySource({}), log.logger).catch((e: unknown) => e);
    expect((err as MlflowError).errorCode).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it('removes partial downloads a crashed process left long ago', async () => {
    const dir = cacheDir('stale');
    mkdirSync(join(dir, '.tmp-crashed', 'half'), { recursive: true });
    mkdirSync(join(dir, '.tmp-recent'), { recursive: true });
    const old = new Date(Date.now() - 2 * 24 * 3600 * 1000);
    utimesSync(join(dir, '.tmp-crashed'), old, old);
    await cachedDownload(dir, { label: 'm', identity: 's' }, () => new MemorySource(MODEL), log.logger);
    expect(leftovers(dir)).toEqual(['.tmp-recent']);
  });

  it('refuses a cached entry holding a symlink out of the cache', async () => {
    const dir = cacheDir('link');
    const entry = { label: 'm', identity: 'l' };
    const path = await cachedDownload(dir, entry, () => new MemorySource(MODEL), log.logger);
    symlinkSync('/etc', join(path, 'escape'));
    const err = await cachedDownload(dir, entry, () => new MemorySource(MODEL), log.logger).catch((e: unknown) => e);
    expect((err as MlflowError).message).toContain('outside the model cache');
  });
});

describe('server-provided paths', () => {
  it.each([
    ['model/MLmodel', 'model/MLmodel'],
    ['./a//b/', 'a/b'],
  ])('%s is kept as %s', (path, clean) => expect(safeRelativePath(path, 'test')).toBe(clean));

  it.each(['../x', 'a/../../x', '/etc/passwd', 'C:/x', 'a\\..\\x', 'a\0b', '', './'])('%j is refused', (path) => {
    expect(() => safeRelativePath(path, 'test')).toThrow(/Refusing artifact path/);
  });

  async function hostile(listing: unknown): Promise<string> {
    const server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(listing)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = new TrackingServerClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, DEFAULT_HTTP_SETTINGS, log.logger);
    try {
      const dir = cacheDir(`hostile-${Math.random().toString(36).slice(2)}`);
      const err = await cachedDownload(dir, { label: 'h', identity: 'h' }, () => new MlflowArtifactsSource(client, '1/run/artifacts/model'), log.logger).catch(
        (e: unknown) => e,
      );
      expect(leftovers(dir)).toEqual([]);
      return (err as Error).message;
    } finally {
      server.closeAllConnections();
      server.close();
    }
  }

  it('a proxy listing with .. or an absolute path writes nothing', async () => {
    expect(await hostile({ files: [{ path: '../../../../evil', is_dir: false, file_size: 1 }] })).toContain('Refusing artifact path');
    expect(await hostile({ files: [{ path: '/etc/cron.d/evil', is_dir: false, file_size: 1 }] })).toContain('is absolute');
  });

  it('a run listing outside the requested directory is refused', async () => {
    const server = http.createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ files: [{ path: 'other/secret', is_dir: false }] })),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = new TrackingServerClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, DEFAULT_HTTP_SETTINGS, log.logger);
    const err = await new RunArtifactsSource(client, 'run1', 'model').list().catch((e: unknown) => e);
    server.closeAllConnections();
    server.close();
    expect((err as Error).message).toContain('outside it');
  });
});
