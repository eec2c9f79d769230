// Persistence ports of the security layer: revoked sessions, login failure counters, the security event trail.
import type { SecurityEventType, SecuritySeverity } from './security-events.js';

/** A stored security event. `detail` never holds secrets. */
export interface SecurityEventRecord {
  readonly id: string;
  readonly at: number;
  readonly type: SecurityEventType;
  readonly severity: SecuritySeverity;
  readonly actor: string | null;
  readonly ip: string | null;
  readonly requestId: string | null;
  readonly detail: Readonly<Record<string, unknown>>;
}

/** Filters of the admin event query; all optional, combined with AND. Times are epoch ms. */
export interface SecurityEventQuery {
  readonly type?: SecurityEventType;
  readonly actor?: string;
  readonly ip?: string;
  readonly since?: number;
  readonly until?: number;
  /** Newest first, at most this many. */
  readonly limit: number;
}

/** Failed-login counter of one subject (`user:<name>` or `ip:<address>`). */
export interface LoginFailureState {
  readonly failures: number;
  /** Epoch ms until which logins for the subject are refused (0 when not locked). */
  readonly lockedUntil: number;
}

export interface SecurityStore {
  /** Appends events (one transaction per batch). */
  insertSecurityEvents(events: readonly SecurityEventRecord[]): Promise<void>;
  querySecurityEvents(query: SecurityEventQuery): Promise<SecurityEventRecord[]>;
  /** Deletes events older than `before`; returns how many. */
  pruneSecurityEvents(before: number): Promise<number>;

  /** Records a revoked session (JWT id) until it would have expired anyway. Idempotent. */
  revokeSession(jti: string, userId: string, expiresAt: number, at: number): Promise<void>;
  isSessionRevoked(jti: string): Promise<boolean>;
  /** Revoked sessions that have not expired yet (loaded into each instance's memory). */
  activeRevokedSessions(now: number): Promise<{ jti: string; expiresAt: number }[]>;
  pruneRevokedSessions(now: number): Promise<number>;

  loginFailures(subject: string): Promise<LoginFailureState>;
  /**
   * Counts one failure atomically (several instances may count at once). Failures older than `windowMs`
   * start a new count. When the count reaches `max`, the subject is locked until `now + lockMs` and the count
   * restarts. Returns the state after the update.
   */
  addLoginFailure(
    subject: string,
    now: number,
    windowMs: number,
    max: number,
    lockMs: number,
  ): Promise<LoginFailureState>;
  clearLoginFailures(subject: string): Promise<void>;
}
