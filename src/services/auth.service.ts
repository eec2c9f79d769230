// Password login with lockout and optional TOTP, signed session tokens, and their revocation (docs/adr/0012).
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { SignJWT, errors as joseErrors, jwtVerify } from 'jose';
import type { Config } from '../config/schema.js';

type SecurityConfig = Config['security'];
import { AppError } from '../domain/errors.js';
import { istDate, istEpoch } from '../domain/market-calendar.js';
import type { Clock } from '../ports/clock.js';
import type { SecurityBus } from '../ports/security-bus.js';
import type { SecurityEventSink } from '../ports/security-events.js';
import type { SecurityStore } from '../ports/security-store.js';
import type { IdentityStore, UserRecord } from '../ports/store.js';
import type { IdentityService, PasswordHasher } from './identity.service.js';
import type { TotpService } from './totp.service.js';

export const BAD_CREDENTIALS = 'Invalid username or password';
export const LOCKED = 'Too many failed logins: try again later';
const ISSUER = 'algogate';

export interface LoginRequest {
  readonly username: string;
  readonly password: string;
  readonly totp?: string | undefined;
  readonly ip: string;
  readonly requestId: string | null;
}

export interface Session {
  readonly token: string;
  readonly jti: string;
  readonly user: UserRecord;
  /** Epoch ms. */
  readonly expiresAt: number;
  /** Seconds from now. */
  readonly expiresIn: number;
  /** The CSRF token bound to this session (double submit, see csrfFor). */
  readonly csrf: string;
}

export interface VerifiedSession {
  readonly jti: string;
  readonly user: UserRecord;
  readonly expiresAt: number;
}

/** Revoked session ids: memory (kept fresh by the bus) with the database as truth. */
export class SessionRevocations {
  private readonly revoked = new Map<string, number>();

  constructor(
    private readonly store: SecurityStore,
    private readonly bus: SecurityBus,
    private readonly clock: Clock,
  ) {}

  async load(): Promise<void> {
    for (const r of await this.store.activeRevokedSessions(this.clock.now()))
      this.revoked.set(r.jti, r.expiresAt);
  }

  /** Another instance revoked a session. */
  remember(jti: string, expiresAt: number): void {
    this.revoked.set(jti, expiresAt);
  }

  async revoke(jti: string, userId: string, expiresAt: number): Promise<void> {
    await this.store.revokeSession(jti, userId, expiresAt, this.clock.now());
    this.revoked.set(jti, expiresAt);
    this.bus.publish({ kind: 'session_revoked', jti, expiresAt });
  }

  /** Memory first; without a live bus (single instance or Redis down) the database decides. */
  async isRevoked(jti: string): Promise<boolean> {
    if (this.revoked.has(jti)) return true;
    if (this.bus.live()) return false;
    if (await this.store.isSessionRevoked(jti)) {
      this.revoked.set(jti, this.clock.now() + 86_400_000);
      return true;
    }
    return false;
  }

  /** Forgets expired entries (memory and database). */
  async prune(): Promise<void> {
    const now = this.clock.now();
    for (const [jti, exp] of this.revoked) if (exp <= now) this.revoked.delete(jti);
    await this.store.pruneRevokedSessions(now);
  }
}

export class AuthService {
  private dummyHash: Promise<string> | null = null;

  constructor(
    private readonly users: IdentityStore,
    private readonly identity: IdentityService,
    private readonly security: SecurityStore,
    private readonly hasher: PasswordHasher,
    private readonly totp: TotpService,
    private readonly revocations: SessionRevocations,
    private readonly events: SecurityEventSink,
    private readonly clock: Clock,
    private readonly jwtSecret: Uint8Array,
    private readonly settings: () => SecurityConfig,
  ) {}

  /** When a session issued now must end: the session length, but never past the next daily cutoff. */
  sessionEnd(now: number): number {
    const s = this.settings();
    let cutoff = istEpoch(istDate(now), s.dailyCutoff);
    if (cutoff <= now) cutoff = istEpoch(istDate(now + 86_400_000), s.dailyCutoff);
    return Math.min(now + s.sessionMinutes * 60_000, cutoff);
  }

  /**
   * Verifies username, password (and TOTP when enabled). Failures count per account and per client IP
   * (whether or not the account exists) and lock both after the configured number; every failure answers
   * the same 401 whether or not the user exists, after the same Argon2 work.
   */
  async login(req: LoginRequest): Promise<Session> {
    const now = this.clock.now();
    const name = req.username.toLowerCase();
    const subjects = [`user:${name}`, `ip:${req.ip}`];
    const ev = { actor: req.username.slice(0, 64), ip: req.ip, requestId: req.requestId };
    const states = await Promise.all(subjects.map((s) => this.security.loginFailures(s)));
    if (states.some((st) => st.lockedUntil > now)) {
      this.events.record({ type: 'login_failure', ...ev, detail: { reason: 'locked' } });
      throw new AppError('UNAUTHENTICATED', LOCKED);
    }
    const user = await this.users.findUserByName(req.username);
    const ok = user
      ? await this.hasher.verify(user.passwordHash, req.password)
      : await this.hasher.verify(await this.dummy(), req.password).then(() => false);
    if (!user || !ok || user.disabledAt !== null) {
      return this.fail(subjects, now, ev, !user ? 'unknown_user' : !ok ? 'bad_password' : 'disabled');
    }
    if (user.totpEnabled) {
      if (req.totp === undefined || req.totp === '') {
        throw new AppError('UNAUTHENTICATED', 'Two-factor code required: send totp');
      }
      if (!(await this.totp.check(user, req.totp))) return this.fail(subjects, now, ev, 'bad_totp');
    }
    await this.security.clearLoginFailures(subjects[0] ?? '');
    const session = await this.issue(user, now);
    this.events.record({ type: 'login_success', ...ev, actor: user.username, detail: { jti: session.jti } });
    return session;
  }

  private async fail(
    subjects: string[],
    now: number,
    ev: { actor: string; ip: string; requestId: string | null },
    reason: string,
  ): Promise<never> {
    const s = this.settings();
    const lockMs = s.lockout.minutes * 60_000;
    const after = await Promise.all(
      subjects.map((sub) => this.security.addLoginFailure(sub, now, lockMs, s.lockout.maxFailures, lockMs)),
    );
    this.events.record({ type: 'login_failure', ...ev, detail: { reason } });
    after.forEach((st, i) => {
      if (st.lockedUntil > now)
        this.events.record({
          type: 'lockout',
          ...ev,
          detail: { subject: i === 0 ? 'account' : 'ip', until: new Date(st.lockedUntil).toISOString() },
        });
    });
    throw new AppError(
      'UNAUTHENTICATED',
      after.some((st) => st.lockedUntil > now) ? LOCKED : BAD_CREDENTIALS,
    );
  }

  private dummy(): Promise<string> {
    this.dummyHash ??= this.hasher.hash(randomBytes(16).toString('hex'));
    return this.dummyHash;
  }

  private async issue(user: UserRecord, now: number): Promise<Session> {
    const jti = randomBytes(16).toString('base64url');
    const expiresAt = this.sessionEnd(now);
    const expSec = Math.floor(expiresAt / 1000);
    const token = await new SignJWT({ usr: user.username })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(ISSUER)
      .setSubject(user.id)
      .setJti(jti)
      .setIssuedAt(Math.floor(now / 1000))
      .setExpirationTime(expSec)
      .sign(this.jwtSecret);
    return {
      token,
      jti,
      user,
      expiresAt: expSec * 1000,
      expiresIn: Math.max(0, expSec - Math.floor(now / 1000)),
      csrf: this.csrfFor(jti),
    };
  }

  /** The CSRF token of a session: an HMAC of its id, so a planted cookie cannot forge one. */
  csrfFor(jti: string): string {
    return createHmac('sha256', this.jwtSecret).update(`csrf:${jti}`).digest('base64url');
  }

  csrfMatches(jti: string, presented: string): boolean {
    const want = Buffer.from(this.csrfFor(jti));
    const got = Buffer.from(presented);
    return want.length === got.length && timingSafeEqual(want, got);
  }

  /** Verifies a session token: signature, expiry, revocation, and that the user is still active. */
  async verify(token: string): Promise<VerifiedSession> {
    let payload: { jti?: string; sub?: string; exp?: number };
    try {
      ({ payload } = await jwtVerify(token, this.jwtSecret, {
        algorithms: ['HS256'],
        issuer: ISSUER,
        currentDate: new Date(this.clock.now()),
      }));
    } catch (e) {
      const expired = e instanceof joseErrors.JWTExpired;
      throw new AppError(
        'UNAUTHENTICATED',
        expired ? 'session expired: log in again' : 'invalid session token',
      );
    }
    const { jti, sub, exp } = payload;
    if (jti === undefined || sub === undefined || exp === undefined)
      throw new AppError('UNAUTHENTICATED', 'invalid session token');
    if (await this.revocations.isRevoked(jti))
      throw new AppError('UNAUTHENTICATED', 'session ended: log in again');
    const user = await this.identity.activeUser(sub);
    if (!user) throw new AppError('UNAUTHENTICATED', 'session ended: log in again');
    return { jti, user, expiresAt: exp * 1000 };
  }

  async logout(session: VerifiedSession, ip: string, requestId: string | null): Promise<void> {
    await this.revocations.revoke(session.jti, session.user.id, session.expiresAt);
    this.events.record({
      type: 'logout',
      actor: session.user.username,
      ip,
      requestId,
      detail: { jti: session.jti },
    });
  }
}
