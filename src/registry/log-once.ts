/**
 * The poller resolves the same URI every interval: notes about how a location was found
 * are logged once per process, not once per poll.
 */
import type { Logger } from 'pino';

const logged = new Set<string>();

export function logOnce(logger: Logger, level: 'info' | 'warn', key: string, fields: Record<string, unknown>, message: string): void {
  if (logged.has(key)) return;
  logged.add(key);
  logger[level](fields, message);
}
