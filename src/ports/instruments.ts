// The instrument master as a lookup service.
import type { Exchange, Instrument } from '../domain/instrument.js';

/** Read-only access to the instrument master. */
export interface InstrumentRepository {
  /** Exact lookup by exchange and OpenAlgo symbol; null when unknown. */
  get(exchange: Exchange, symbol: string): Instrument | null;
  /** Every instrument, optionally of one exchange. */
  list(exchange?: Exchange): readonly Instrument[];
}
