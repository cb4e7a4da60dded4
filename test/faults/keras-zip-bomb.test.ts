/**
 * `.keras` zip bombs: an archive whose members inflate far beyond their compressed size
 * (a 150 MiB weights file of zeros in a few hundred KB), or declare more than the
 * absolute cap in all, is refused at load with an error naming the member and the limit,
 * before anything is inflated: the process's memory does not grow by the bomb's size. The
 * real Keras 3 model still loads (the caps do not bite on real models).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Zip, ZipDeflate, ZipPassThrough, zipSync } from 'fflate';
import pino from 'pino';
import { afterEach, describe, expect, test } from 'vitest';
import { KERAS_MAX_RATIO, KERAS_MAX_UNZIPPED_BYTES } from '../../flavors/tensorflow/keras-file.js';
import type { ModelVersionRef } from '../../src/registry/index.js';
import { loadVersion } from '../../src/serving/follower.js';
import { HAVE_SHARED, MLFLOW_REAL_TF, SKIP_SHARED_MESSAGE } from '../helpers/fixtures.js';

const logger = pino({ level: 'silent' });
const KERAS3 = join(MLFLOW_REAL_TF, 'models/keras3_iris_mlp');
const temps: string[] = [];
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});
if (!HAVE_SHARED) console.warn(SKIP_SHARED_MESSAGE);

function modelCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'flowgate-zipbomb-'));
  temps.push(dir);
  cpSync(KERAS3, dir, { recursive: true });
  return dir;
}

function ref(dir: string): ModelVersionRef {
  return { uri: dir, name: null, version: null, stage: null, aliases: [], source: dir, artifactUri: dir, runId: null, modelId: null, trackingUri: null };
}

/** A zip of the real archive's config and metadata plus a model.weights.h5 of `zeros` zero bytes, deflated a MiB at a time. */
function bombArchive(real: Record<string, Uint8Array>, zeros: number): Buffer {
  const parts: Uint8Array[] = [];
  const zip = new Zip((err, chunk) => {
    if (err) throw err;
    parts.push(chunk);
  });
  for (const name of ['config.json', 'metadata.json']) {
    const member = new ZipPassThrough(name);
    zip.add(member);
    member.push(real[name]!, true);
  }
  const weights = new ZipDeflate('model.weights.h5', { level: 9 });
  zip.add(weights);
  const mib = new Uint8Array(1024 * 1024);
  for (let sent = 0; sent < zeros; sent += mib.length) weights.push(mib, sent + mib.length >= zeros);
  zip.end();
  return Buffer.concat(parts);
}

/**
 * Rewrites the uncompressed size a zip declares for `name` (central directory and local
 * header), as a crafted archive would; the bytes themselves stay as they are.
 */
function declareSize(zip: Buffer, name: string, size: number): Buffer {
  const out = Buffer.from(zip);
  const encoded = Buffer.from(name);
  for (let i = 0; i < out.length - 46; i++) {
    const sig = out.readUInt32LE(i);
    if (sig === 0x02014b50 && out.subarray(i + 46, i + 46 + encoded.length).equals(encoded)) out.writeUInt32LE(size, i + 24);
    if (sig === 0x04034b50 && out.subarray(i + 30, i + 30 + encoded.length).equals(encoded)) out.writeUInt32LE(size, i + 22);
  }
  return out;
}

async function loadError(dir: string): Promise<Error | null> {
  return loadVersion(ref(dir), dir, logger, null).then(() => null, (e: Error) => e);
}

describe.skipIf(!HAVE_SHARED)('.keras zip bombs', () => {
  test('a member inflating 1000x (150 MiB of zeros) is refused before it is inflated', async () => {
    const { unzipSync } = await import('fflate');
    const real = unzipSync(readFileSync(join(KERAS3, 'data/model.keras')));
    const dir = modelCopy();
    const bomb = bombArchive(real, 150 * 1024 * 1024);
    expect(bomb.length).toBeLessThan(1024 * 1024);
    writeFileSync(join(dir, 'data/model.keras'), bomb);
    const before = process.memoryUsage().arrayBuffers;
    const err = await loadError(dir);
    expect(err?.message).toMatch(new RegExp(`model\\.weights\\.h5 would inflate \\d+ times \\(\\d+ to 157286400 bytes\\), past the limit of ${KERAS_MAX_RATIO}; refused as a zip bomb`));
    expect(err!.message.length).toBeLessThan(2000);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(100 * 1024 * 1024);
  }, 60_000);

  test('members declaring more than the absolute cap in all are refused, whatever their ratio', async () => {
    const { unzipSync } = await import('fflate');
    const real = unzipSync(readFileSync(join(KERAS3, 'data/model.keras')));
    const dir = modelCopy();
    // 40 MB of incompressible bytes, declared as 3 GiB: a ratio of ~80, under the ratio cap
    const noise = new Uint8Array(40 * 1000 * 1000);
    for (let i = 0, x = 12345; i < noise.length; i++) noise[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
    const honest = zipSync({ 'config.json': real['config.json']!, 'metadata.json': real['metadata.json']!, 'model.weights.h5': [noise, { level: 1 }] });
    writeFileSync(join(dir, 'data/model.keras'), declareSize(Buffer.from(honest.buffer, honest.byteOffset, honest.byteLength), 'model.weights.h5', 3 * 1024 ** 3));
    const before = process.memoryUsage().arrayBuffers;
    const err = await loadError(dir);
    expect(err?.message).toContain(`the .keras archive's members would inflate to more than ${KERAS_MAX_UNZIPPED_BYTES} bytes (model.weights.h5: ${3 * 1024 ** 3} bytes); refused as a zip bomb`);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(200 * 1024 * 1024);
  }, 60_000);

  test('the real Keras 3 archive still loads', async () => {
    const dir = modelCopy();
    expect(await loadError(dir)).toBeNull();
  }, 60_000);
});
