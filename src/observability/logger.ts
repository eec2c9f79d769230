// The process logger: structured JSON (pino) with secrets redacted, to stdout and optionally a rotated file.
import { basename, dirname, resolve } from 'node:path';
import { createStream, type RotatingFileStream } from 'rotating-file-stream';
import { pino, type DestinationStream, type Logger, type StreamEntry } from 'pino';

/** Field names whose values never reach a log line, at any depth (compared case-insensitively). */
export const SECRET_KEYS: ReadonlySet<string> = new Set([
  'apikey',
  'api_key',
  'x-api-key',
  'password',
  'passwd',
  'new_password',
  'old_password',
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'authorization',
  'cookie',
  'set-cookie',
  'totp',
  'totp_code',
  'otp',
  'secret',
  'client_secret',
  'api_secret',
  'pepper',
  'master_key',
  'private_key',
]);

export const CENSOR = '[redacted]';

/** pino's own redaction for the common shallow places (fast path; the deep scrub below covers the rest). */
export const REDACT_PATHS = [
  'apikey',
  'api_key',
  'password',
  'token',
  'secret',
  '*.apikey',
  '*.api_key',
  '*.password',
  '*.token',
  '*.secret',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'headers.authorization',
  'headers.cookie',
  'headers["x-api-key"]',
];

const MAX_DEPTH = 8;

/**
 * Copies `value` with every SECRET_KEYS field replaced by the censor, at any nesting depth (request bodies,
 * headers, broker payloads). Objects without secrets are returned as they are (no copy).
 */
export function scrubSecrets(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) {
    const items = value as unknown[];
    const scrubbed = items.map((v) => scrubSecrets(v, depth + 1));
    return scrubbed.some((s, i) => s !== items[i]) ? scrubbed : value;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  // Errors, Buffers, Dates... keep their own serializers; only plain objects are walked.
  if (proto !== Object.prototype && proto !== null) return value;
  let out: Record<string, unknown> | null = null;
  for (const [k, v] of Object.entries(value)) {
    const s = SECRET_KEYS.has(k.toLowerCase()) ? CENSOR : scrubSecrets(v, depth + 1);
    if (s !== v) (out ??= { ...(value as Record<string, unknown>) })[k] = s;
  }
  return out ?? value;
}

export interface LogFileOptions {
  /** Path of the current log file; rotated copies are `<file>.1` ... `<file>.<maxFiles>`. */
  readonly file: string;
  /** Bytes before rotation. */
  readonly maxSize: number;
  /** Rotated files kept. */
  readonly maxFiles: number;
}

export interface LoggerOptions {
  /** Also write to a size-rotated file. */
  readonly file?: LogFileOptions | null;
  /** Where stdout-bound lines go (tests capture them here). */
  readonly destination?: DestinationStream;
}

/** A size-rotated log file (classic logrotate naming: file, file.1, file.2...). */
export function rotatingFile(o: LogFileOptions): RotatingFileStream {
  const path = resolve(o.file);
  return createStream(basename(path), {
    path: dirname(path),
    size: `${Math.max(1, Math.ceil(o.maxSize / 1024))}K`,
    rotate: o.maxFiles,
  });
}

const files = new WeakMap<Logger, RotatingFileStream>();

/** Flushes and closes the logger's rotated file, if it has one (at shutdown, before exiting). */
export function closeLogFile(logger: Logger): Promise<void> {
  const file = files.get(logger);
  if (!file) return Promise.resolve();
  files.delete(logger);
  return new Promise((resolve) => {
    file.end(() => resolve());
  });
}

export function createLogger(level: string, options: LoggerOptions = {}): Logger {
  const out = options.destination ?? pino.destination(1);
  const streams: StreamEntry[] = [{ level: 'trace', stream: out }];
  const file = options.file ? rotatingFile(options.file) : null;
  if (file) streams.push({ level: 'trace', stream: file });
  const logger = pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: CENSOR },
      base: { service: 'algogate' },
      formatters: { log: (obj) => scrubSecrets(obj) as Record<string, unknown> },
    },
    streams.length === 1 ? out : pino.multistream(streams),
  );
  if (file) files.set(logger, file);
  return logger;
}
