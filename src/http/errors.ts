// Maps core error codes to HTTP status codes and the OpenAlgo error envelope.
import type { ErrorCode } from '../domain/errors.js';

export const STATUS_BY_CODE: Readonly<Record<ErrorCode, number>> = {
  VALIDATION: 400,
  INVALID_API_KEY: 403,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  SYMBOL_NOT_FOUND: 400,
  ORDER_NOT_FOUND: 404,
  ORDER_NOT_MODIFIABLE: 400,
  ORDER_NOT_CANCELLABLE: 400,
  PRODUCT_NOT_ALLOWED: 400,
  LOT_SIZE: 400,
  TICK_SIZE: 400,
  MARKET_CLOSED: 400,
  RISK_INSUFFICIENT_FUNDS: 400,
  RISK_NO_HOLDINGS: 400,
  RISK_LIMIT: 400,
  IDEMPOTENCY_MISMATCH: 422,
  IDEMPOTENCY_IN_FLIGHT: 409,
  BROKER_REJECTED: 400,
  BROKER_UNAVAILABLE: 503,
  STORE_UNAVAILABLE: 503,
  CONFLICT: 409,
  UNAUTHENTICATED: 401,
  RATE_LIMITED: 429,
  IP_BLOCKED: 403,
  BROKER_CIRCUIT_OPEN: 503,
  RESTART_REQUIRED: 409,
};

export interface ErrorEnvelope {
  status: 'error';
  message: string;
  mode?: 'analyze';
}

export function envelope(message: string): ErrorEnvelope {
  return { status: 'error', message };
}
