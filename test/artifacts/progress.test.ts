/**
 * The download progress reporter the CLI plugs in: a live line (bytes, rate, ETA) for big
 * downloads on a TTY, one log line per artifact otherwise. The clock is injected.
 */
import { describe, expect, it } from 'vitest';
import { createProgressReporter, formatBytes, progressLine, type DownloadEvent } from '../../src/artifacts/progress.js';
import { captureLogger } from '../registry/fixture.js';

const MiB = 1024 * 1024;
const source = 's3://b/model';

function run(isTTY: boolean, totalBytes: number, chunks: number[]) {
  const written: string[] = [];
  const log = captureLogger();
  let clock = 0;
  const report = createProgressReporter({ stream: { isTTY, write: (t: string) => written.push(t) }, logger: log.logger, now: () => clock });
  const events: DownloadEvent[] = [{ type: 'start', source, files: 2, totalBytes }];
  let bytes = 0;
  for (const c of chunks) {
    bytes += c;
    events.push({ type: 'progress', source, bytes, totalBytes });
  }
  events.push({ type: 'file', source, path: 'MLmodel', bytes: 10 }, { type: 'file', source, path: 'model.onnx', bytes: bytes - 10 });
  events.push({ type: 'done', source, files: 2, bytes, fromCache: false, dir: '/cache/m' });
  for (const e of events) {
    clock += 1000;
    report(e);
  }
  return { written, records: log.records() };
}

describe('progress reporter', () => {
  it('draws bytes, rate and ETA on a TTY for a big download', () => {
    const { written, records } = run(true, 8 * MiB, [2 * MiB, 2 * MiB, 2 * MiB, 2 * MiB]);
    expect(written[0]).toBe(`\r\x1b[2K${source}  2.0 MiB / 8.0 MiB (25%)  2.0 MiB/s  ETA 3s`);
    expect(written[2]).toBe(`\r\x1b[2K${source}  6.0 MiB / 8.0 MiB (75%)  2.0 MiB/s  ETA 1s`);
    expect(written.at(-1)!.endsWith('(100%)  1.1 MiB/s  ETA 0s\n')).toBe(true);
    expect(records.filter((r) => r.msg === 'downloaded artifact')).toHaveLength(0);
  });

  it('logs one line per artifact when stderr is not a TTY', () => {
    const { written, records } = run(false, 8 * MiB, [8 * MiB]);
    expect(written).toEqual([]);
    expect(records.filter((r) => r.msg === 'downloaded artifact').map((r) => r.path)).toEqual(['MLmodel', 'model.onnx']);
    expect(records.at(-1)).toMatchObject({ msg: 'model artifacts downloaded', files: 2, bytes: 8 * MiB });
  });

  it('logs per artifact for small downloads even on a TTY', () => {
    const { written, records } = run(true, 100_000, [100_000]);
    expect(written).toEqual([]);
    expect(records.filter((r) => r.msg === 'downloaded artifact')).toHaveLength(2);
  });

  it('formats sizes and an unknown total', () => {
    expect([formatBytes(512), formatBytes(1536), formatBytes(3 * 1024 * MiB)]).toEqual(['512 B', '1.5 KiB', '3.0 GiB']);
    expect(progressLine(source, MiB, null, 2000)).toBe(`${source}  1.0 MiB  512.0 KiB/s`);
  });
});
