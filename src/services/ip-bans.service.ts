// IP bans: automatic on repeated violations (escalating), manual by admins; shared through the store.
import type { IpBanConfig } from '../config/schema.js';
import { AppError } from '../domain/errors.js';
import type { Clock } from '../ports/clock.js';
import type { IpBan, IpBanStore } from '../ports/ip-bans.js';
import type { Logger } from '../ports/logger.js';
import type { SecurityEventInput, SecurityEventSink } from '../ports/security-events.js';
import { isIpAddress, isLoopback, normaliseIp } from './ip-address.js';

type Threshold = keyof IpBanConfig['thresholds'];

/** Which security events count toward a ban, and under which threshold. */
const VIOLATIONS: Readonly<Record<string, Threshold>> = {
  invalid_key: 'invalidKey',
  not_found_probe: 'notFound',
  login_failure: 'loginFailure',
  rate_limited: 'rateLimited',
  hostile_input: 'hostileInput',
};

function isViolation(type: string): boolean {
  return VIOLATIONS[type] !== undefined;
}

/** Tracked IPs at most; past it the oldest counts are dropped (an IPv6 sweep must not exhaust memory). */
const MAX_TRACKED = 50_000;

export interface IpBanDeps {
  readonly store: IpBanStore;
  readonly config: () => IpBanConfig;
  readonly clock: Clock;
  /** Where ban and unban events are recorded (the undecorated sink: bans are not violations). */
  readonly events: SecurityEventSink;
  readonly log: Logger;
  /** Tells the other instances the ban list changed (Redis pub/sub); they refresh at once. */
  readonly notify?: () => void;
  /** Number of bans in force after each refresh (a gauge). */
  readonly onActive?: (count: number) => void;
}

export interface BanRequest {
  /** Ban length; null or absent: until lifted (manual) or escalating default (auto). */
  readonly durationMs?: number | null;
  readonly reason: string;
  readonly actor: string;
  readonly source: 'auto' | 'manual';
  readonly requestId?: string | null;
}

export class IpBanService {
  private active = new Map<string, IpBan>();
  /** Per IP and violation type: times of the latest violations (at most `threshold` kept). */
  private readonly counts = new Map<string, Map<Threshold, number[]>>();
  private readonly banning = new Set<string>();

  constructor(private readonly deps: IpBanDeps) {}

  /** The ban in force on this IP, if any (memory only: safe on every request). */
  blocked(ip: string): IpBan | null {
    if (this.active.size === 0) return null;
    const ban = this.active.get(normaliseIp(ip));
    if (ban === undefined) return null;
    if (ban.expiresAt !== null && ban.expiresAt <= this.deps.clock.now()) {
      this.active.delete(ban.ip);
      return null;
    }
    return ban;
  }

  /** Re-reads the bans in force from the store (every few seconds, and when another instance says so). */
  async refresh(): Promise<void> {
    const bans = await this.deps.store.activeBans(this.deps.clock.now());
    this.active = new Map(bans.map((b) => [b.ip, b]));
    this.deps.onActive?.(this.active.size);
  }

  list(): Promise<IpBan[]> {
    return this.deps.store.activeBans(this.deps.clock.now());
  }

  async ban(rawIp: string, req: BanRequest): Promise<IpBan> {
    const ip = normaliseIp(rawIp.trim());
    if (!isIpAddress(ip)) throw new AppError('VALIDATION', `ip: ${rawIp} is not an IP address`);
    if (isLoopback(ip)) throw new AppError('VALIDATION', `ip: loopback addresses (${ip}) are never banned`);
    const now = this.deps.clock.now();
    const previous = await this.deps.store.get(ip);
    const strikes = (previous?.strikes ?? 0) + 1;
    const cfg = this.deps.config();
    let expiresAt: number | null;
    if (req.durationMs !== undefined && req.durationMs !== null) expiresAt = now + req.durationMs;
    else if (req.source === 'manual') expiresAt = null;
    // Repeat offenders: each automatic ban doubles the previous length, up to the maximum.
    else expiresAt = now + Math.min(cfg.maxDurationMs, cfg.durationMs * 2 ** Math.min(strikes - 1, 40));
    const ban: IpBan = {
      ip,
      reason: req.reason,
      source: req.source,
      createdBy: req.actor,
      createdAt: now,
      expiresAt,
      liftedAt: null,
      strikes,
    };
    await this.deps.store.put(ban);
    this.active.set(ip, ban);
    this.counts.delete(ip);
    this.deps.onActive?.(this.active.size);
    this.deps.notify?.();
    this.deps.events.record({
      type: 'ip_banned',
      severity: 'high',
      actor: req.actor,
      ip,
      requestId: req.requestId ?? null,
      detail: {
        reason: req.reason,
        source: req.source,
        strikes,
        until: expiresAt === null ? null : new Date(expiresAt).toISOString(),
      },
    });
    this.deps.log.warn({ ip, reason: req.reason, strikes, expiresAt }, 'ip banned');
    return ban;
  }

  async unban(rawIp: string, actor: string, requestId: string | null = null): Promise<boolean> {
    const ip = normaliseIp(rawIp.trim());
    if (!isIpAddress(ip)) throw new AppError('VALIDATION', `ip: ${rawIp} is not an IP address`);
    const lifted = await this.deps.store.lift(ip, this.deps.clock.now());
    this.active.delete(ip);
    this.counts.delete(ip);
    this.deps.onActive?.(this.active.size);
    if (lifted) {
      this.deps.notify?.();
      this.deps.events.record({ type: 'ip_unbanned', severity: 'medium', actor, ip, requestId });
    }
    return lifted;
  }

  /**
   * Counts a security event toward its IP's ban when it is a violation; bans the IP once a threshold is
   * reached within the window. Never throws (a sink decorator calls it).
   */
  observe(event: SecurityEventInput): void {
    const kind = VIOLATIONS[event.type];
    if (kind === undefined || event.ip === undefined || event.ip === null || event.ip === '') return;
    const cfg = this.deps.config();
    if (!cfg.enabled) return;
    const ip = normaliseIp(event.ip);
    if (isLoopback(ip) || !isIpAddress(ip) || this.blocked(ip) !== null || this.banning.has(ip)) return;
    const now = this.deps.clock.now();
    const threshold = cfg.thresholds[kind];
    let perIp = this.counts.get(ip);
    if (perIp === undefined) {
      if (this.counts.size >= MAX_TRACKED) this.forgetOldest(now - cfg.windowMs);
      perIp = new Map();
      this.counts.set(ip, perIp);
    }
    const times = perIp.get(kind) ?? [];
    times.push(now);
    while (times.length > threshold || (times.length > 0 && (times[0] ?? now) <= now - cfg.windowMs))
      times.shift();
    perIp.set(kind, times);
    if (times.length < threshold) return;
    this.banning.add(ip);
    void this.ban(ip, {
      reason: `${threshold} ${event.type} violations within ${Math.round(cfg.windowMs / 1000)} s`,
      actor: 'system',
      source: 'auto',
      requestId: event.requestId ?? null,
    })
      .catch((err: unknown) => {
        this.deps.log.error({ err, ip }, 'automatic ip ban could not be stored');
      })
      .finally(() => this.banning.delete(ip));
  }

  private forgetOldest(before: number): void {
    for (const [ip, perIp] of this.counts) {
      let latest = 0;
      for (const times of perIp.values()) latest = Math.max(latest, times[times.length - 1] ?? 0);
      if (latest <= before) this.counts.delete(ip);
    }
    // Still full: every tracked IP is recent; drop the first-inserted half.
    if (this.counts.size >= MAX_TRACKED) {
      let n = 0;
      for (const ip of this.counts.keys()) {
        if (n++ >= MAX_TRACKED / 2) break;
        this.counts.delete(ip);
      }
    }
  }
}

/**
 * The security event sink everyone gets: records into the trail and counts violations toward IP bans, so an
 * event recorded by any component (failed logins included) can ban its source.
 */
export class BanCountingSink implements SecurityEventSink {
  /** requestId:type of recent violations, so two components reporting one request's violation count once. */
  private readonly recent = new Set<string>();

  constructor(
    private readonly inner: SecurityEventSink,
    private readonly bans: IpBanService,
  ) {}

  /** True while an event of ours is being handed to the inner sink (its observers must not count it twice). */
  private forwarding = false;

  record(event: SecurityEventInput): void {
    if (this.duplicate(event)) return;
    this.forwarding = true;
    try {
      this.inner.record(event);
    } finally {
      this.forwarding = false;
    }
    this.count(event);
  }

  /**
   * The narrow hook for events recorded into the inner sink directly (the login code records failed logins
   * into the trail itself): subscribe this to the trail's observers so they count toward bans too.
   */
  readonly observeDirect = (event: SecurityEventInput): void => {
    if (this.forwarding || this.duplicate(event)) return;
    this.count(event);
  };

  private duplicate(event: SecurityEventInput): boolean {
    if (event.requestId === undefined || event.requestId === null || !isViolation(event.type)) return false;
    const k = `${event.requestId}:${event.type}`;
    if (this.recent.has(k)) return true;
    if (this.recent.size >= 2000) this.recent.clear();
    this.recent.add(k);
    return false;
  }

  private count(event: SecurityEventInput): void {
    try {
      this.bans.observe(event);
    } catch {
      // observe does not throw; the sink contract says record never does either.
    }
  }
}
