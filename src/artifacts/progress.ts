/**
 * Download progress: the events a download emits, and the reporter the CLI plugs in
 * (a live bytes/rate/ETA line on a TTY for big downloads, one log line per artifact otherwise).
 */
import type { Logger } from 'pino';

export type DownloadEvent =
  | { type: 'start'; source: string; files: number; totalBytes: number | null }
  /** Cumulative bytes written so far; emitted per chunk. */
  | { type: 'progress'; source: string; bytes: number; totalBytes: number | null }
  /** One artifact file finished. */
  | { type: 'file'; source: string; path: string; bytes: number }
  | { type: 'done'; source: string; files: number; bytes: number; fromCache: boolean; dir: string };

export type ProgressCallback = (event: DownloadEvent) => void;

export interface ProgressReporterOptions {
  /** Where the live line goes (the CLI passes process.stderr). */
  stream: { write(text: string): unknown; isTTY?: boolean };
  logger: Logger;
  /** Downloads at least this big get a live line on a TTY (default 4 MiB). */
  liveThresholdBytes?: number;
  /** Clock in ms; injectable so tests do not depend on time. */
  now?: () => number;
  /** Minimum ms between two redraws of the live line (default 100). */
  redrawMs?: number;
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${n} B` : `${value.toFixed(1)} ${units[unit]}`;
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const total = Math.round(s);
  if (total < 60) return `${total}s`;
  const m = Math.floor(total / 60);
  return m < 60 ? `${m}m${String(total % 60).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** The live line: `<source>  12.0 MiB / 40.0 MiB (30%)  3.0 MiB/s  ETA 9s`. */
export function progressLine(source: string, bytes: number, totalBytes: number | null, elapsedMs: number): string {
  const rate = elapsedMs > 0 ? (bytes * 1000) / elapsedMs : 0;
  const rateText = `${formatBytes(Math.round(rate))}/s`;
  if (totalBytes === null || totalBytes === 0) return `${source}  ${formatBytes(bytes)}  ${rateText}`;
  const pct = Math.min(100, Math.floor((bytes * 100) / totalBytes));
  const eta = rate > 0 ? formatSeconds((totalBytes - bytes) / rate) : '?';
  return `${source}  ${formatBytes(bytes)} / ${formatBytes(totalBytes)} (${pct}%)  ${rateText}  ETA ${eta}`;
}

export function createProgressReporter(options: ProgressReporterOptions): ProgressCallback {
  const threshold = options.liveThresholdBytes ?? 4 * 1024 * 1024;
  const now = options.now ?? Date.now;
  const redrawMs = options.redrawMs ?? 100;
  let live = false;
  let startedAt = 0;
  let lastDraw = -Infinity;

  return (event) => {
    switch (event.type) {
      case 'start':
        live = options.stream.isTTY === true && event.totalBytes !== null && event.totalBytes >= threshold;
        startedAt = now();
        lastDraw = -Infinity;
        options.logger.info({ source: event.source, files: event.files, totalBytes: event.totalBytes }, 'downloading model artifacts');
        break;
      case 'progress': {
        if (!live) break;
        const t = now();
        if (t - lastDraw < redrawMs) break;
        lastDraw = t;
        options.stream.write(`\r\x1b[2K${progressLine(event.source, event.bytes, event.totalBytes, t - startedAt)}`);
        break;
      }
      case 'file':
        if (!live) options.logger.info({ source: event.source, path: event.path, bytes: event.bytes }, 'downloaded artifact');
        break;
      case 'done':
        if (live) options.stream.write(`\r\x1b[2K${progressLine(event.source, event.bytes, event.bytes, now() - startedAt)}\n`);
        options.logger.info(
          { source: event.source, files: event.files, bytes: event.bytes, dir: event.dir, fromCache: event.fromCache },
          event.fromCache ? 'model artifacts found in cache' : 'model artifacts downloaded',
        );
        live = false;
        break;
    }
  };
}
