// The tick stream the WebSocket fan-out consumes: quote changes plus a signal after each market step.
import type { MarketData } from './market-data.js';

/**
 * Quotes, quote changes and a step signal. In one instance it is the paper market itself; with Redis it is
 * the stream one instance (the lease holder) publishes, so every instance fans out the same ticks.
 */
export interface TickStream extends MarketData {
  /** Listener called after each market step (after that step's quote changes) with the step's time. */
  onTick(listener: (nowMs: number) => void): () => void;
}
