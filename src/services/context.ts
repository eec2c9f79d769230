// Who is acting: the principal behind an API key, resolved to a trading account and broker.
import type { Scope } from '../ports/store.js';

export interface TradingContext {
  readonly userId: string;
  readonly username: string;
  readonly keyId: string;
  readonly scopes: readonly Scope[];
  /** The account orders and books belong to (the sandbox account in analyze mode). */
  readonly accountId: string;
  /** Broker adapter that routes this account's orders. */
  readonly broker: string;
  readonly mode: 'live' | 'analyze';
  readonly requestId: string | null;
}
