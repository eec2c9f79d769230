// Identity for orders, trades and events, injected so tests get predictable ids.

/** Produces unique, roughly time-ordered identifiers. */
export interface IdGenerator {
  /** Our order id (the `orderid` clients see): decimal digits only, unique across restarts and instances. */
  orderId(): string;
  /** A trade (fill) id, unique per venue. */
  tradeId(): string;
  /** A generic opaque id (API keys rows, users, events). */
  id(): string;
}
