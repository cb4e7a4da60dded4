import { pino } from 'pino';

/** A silent logger for flavor loads in tests. */
export const logger = pino({ level: 'silent' });
