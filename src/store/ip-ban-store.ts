// IP bans in SQL (table ip_bans, migration 4), read by every instance.
import type { IpBan, IpBanStore } from '../ports/ip-bans.js';
import type { SqlExecutor } from './driver.js';

interface Row {
  ip: string;
  reason: string;
  source: string;
  created_by: string | null;
  created_at: number | string;
  expires_at: number | string | null;
  lifted_at: number | string | null;
  strikes: number | string;
}

const num = (v: number | string): number => Number(v);
const opt = (v: number | string | null): number | null => (v === null ? null : Number(v));

function toBan(r: Row): IpBan {
  return {
    ip: r.ip,
    reason: r.reason,
    source: r.source === 'manual' ? 'manual' : 'auto',
    createdBy: r.created_by,
    createdAt: num(r.created_at),
    expiresAt: opt(r.expires_at),
    liftedAt: opt(r.lifted_at),
    strikes: num(r.strikes),
  };
}

const COLUMNS = 'ip, reason, source, created_by, created_at, expires_at, lifted_at, strikes';

export class SqlIpBanStore implements IpBanStore {
  constructor(private readonly db: SqlExecutor) {}

  async activeBans(now: number): Promise<IpBan[]> {
    const rows = await this.db.all<Row>(
      `SELECT ${COLUMNS} FROM ip_bans WHERE lifted_at IS NULL AND (expires_at IS NULL OR expires_at > ?)
       ORDER BY created_at`,
      [now],
    );
    return rows.map(toBan);
  }

  async get(ip: string): Promise<IpBan | null> {
    const rows = await this.db.all<Row>(`SELECT ${COLUMNS} FROM ip_bans WHERE ip = ?`, [ip]);
    return rows[0] ? toBan(rows[0]) : null;
  }

  async put(b: IpBan): Promise<void> {
    await this.db.run(
      `INSERT INTO ip_bans (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (ip) DO UPDATE SET reason = excluded.reason, source = excluded.source,
         created_by = excluded.created_by, created_at = excluded.created_at, expires_at = excluded.expires_at,
         lifted_at = excluded.lifted_at, strikes = excluded.strikes`,
      [b.ip, b.reason, b.source, b.createdBy, b.createdAt, b.expiresAt, b.liftedAt, b.strikes],
    );
  }

  async lift(ip: string, now: number): Promise<boolean> {
    const changed = await this.db.run(
      `UPDATE ip_bans SET lifted_at = ? WHERE ip = ? AND lifted_at IS NULL
         AND (expires_at IS NULL OR expires_at > ?)`,
      [now, ip, now],
    );
    return changed > 0;
  }
}
