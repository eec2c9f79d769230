// The security event trail port: who did what, when, from where (logins, keys, bans, hostile input, admin).

export const SECURITY_EVENT_TYPES = [
  'login_success',
  'login_failure',
  'lockout',
  'logout',
  'totp_enabled',
  'totp_disabled',
  'key_created',
  'key_rotated',
  'key_revoked',
  'invalid_key',
  'user_created',
  'user_updated',
  'ip_banned',
  'ip_unbanned',
  'rate_limited',
  'not_found_probe',
  'hostile_input',
  'csrf_rejected',
  'forbidden',
  'admin_action',
  'config_updated',
  'secrets_rotated',
  'resource_alert',
] as const;
export type SecurityEventType = (typeof SECURITY_EVENT_TYPES)[number];

export const SECURITY_SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type SecuritySeverity = (typeof SECURITY_SEVERITIES)[number];

/** One event as reported by the code that saw it. Never put secrets (keys, passwords, tokens) in `detail`. */
export interface SecurityEventInput {
  readonly type: SecurityEventType;
  readonly severity?: SecuritySeverity;
  /** Username or user id of the actor, when known. */
  readonly actor?: string | null;
  /** Client IP the request came from, when there is one. */
  readonly ip?: string | null;
  readonly requestId?: string | null;
  /** Free-form, non-secret facts (route, field, count, duration...). */
  readonly detail?: Readonly<Record<string, unknown>>;
}

/** Where events go. `record` never throws and never blocks the caller: persistence is asynchronous. */
export interface SecurityEventSink {
  record(event: SecurityEventInput): void;
}

/** A sink that drops events (unit tests, CLI one-shots). */
export const nullSecurityEvents: SecurityEventSink = { record: () => undefined };
