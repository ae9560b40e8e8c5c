import { pino, type Logger } from 'pino';

/**
 * Structured JSON logs. Person ids are pseudonymised before anything reaches a logger, but
 * redaction is kept as a second line of defence in case a raw input object is ever logged.
 */
export const rootLogger: Logger = pino(
  {
    level: process.env.LOG_LEVEL ?? 'info',
    base: { app: 'utklar' },
    redact: {
      paths: ['personnummer', '*.personnummer', '*.*.personnummer', 'reservnummer', '*.reservnummer', '*.*.reservnummer', 'line', '*.line'],
      censor: '[redacted]',
    },
  },
  // stderr, so a CLI's stdout carries only its result (e.g. the produce summary).
  pino.destination(2),
);

export const logger = (component: string): Logger => rootLogger.child({ component });
