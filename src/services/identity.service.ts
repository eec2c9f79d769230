// Users, API keys and trading accounts: creation, O(1) key verification by keyed hash, revocation.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { AppError } from '../domain/errors.js';
import type { Clock } from '../ports/clock.js';
import type { IdGenerator } from '../ports/id-generator.js';
import type { SecurityMessage } from '../ports/security-bus.js';
import type {
  AccountRecord,
  ApiKeyRecord,
  IdentityStore,
  Role,
  Scope,
  TradingStore,
  UserRecord,
  UserUpdate,
} from '../ports/store.js';
import type { TradingContext } from './context.js';
import type { TradingState } from './trading-state.js';

/** Hashes passwords (Argon2id in production); injected so services stay free of native modules. */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
}

export interface Principal {
  readonly key: ApiKeyRecord;
  readonly user: UserRecord;
}

export interface CreatedKey {
  readonly id: string;
  /** The key itself: shown once, never stored. */
  readonly key: string;
  readonly record: ApiKeyRecord;
}

const KEY_CACHE_TTL_MS = 30_000;
const USER_CACHE_TTL_MS = 10_000;

/** Scopes a role may hold: a key never grants more than its owner's role. */
const ROLE_SCOPES: Readonly<Record<Role, readonly Scope[]>> = {
  viewer: ['read'],
  trader: ['read', 'trade'],
  admin: ['read', 'trade', 'admin'],
};

export function roleAllowsScope(role: Role, scope: Scope): boolean {
  return ROLE_SCOPES[role].includes(scope);
}
const HEX64 = /^[0-9a-f]{64}$/;

/** The sandbox account used while a user is in analyze mode. */
export function sandboxAccountId(userId: string): string {
  return `${userId}.sandbox`;
}

export class IdentityService {
  private readonly cache = new Map<string, { principal: Principal; until: number }>();
  private readonly usage = new Map<string, number>();
  private readonly analyze = new Map<string, boolean>();
  private readonly users = new Map<string, { user: UserRecord; until: number }>();
  /** Tells other instances about revocations and user changes (set by the security wiring). */
  notify: (message: SecurityMessage) => void = () => undefined;

  constructor(
    private readonly identity: IdentityStore,
    private readonly trading: TradingStore,
    private readonly state: TradingState,
    private readonly hasher: PasswordHasher,
    private readonly pepper: Buffer,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly startingCapital: () => number,
    private readonly liveBroker: () => string,
    private readonly todayIst: () => string,
  ) {}

  /** Keyed hash of an API key (HMAC-SHA256 under the server's pepper): fast, and useless without the pepper. */
  hashKey(key: string): string {
    return createHmac('sha256', this.pepper).update(key).digest('hex');
  }

  async createUser(
    username: string,
    role: Role,
    password?: string,
  ): Promise<{ user: UserRecord; password: string }> {
    if (!/^[A-Za-z0-9_.-]{3,64}$/.test(username)) {
      throw new AppError('VALIDATION', 'username must be 3-64 characters of letters, digits, _ . -');
    }
    if (await this.identity.findUserByName(username))
      throw new AppError('CONFLICT', `user ${username} already exists`);
    const pw = password ?? randomBytes(12).toString('base64url');
    if (pw.length < 8) throw new AppError('VALIDATION', 'password must be at least 8 characters');
    const user: UserRecord = {
      id: this.ids.id(),
      username,
      passwordHash: await this.hasher.hash(pw),
      role,
      createdAt: this.clock.now(),
      disabledAt: null,
      totpSecret: null,
      totpEnabled: false,
      totpLastStep: 0,
    };
    await this.identity.createUser(user);
    await this.ensureAccounts(user.id);
    this.notify({ kind: 'user_changed', userId: user.id });
    return { user, password: pw };
  }

  /** Every user has a live account and a sandbox account, each starting with the configured capital. */
  private async ensureAccounts(userId: string): Promise<void> {
    for (const accountId of [userId, sandboxAccountId(userId)]) {
      if (this.state.book(accountId)) continue;
      const account: AccountRecord = {
        accountId,
        userId,
        cash: this.startingCapital() * 10_000,
        settledDay: this.todayIst(),
      };
      await this.trading.commit([{ kind: 'account', account }]);
      this.state.ensureBook(account);
    }
  }

  async createApiKey(
    username: string,
    name = 'default',
    scopes: readonly Scope[] = ['read', 'trade'],
  ): Promise<CreatedKey> {
    const user = await this.identity.findUserByName(username);
    if (!user) throw new AppError('NOT_FOUND', `user ${username} not found`);
    if (scopes.length === 0) throw new AppError('VALIDATION', 'a key needs at least one scope');
    for (const s of scopes) {
      if (!roleAllowsScope(user.role, s))
        throw new AppError('VALIDATION', `a ${user.role} cannot hold a key with the ${s} scope`);
    }
    const key = randomBytes(32).toString('hex');
    const record: ApiKeyRecord = {
      id: this.ids.id(),
      userId: user.id,
      name,
      keyHash: this.hashKey(key),
      prefix: key.slice(0, 8),
      scopes: [...scopes],
      createdAt: this.clock.now(),
      lastUsedAt: null,
      revokedAt: null,
    };
    await this.identity.createApiKey(record);
    return { id: record.id, key, record };
  }

  listApiKeys(username?: string): Promise<ApiKeyRecord[]> {
    if (username === undefined) return this.identity.listApiKeys();
    return this.identity.findUserByName(username).then((u) => {
      if (!u) throw new AppError('NOT_FOUND', `user ${username} not found`);
      return this.identity.listApiKeys(u.id);
    });
  }

  async revokeApiKey(id: string): Promise<ApiKeyRecord> {
    const record = await this.identity.findApiKeyById(id);
    const ok = record !== null && (await this.identity.revokeApiKey(id, this.clock.now()));
    if (!ok) throw new AppError('NOT_FOUND', `API key ${id} not found or already revoked`);
    this.forgetKey(id);
    this.notify({ kind: 'key_revoked', keyId: id });
    return record;
  }

  /** Replaces a key: a new secret with the same owner, name and scopes; the old key stops working at once. */
  async rotateApiKey(id: string): Promise<CreatedKey> {
    const old = await this.identity.findApiKeyById(id);
    if (!old || old.revokedAt !== null) throw new AppError('NOT_FOUND', `API key ${id} not found or revoked`);
    const user = await this.identity.findUserById(old.userId);
    if (!user) throw new AppError('NOT_FOUND', `API key ${id} not found or revoked`);
    const scopes = old.scopes.filter((s) => roleAllowsScope(user.role, s));
    const created = await this.createApiKey(user.username, old.name, scopes.length > 0 ? scopes : ['read']);
    await this.revokeApiKey(id);
    return created;
  }

  findApiKey(id: string): Promise<ApiKeyRecord | null> {
    return this.identity.findApiKeyById(id);
  }

  /** Whether a key may call a route needing `scope`: the key holds it (or admin) and its owner's role allows it. */
  hasScope(p: Principal, scope: Scope): boolean {
    return (
      (p.key.scopes.includes(scope) || p.key.scopes.includes('admin')) && roleAllowsScope(p.user.role, scope)
    );
  }

  /** Drops cached verifications of one key (revoked here or on another instance). */
  forgetKey(id: string): void {
    for (const [hash, entry] of this.cache) if (entry.principal.key.id === id) this.cache.delete(hash);
  }

  /** Drops everything cached about a user (changed here or on another instance). */
  forgetUser(userId: string): void {
    this.users.delete(userId);
    for (const [hash, entry] of this.cache) if (entry.principal.user.id === userId) this.cache.delete(hash);
  }

  /** Applies a message from another instance (a user made there gets its accounts into our books). */
  async handle(message: SecurityMessage): Promise<void> {
    if (message.kind === 'key_revoked') this.forgetKey(message.keyId);
    else if (message.kind === 'user_changed') {
      this.forgetUser(message.userId);
      if (!this.state.book(message.userId)) {
        for (const account of await this.trading.loadAccounts())
          if (account.userId === message.userId && !this.state.book(account.accountId))
            this.state.ensureBook(account);
      }
    }
  }

  /** A user changed (role, password, disabled, TOTP): forget cached state here and on every instance. */
  userChanged(userId: string): void {
    this.forgetUser(userId);
    this.notify({ kind: 'user_changed', userId });
  }

  /** The user if it exists and is not disabled (cached briefly; changes invalidate it at once). */
  async activeUser(id: string): Promise<UserRecord | null> {
    const now = this.clock.now();
    const hit = this.users.get(id);
    let user: UserRecord | null;
    if (hit && hit.until > now) user = hit.user;
    else {
      user = await this.identity.findUserById(id);
      if (user) this.users.set(id, { user, until: now + USER_CACHE_TTL_MS });
      else this.users.delete(id);
    }
    return user && user.disabledAt === null ? user : null;
  }

  findUser(username: string): Promise<UserRecord | null> {
    return this.identity.findUserByName(username);
  }

  findUserById(id: string): Promise<UserRecord | null> {
    return this.identity.findUserById(id);
  }

  listUsers(): Promise<UserRecord[]> {
    return this.identity.listUsers();
  }

  /** Changes role, password or disabled state. Downgrading a role narrows what its keys can do at once. */
  async updateUser(
    id: string,
    change: { role?: Role; password?: string; disabled?: boolean },
  ): Promise<UserRecord> {
    const user = await this.identity.findUserById(id);
    if (!user) throw new AppError('NOT_FOUND', `user ${id} not found`);
    const update: { -readonly [K in keyof UserUpdate]: UserUpdate[K] } = {};
    if (change.role !== undefined) update.role = change.role;
    if (change.password !== undefined) {
      if (change.password.length < 8)
        throw new AppError('VALIDATION', 'password must be at least 8 characters');
      update.passwordHash = await this.hasher.hash(change.password);
    }
    if (change.disabled !== undefined) update.disabledAt = change.disabled ? this.clock.now() : null;
    await this.identity.updateUser(id, update);
    this.userChanged(id);
    const after = await this.identity.findUserById(id);
    if (!after) throw new AppError('NOT_FOUND', `user ${id} not found`);
    return after;
  }

  /** Verifies a presented key: one HMAC and a map lookup when cached, one indexed read when not. */
  async verify(presented: string): Promise<Principal> {
    if (!HEX64.test(presented)) throw new AppError('INVALID_API_KEY', 'Invalid openalgo apikey');
    const hash = this.hashKey(presented);
    const now = this.clock.now();
    const cached = this.cache.get(hash);
    let principal: Principal;
    if (cached && cached.until > now) {
      principal = cached.principal;
    } else {
      const key = await this.identity.findApiKeyByHash(hash);
      if (!key || key.revokedAt !== null || !timingSafeEqual(Buffer.from(key.keyHash), Buffer.from(hash))) {
        this.cache.delete(hash);
        throw new AppError('INVALID_API_KEY', 'Invalid openalgo apikey');
      }
      const user = await this.identity.findUserById(key.userId);
      if (!user || user.disabledAt !== null) throw new AppError('INVALID_API_KEY', 'Invalid openalgo apikey');
      if (!this.analyze.has(user.id))
        this.analyze.set(user.id, (await this.identity.getSettings(user.id)).analyzeMode);
      principal = { key, user };
      this.cache.set(hash, { principal, until: now + KEY_CACHE_TTL_MS });
    }
    this.usage.set(principal.key.id, now);
    return principal;
  }

  /** The trading context of a verified principal (live or sandbox account by the user's analyzer flag). */
  context(p: Principal, requestId: string | null): TradingContext {
    const analyze = this.analyze.get(p.user.id) ?? false;
    return {
      userId: p.user.id,
      username: p.user.username,
      keyId: p.key.id,
      scopes: p.key.scopes,
      accountId: analyze ? sandboxAccountId(p.user.id) : p.user.id,
      broker: analyze ? 'paper' : this.liveBroker(),
      mode: analyze ? 'analyze' : 'live',
      requestId,
    };
  }

  isAnalyze(userId: string): boolean {
    return this.analyze.get(userId) ?? false;
  }

  async setAnalyze(userId: string, on: boolean): Promise<void> {
    await this.identity.saveSettings({ userId, analyzeMode: on });
    this.analyze.set(userId, on);
  }

  /** Writes last-used times collected since the previous flush (called periodically, not per request). */
  async flushUsage(): Promise<void> {
    if (this.usage.size === 0) return;
    const batch = new Map(this.usage);
    this.usage.clear();
    await this.identity.touchApiKeys(batch);
  }

  /** First start: create `admin` with a generated password and one API key. Null when users exist. */
  async bootstrap(): Promise<{ username: string; password: string; apiKey: string } | null> {
    if ((await this.identity.countUsers()) > 0) return null;
    const { password } = await this.createUser('admin', 'admin');
    const key = await this.createApiKey('admin', 'bootstrap', ['read', 'trade', 'admin']);
    return { username: 'admin', password, apiKey: key.key };
  }

  /** Makes sure every user has its accounts in the books (after load). */
  async ensureAllAccounts(): Promise<void> {
    for (const u of await this.identity.listUsers()) await this.ensureAccounts(u.id);
  }
}
