// The error and recovery trail port: components report classified errors and the recovery actions they took.

export const ERROR_SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type ErrorSeverity = (typeof ERROR_SEVERITIES)[number];

export const ERROR_CATEGORIES = ['network', 'database', 'authentication', 'trading', 'system'] as const;
export type ErrorCategory = (typeof ERROR_CATEGORIES)[number];

/** One classified error. `component` names where it happened (`broker:zerodha`, `http`, `reconciliation`). */
export interface ErrorReport {
  readonly severity: ErrorSeverity;
  readonly category: ErrorCategory;
  readonly component: string;
  /** Human message; never secrets. */
  readonly message: string;
  /** Stable code when there is one (`BROKER_UNAVAILABLE`, `ETIMEDOUT`...). */
  readonly code?: string;
  readonly requestId?: string | null;
}

export const RECOVERY_ACTIONS = [
  'breaker_opened',
  'breaker_half_open',
  'breaker_closed',
  'retry_succeeded',
  'reconciliation_resolved',
  'resource_alert_cleared',
] as const;
export type RecoveryActionType = (typeof RECOVERY_ACTIONS)[number];

/** Something the system did to protect itself or to recover. */
export interface RecoveryAction {
  readonly action: RecoveryActionType;
  readonly component: string;
  readonly detail?: Readonly<Record<string, unknown>>;
}

/** Where errors and recovery actions go. Never throws, never blocks the caller. */
export interface ErrorReporter {
  error(report: ErrorReport): void;
  recovery(action: RecoveryAction): void;
}

/** Drops everything (unit tests, CLI one-shots). */
export const nullErrorReporter: ErrorReporter = { error: () => undefined, recovery: () => undefined };
