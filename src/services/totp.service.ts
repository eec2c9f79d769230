// Optional two-factor login with TOTP (RFC 6238): enrol, confirm, check at login, disable.
import { Secret, TOTP } from 'otpauth';
import { AppError } from '../domain/errors.js';
import type { Clock } from '../ports/clock.js';
import type { SecurityEventSink } from '../ports/security-events.js';
import type { IdentityStore, UserRecord } from '../ports/store.js';

/**
 * Where TOTP seeds live: the encrypted credential store (sealed under the master key ring, so
 * `algogate secrets rotate` covers them). `get` throws when a value does not authenticate.
 */
export interface TotpSeeds {
  put(userId: string, base32: string): Promise<void>;
  get(userId: string): Promise<string | null>;
  remove(userId: string): Promise<void>;
}

/** What `users.totp_secret` holds: a reference to the sealed seed, never the seed. */
export const TOTP_SEED_REF = 'credential-store';

const PERIOD = 30;

export interface Enrolment {
  /** `otpauth://totp/...` for a QR code. */
  readonly uri: string;
  /** The base32 secret, for manual entry. Shown once. */
  readonly secret: string;
}

export class TotpService {
  constructor(
    private readonly users: IdentityStore,
    private readonly seeds: TotpSeeds,
    private readonly clock: Clock,
    private readonly events: SecurityEventSink,
    private readonly onUserChanged: (userId: string) => void,
  ) {}

  private totp(user: UserRecord, secret: Secret): TOTP {
    return new TOTP({
      issuer: 'algogate',
      label: user.username,
      algorithm: 'SHA1',
      digits: 6,
      period: PERIOD,
      secret,
    });
  }

  /** Starts (or restarts) enrolment: a new secret, stored sealed, not required until confirmed. */
  async enrol(user: UserRecord): Promise<Enrolment> {
    if (user.totpEnabled) throw new AppError('CONFLICT', 'two-factor login is already on: disable it first');
    const secret = new Secret({ size: 20 });
    await this.seeds.put(user.id, secret.base32);
    await this.users.updateUser(user.id, { totpSecret: TOTP_SEED_REF, totpEnabled: false });
    this.onUserChanged(user.id);
    return { uri: this.totp(user, secret).toString(), secret: secret.base32 };
  }

  /** A code is accepted once, within one step of the current time. */
  async check(user: UserRecord, code: string): Promise<boolean> {
    if (user.totpSecret === null || !/^\d{6}$/.test(code)) return false;
    let base32: string | null;
    try {
      base32 = await this.seeds.get(user.id);
    } catch {
      return false;
    }
    if (base32 === null) return false;
    const now = this.clock.now();
    const delta = this.totp(user, Secret.fromBase32(base32)).validate({
      token: code,
      timestamp: now,
      window: 1,
    });
    if (delta === null) return false;
    const step = Math.floor(now / 1000 / PERIOD) + delta;
    return this.users.claimTotpStep(user.id, step);
  }

  async confirm(user: UserRecord, code: string, ip: string, requestId: string | null): Promise<void> {
    if (user.totpEnabled) throw new AppError('CONFLICT', 'two-factor login is already on');
    if (user.totpSecret === null)
      throw new AppError('VALIDATION', 'start enrolment first (POST /auth/totp/enroll)');
    if (!(await this.check(user, code)))
      throw new AppError('VALIDATION', 'the code does not match: try the next one');
    await this.users.updateUser(user.id, { totpEnabled: true });
    this.onUserChanged(user.id);
    this.events.record({ type: 'totp_enabled', actor: user.username, ip, requestId });
  }

  async disable(user: UserRecord, code: string, ip: string, requestId: string | null): Promise<void> {
    if (!user.totpEnabled) throw new AppError('CONFLICT', 'two-factor login is not on');
    if (!(await this.check(user, code))) throw new AppError('VALIDATION', 'the code does not match');
    await this.users.updateUser(user.id, { totpEnabled: false, totpSecret: null });
    await this.seeds.remove(user.id);
    this.onUserChanged(user.id);
    this.events.record({ type: 'totp_disabled', actor: user.username, ip, requestId });
  }

  /** An admin turns two-factor off for a user who lost the device. */
  async reset(user: UserRecord): Promise<void> {
    await this.users.updateUser(user.id, { totpEnabled: false, totpSecret: null });
    await this.seeds.remove(user.id);
    this.onUserChanged(user.id);
  }
}
