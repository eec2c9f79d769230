// Persistence ports: the order journal and its projections, accounts, idempotency, users and keys.
import type { Fixed } from '../domain/decimal.js';
import type { Exchange } from '../domain/instrument.js';
import type { Order } from '../domain/order.js';
import type { Fill, Position } from '../domain/position.js';
import type { BrokerTrade } from './broker.js';

/** One entry of the append-only order journal. `seq` increases by one per order. */
export interface OrderEvent {
  readonly orderId: string;
  readonly seq: number;
  readonly type: string;
  readonly at: number;
  readonly requestId: string | null;
  readonly data: Readonly<Record<string, unknown>>;
}

/** A stored idempotency key: the first request's fingerprint and, once done, its response. */
export interface IdempotencyRecord {
  /** Who owns the key (the API key id), so one client never sees another's results. */
  readonly scope: string;
  readonly key: string;
  readonly fingerprint: string;
  readonly state: 'in_flight' | 'done';
  readonly statusCode: number | null;
  readonly responseBody: string | null;
  readonly createdAt: number;
  readonly expiresAt: number;
  /** The request that claimed the key (its orders carry the same request id). */
  readonly requestId?: string | null;
}

/** Settled cash of a trading account and the last IST day it was settled. */
export interface AccountRecord {
  readonly accountId: string;
  readonly userId: string;
  readonly cash: Fixed;
  readonly settledDay: string;
}

/** Delivery holdings (CNC after T+1). `cost` is the exact total cost of `quantity`. */
export interface Holding {
  readonly accountId: string;
  readonly exchange: Exchange;
  readonly symbol: string;
  readonly quantity: number;
  readonly cost: Fixed;
}

/** The paper venue's own record of an order (the venue's truth, separate from ours). */
export interface VenueOrderRecord {
  readonly venue: string;
  readonly clientOrderId: string;
  readonly brokerOrderId: string;
  readonly accountId: string;
  readonly payload: string;
  readonly status: string;
  readonly filledQuantity: number;
  readonly updatedAt: number;
}

/** A trade as the paper venue records it: the broker port's trade, tagged with the venue. */
export interface VenueTradeRecord extends BrokerTrade {
  readonly venue: string;
}

/** One atomic change set. Units committed close together share a database transaction (group commit). */
export type Change =
  | { readonly kind: 'order'; readonly order: Order; readonly event: OrderEvent }
  | { readonly kind: 'fill'; readonly fill: Fill }
  | { readonly kind: 'position'; readonly position: Position }
  | { readonly kind: 'account'; readonly account: AccountRecord }
  | { readonly kind: 'holding'; readonly holding: Holding }
  /** Inserts the key; if it exists already the whole unit fails with `ConflictError`. */
  | { readonly kind: 'idempotency_claim'; readonly record: IdempotencyRecord }
  | { readonly kind: 'idempotency_done'; readonly record: IdempotencyRecord }
  | { readonly kind: 'idempotency_release'; readonly scope: string; readonly key: string }
  | { readonly kind: 'venue_order'; readonly record: VenueOrderRecord }
  | { readonly kind: 'venue_trade'; readonly record: VenueTradeRecord };

/** A unit was refused because a unique key (idempotency key) already exists. */
export class ConflictError extends Error {
  override readonly name = 'ConflictError';
}

/** Durable writes. The promise resolves only after the unit is committed. */
export interface UnitOfWork {
  commit(changes: readonly Change[]): Promise<void>;
}

/** The trading journal and its projections. */
export interface TradingStore extends UnitOfWork {
  /** Orders still working, plus every order created at or after `sinceMs`. */
  loadOrders(sinceMs: number): Promise<Order[]>;
  findOrder(orderId: string): Promise<Order | null>;
  /** One account's orders created at or after `sinceMs`, oldest first. */
  loadAccountOrders(accountId: string, sinceMs: number): Promise<Order[]>;
  /** One account's fills at or after `sinceMs`, oldest first. */
  loadAccountFills(accountId: string, sinceMs: number): Promise<Fill[]>;
  orderEvents(orderId: string): Promise<OrderEvent[]>;
  /** Fills at or after `sinceMs` (all fills with 0). */
  loadFills(sinceMs: number): Promise<Fill[]>;
  loadPositions(): Promise<Position[]>;
  loadAccounts(): Promise<AccountRecord[]>;
  loadHoldings(): Promise<Holding[]>;
  findIdempotency(scope: string, key: string): Promise<IdempotencyRecord | null>;
  /** Deletes keys that expired before `now`; returns how many. */
  pruneIdempotency(now: number): Promise<number>;
  /** Ids of one account's orders created at or after `sinceMs` by request `requestId`, oldest first. */
  orderIdsByRequest(accountId: string, requestId: string, sinceMs: number): Promise<string[]>;
}

/** Claims of scheduled jobs, so each (job, slot) runs on one instance only (see docs/adr/0019). */
export interface JobRunStore {
  /** Inserts (job, slot) unless it exists; true when this call inserted it (the caller runs the job). */
  claimJob(job: string, slot: string, instanceId: string, now: number): Promise<boolean>;
  /** Records when a claimed run ended. */
  finishJob(job: string, slot: string, now: number): Promise<void>;
}

/** The paper venue's persistence. */
export interface VenueStore extends UnitOfWork {
  loadOpenVenueOrders(venue: string): Promise<VenueOrderRecord[]>;
  findVenueOrder(venue: string, clientOrderId: string): Promise<VenueOrderRecord | null>;
  venueTrades(venue: string, clientOrderId: string): Promise<VenueTradeRecord[]>;
}

export const ROLES = ['admin', 'trader', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export const SCOPES = ['read', 'trade', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export interface UserRecord {
  readonly id: string;
  readonly username: string;
  readonly passwordHash: string;
  readonly role: Role;
  readonly createdAt: number;
  /** When an admin disabled the user (no login, no keys, no sessions); null while active. */
  readonly disabledAt: number | null;
  /** TOTP secret sealed under the master key (base64), present once enrolment started. */
  readonly totpSecret: string | null;
  /** Whether a confirmed TOTP secret is required at login. */
  readonly totpEnabled: boolean;
  /** Last TOTP time step accepted (a code is never accepted twice). */
  readonly totpLastStep: number;
}

/** Changes an admin (or the user, for TOTP) applies to a user; absent fields stay as they are. */
export interface UserUpdate {
  readonly role?: Role;
  readonly passwordHash?: string;
  readonly disabledAt?: number | null;
  readonly totpSecret?: string | null;
  readonly totpEnabled?: boolean;
  readonly totpLastStep?: number;
}

export interface ApiKeyRecord {
  readonly id: string;
  readonly userId: string;
  readonly name: string;
  /** Keyed hash (HMAC-SHA256 under the server pepper) of the key; the key itself is never stored. */
  readonly keyHash: string;
  /** First characters of the key, for humans to tell keys apart. */
  readonly prefix: string;
  readonly scopes: readonly Scope[];
  readonly createdAt: number;
  readonly lastUsedAt: number | null;
  readonly revokedAt: number | null;
}

/** Per-user settings the API can toggle. */
export interface UserSettings {
  readonly userId: string;
  readonly analyzeMode: boolean;
}

export interface IdentityStore {
  createUser(user: UserRecord): Promise<void>;
  findUserByName(username: string): Promise<UserRecord | null>;
  findUserById(id: string): Promise<UserRecord | null>;
  listUsers(): Promise<UserRecord[]>;
  countUsers(): Promise<number>;
  /** Applies `update`; false when the user does not exist. */
  updateUser(id: string, update: UserUpdate): Promise<boolean>;
  /**
   * Accepts TOTP step `step` for the user only if it is later than the last accepted one (atomic across
   * instances); false when the step was already used.
   */
  claimTotpStep(id: string, step: number): Promise<boolean>;
  findApiKeyById(id: string): Promise<ApiKeyRecord | null>;
  createApiKey(key: ApiKeyRecord): Promise<void>;
  findApiKeyByHash(keyHash: string): Promise<ApiKeyRecord | null>;
  listApiKeys(userId?: string): Promise<ApiKeyRecord[]>;
  revokeApiKey(id: string, at: number): Promise<boolean>;
  touchApiKeys(usage: ReadonlyMap<string, number>): Promise<void>;
  getSettings(userId: string): Promise<UserSettings>;
  saveSettings(settings: UserSettings): Promise<void>;
}
