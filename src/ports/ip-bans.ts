// Banned client IPs, shared by every instance through the database.

export interface IpBan {
  readonly ip: string;
  readonly reason: string;
  /** `auto`: repeated violations; `manual`: an admin (API or CLI). */
  readonly source: 'auto' | 'manual';
  /** Who banned it (username or `system`). */
  readonly createdBy: string | null;
  readonly createdAt: number;
  /** End of the ban (epoch ms); null: until lifted. */
  readonly expiresAt: number | null;
  /** When an admin lifted it early; null otherwise. */
  readonly liftedAt: number | null;
  /** How many times this IP has been banned (drives escalation). */
  readonly strikes: number;
}

export interface IpBanStore {
  /** Bans in force at `now` (not expired, not lifted). */
  activeBans(now: number): Promise<IpBan[]>;
  /** The IP's row, in force or not (its strikes survive expiry). */
  get(ip: string): Promise<IpBan | null>;
  /** Creates or replaces the IP's row. */
  put(ban: IpBan): Promise<void>;
  /** Lifts a ban in force; false when there was none. */
  lift(ip: string, now: number): Promise<boolean>;
}
