// Cross-instance invalidation of security state (revoked sessions and keys, changed users).

export type SecurityMessage =
  | { readonly kind: 'session_revoked'; readonly jti: string; readonly expiresAt: number }
  | { readonly kind: 'key_revoked'; readonly keyId: string }
  | { readonly kind: 'user_changed'; readonly userId: string };

/** Tells every other instance about a change at once. The database stays the truth. */
export interface SecurityBus {
  /** Sends to the other instances (best effort; never throws). */
  publish(message: SecurityMessage): void;
  /** Registers the handler of messages from other instances. */
  onMessage(handler: (message: SecurityMessage) => void): void;
  /**
   * Called after every (re)subscription: messages may have been missed while disconnected, so state that
   * the bus keeps fresh must be reloaded from the database.
   */
  onResync(handler: () => void): void;
  /** True while subscribed: other instances' messages arrive. False without a bus or while disconnected. */
  live(): boolean;
}

/** Single instance (no `REDIS_URL`): nothing to tell; `live()` false so revocations are checked in the DB. */
export const localSecurityBus: SecurityBus = {
  publish: () => undefined,
  onMessage: () => undefined,
  onResync: () => undefined,
  live: () => false,
};
