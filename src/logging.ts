/**
 * pino JSON logs on stdout (stderr for CLI commands whose stdout is data), block-buffered:
 * lines are written in blocks of at least 4 kB, or every 100 ms, whichever comes first
 * (and at exit), so an access log line per request costs no write syscall of its own.
 */
import pino, { type Logger } from 'pino';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Lines wait at most this long in the buffer. */
const FLUSH_MS = 100;
const BLOCK_BYTES = 4096;

export function createLogger(level: LogLevel, destination: 1 | 2 = 1): Logger {
  return pino(
    { level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ fd: destination, sync: false, minLength: BLOCK_BYTES, periodicFlush: FLUSH_MS }),
  );
}
