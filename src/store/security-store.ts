// SQL implementation of the security ports: revoked sessions, login failure counters, security events.
import type { SecurityEventType, SecuritySeverity } from '../ports/security-events.js';
import type {
  LoginFailureState,
  SecurityEventQuery,
  SecurityEventRecord,
  SecurityStore,
} from '../ports/security-store.js';
import type { SqlDriver } from './driver.js';

type Row = Record<string, unknown>;
const optStr = (v: unknown): string | null => (typeof v === 'string' ? v : null);

function toEvent(r: Row): SecurityEventRecord {
  let detail: Record<string, unknown> = {};
  try {
    detail = JSON.parse(String(r.detail)) as Record<string, unknown>;
  } catch {
    detail = {};
  }
  return {
    id: String(r.id),
    at: Number(r.at),
    type: String(r.type) as SecurityEventType,
    severity: String(r.severity) as SecuritySeverity,
    actor: optStr(r.actor),
    ip: optStr(r.ip),
    requestId: optStr(r.request_id),
    detail,
  };
}

export class SqlSecurityStore implements SecurityStore {
  constructor(private readonly driver: SqlDriver) {}

  async insertSecurityEvents(events: readonly SecurityEventRecord[]): Promise<void> {
    if (events.length === 0) return;
    await this.driver.transaction(async (tx) => {
      for (const e of events) {
        await tx.run(
          `INSERT INTO security_events (id, at, type, severity, actor, ip, request_id, detail)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
          [e.id, e.at, e.type, e.severity, e.actor, e.ip, e.requestId, JSON.stringify(e.detail)],
        );
      }
    });
  }

  async querySecurityEvents(q: SecurityEventQuery): Promise<SecurityEventRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.type !== undefined) {
      where.push('type = ?');
      params.push(q.type);
    }
    if (q.actor !== undefined) {
      where.push('actor = ?');
      params.push(q.actor);
    }
    if (q.ip !== undefined) {
      where.push('ip = ?');
      params.push(q.ip);
    }
    if (q.since !== undefined) {
      where.push('at >= ?');
      params.push(q.since);
    }
    if (q.until !== undefined) {
      where.push('at <= ?');
      params.push(q.until);
    }
    params.push(q.limit);
    const rows = await this.driver.all<Row>(
      `SELECT * FROM security_events ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY at DESC, id DESC LIMIT ?`,
      params,
    );
    return rows.map(toEvent);
  }

  pruneSecurityEvents(before: number): Promise<number> {
    return this.driver.run('DELETE FROM security_events WHERE at < ?', [before]);
  }

  async revokeSession(jti: string, userId: string, expiresAt: number, at: number): Promise<void> {
    await this.driver.run(
      `INSERT INTO revoked_sessions (jti, user_id, expires_at, revoked_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (jti) DO NOTHING`,
      [jti, userId, expiresAt, at],
    );
  }

  async isSessionRevoked(jti: string): Promise<boolean> {
    const rows = await this.driver.all<Row>('SELECT 1 AS x FROM revoked_sessions WHERE jti = ?', [jti]);
    return rows.length > 0;
  }

  async activeRevokedSessions(now: number): Promise<{ jti: string; expiresAt: number }[]> {
    const rows = await this.driver.all<Row>(
      'SELECT jti, expires_at FROM revoked_sessions WHERE expires_at > ?',
      [now],
    );
    return rows.map((r) => ({ jti: String(r.jti), expiresAt: Number(r.expires_at) }));
  }

  pruneRevokedSessions(now: number): Promise<number> {
    return this.driver.run('DELETE FROM revoked_sessions WHERE expires_at <= ?', [now]);
  }

  async loginFailures(subject: string): Promise<LoginFailureState> {
    const rows = await this.driver.all<Row>(
      'SELECT failures, locked_until FROM login_failures WHERE subject = ?',
      [subject],
    );
    const r = rows[0];
    return r
      ? { failures: Number(r.failures), lockedUntil: Number(r.locked_until) }
      : { failures: 0, lockedUntil: 0 };
  }

  async addLoginFailure(
    subject: string,
    now: number,
    windowMs: number,
    max: number,
    lockMs: number,
  ): Promise<LoginFailureState> {
    // One statement so instances counting at once never lose an increment.
    await this.driver.run(
      `INSERT INTO login_failures (subject, failures, window_start, locked_until) VALUES (?, 1, ?, 0)
       ON CONFLICT (subject) DO UPDATE SET
         failures = CASE WHEN login_failures.window_start < ? THEN 1 ELSE login_failures.failures + 1 END,
         window_start = CASE WHEN login_failures.window_start < ? THEN ? ELSE login_failures.window_start END`,
      [subject, now, now - windowMs, now - windowMs, now],
    );
    // Reaching the threshold locks the subject and starts a new count.
    await this.driver.run(
      `UPDATE login_failures SET locked_until = ?, failures = 0, window_start = ?
       WHERE subject = ? AND failures >= ?`,
      [now + lockMs, now, subject, max],
    );
    return this.loginFailures(subject);
  }

  async clearLoginFailures(subject: string): Promise<void> {
    await this.driver.run('DELETE FROM login_failures WHERE subject = ?', [subject]);
  }
}
