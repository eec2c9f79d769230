// The process logger: structured JSON (pino) with secrets redacted.
import { pino, type Logger } from 'pino';

export const REDACT_PATHS = [
  'apikey',
  'api_key',
  'password',
  'token',
  '*.apikey',
  '*.api_key',
  '*.password',
  '*.token',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'headers.authorization',
  'headers["x-api-key"]',
];

export function createLogger(level: string): Logger {
  return pino({
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { service: 'algogate' },
  });
}
