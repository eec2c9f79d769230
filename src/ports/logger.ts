// The logging port: services log through this, the composition root passes a pino child logger.

/** Structured logger (pino-compatible subset). The first argument carries fields, the second the message. */
export interface Logger {
  debug(fields: object, message?: string): void;
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
  fatal(fields: object, message?: string): void;
  child(bindings: object): Logger;
}

/** A logger that drops everything (tests that don't assert on logs). */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  fatal: () => undefined,
  child: () => silentLogger,
};
