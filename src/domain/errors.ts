// Stable error codes the core raises; http/ maps each to a status and the wire envelope.

export const ERROR_CODES = [
  'VALIDATION',
  'INVALID_API_KEY',
  'FORBIDDEN',
  'NOT_FOUND',
  'SYMBOL_NOT_FOUND',
  'ORDER_NOT_FOUND',
  'ORDER_NOT_MODIFIABLE',
  'ORDER_NOT_CANCELLABLE',
  'PRODUCT_NOT_ALLOWED',
  'LOT_SIZE',
  'TICK_SIZE',
  'MARKET_CLOSED',
  'RISK_INSUFFICIENT_FUNDS',
  'RISK_NO_HOLDINGS',
  'RISK_LIMIT',
  'IDEMPOTENCY_MISMATCH',
  'IDEMPOTENCY_IN_FLIGHT',
  'BROKER_REJECTED',
  'BROKER_UNAVAILABLE',
  'STORE_UNAVAILABLE',
  'CONFLICT',
  /** No or invalid credentials on an operations route (401). */
  'UNAUTHENTICATED',
  /** Too many requests; the reply carries Retry-After (429). */
  'RATE_LIMITED',
  /** The client IP is banned or not on an allow-list (403). */
  'IP_BLOCKED',
  /** The broker's circuit breaker is open: failing fast without calling it (503). */
  'BROKER_CIRCUIT_OPEN',
  /** A setting that cannot change while running (409). */
  'RESTART_REQUIRED',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** An expected failure with a stable code and a message fit for the client. */
export class AppError extends Error {
  override readonly name = 'AppError';
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}
