// Trading leadership: a session-level PostgreSQL advisory lock held on a dedicated connection.
import pg from 'pg';
import type { Logger } from '../ports/logger.js';

/** Advisory lock key of the trading leader (any constant; distinct from the migration lock 7241101). */
export const LEADER_LOCK_KEY = 7241102;

export interface LeaderLockOptions {
  readonly connectionString: string;
  /** How often a follower tries the lock and the leader checks its connection. */
  readonly intervalMs: number;
  /** Called once when this instance holds the lock. */
  readonly onAcquired: () => void;
  /** Called once when the lock's connection is lost or fails a check: leadership is gone. */
  readonly onLost: (why: string) => void;
}

/**
 * While the dedicated session lives, PostgreSQL guarantees no other session holds the lock; when the process
 * dies its connection closes and the lock is released at once. The leader checks the session every interval
 * and gives up leadership on the first failed check (server-side TCP keepalives end a silent peer's session).
 */
export class PgLeaderLock {
  private client: pg.Client | null = null;
  private timer: NodeJS.Timeout | null = null;
  private leader = false;
  private stopped = false;
  private busy = false;

  constructor(
    private readonly opts: LeaderLockOptions,
    private readonly log: Logger,
  ) {}

  isLeader(): boolean {
    return this.leader;
  }

  start(): void {
    this.timer = setInterval(() => void this.step(), this.opts.intervalMs);
    void this.step();
  }

  private async connect(): Promise<pg.Client> {
    const client = new pg.Client({
      connectionString: this.opts.connectionString,
      connectionTimeoutMillis: 5_000,
      keepAlive: true,
      keepAliveInitialDelayMillis: 1_000,
      // The server notices a vanished leader within ~10 s and releases its lock.
      options: '-c tcp_keepalives_idle=5 -c tcp_keepalives_interval=2 -c tcp_keepalives_count=3',
      application_name: 'algogate-leader-lock',
    });
    client.on('error', (err) => {
      this.lose(`leader lock connection error: ${err.message}`);
    });
    client.on('end', () => {
      this.lose('leader lock connection closed');
    });
    await client.connect();
    return client;
  }

  private async step(): Promise<void> {
    if (this.busy || this.stopped) return;
    this.busy = true;
    try {
      if (this.leader) {
        await this.client?.query('SELECT 1');
        return;
      }
      this.client ??= await this.connect();
      const res = await this.client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [
        LEADER_LOCK_KEY,
      ]);
      // stop() may have run while the query was in flight.
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
      if (res.rows[0]?.ok === true && !this.stopped) {
        this.leader = true;
        this.opts.onAcquired();
      }
    } catch (e) {
      if (this.leader) this.lose(`leader lock check failed: ${String(e)}`);
      else {
        this.log.warn({ err: e }, 'leader lock attempt failed; retrying');
        const c = this.client;
        this.client = null;
        c?.removeAllListeners('end');
        c?.removeAllListeners('error');
        c?.on('error', () => undefined);
        await c?.end().catch(() => undefined);
      }
    } finally {
      this.busy = false;
    }
  }

  private lose(why: string): void {
    if (this.stopped) return;
    if (!this.leader) {
      // A follower's lock connection broke: reconnect on the next attempt.
      this.client = null;
      return;
    }
    this.leader = false;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.opts.onLost(why);
  }

  /** Releases the lock (by closing its session) and stops trying. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    const c = this.client;
    this.client = null;
    if (c) {
      c.removeAllListeners('end');
      c.removeAllListeners('error');
      c.on('error', () => undefined);
      await c.end().catch(() => undefined);
    }
  }
}
