// Request schemas of the OpenAlgo v1 market data, symbol and calendar endpoints.
import { Type, type Static } from '@sinclair/typebox';
import { INTERVALS } from '../../domain/candle-interval.js';
import { DERIVATIVE_EXCHANGES, EXCHANGES } from '../../domain/instrument.js';
import { StringEnum } from './schemas.js';

const apikey = Type.Optional(Type.String({ minLength: 1, maxLength: 256 }));
const symbol = Type.String({ minLength: 1, maxLength: 64 });
const exchange = StringEnum(EXCHANGES);
const isoDate = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', maxLength: 10 });
const FNO_EXCHANGES = EXCHANGES.filter((e) => DERIVATIVE_EXCHANGES.has(e));

export const SymbolBody = Type.Object({ apikey, symbol, exchange });
export type SymbolBody = Static<typeof SymbolBody>;

export const MultiQuotesBody = Type.Object({
  apikey,
  symbols: Type.Array(Type.Object({ symbol, exchange }), { minItems: 1, maxItems: 500 }),
});
export type MultiQuotesBody = Static<typeof MultiQuotesBody>;

export const SearchBody = Type.Object({
  apikey,
  query: Type.String({ minLength: 1, maxLength: 200 }),
  exchange: Type.Optional(exchange),
});
export type SearchBody = Static<typeof SearchBody>;

export const ExpiryBody = Type.Object({
  apikey,
  symbol,
  exchange: StringEnum(FNO_EXCHANGES),
  instrumenttype: StringEnum(['futures', 'options'] as const),
});
export type ExpiryBody = Static<typeof ExpiryBody>;

export const HistoryBody = Type.Object({
  apikey,
  symbol,
  exchange,
  interval: StringEnum(INTERVALS),
  start_date: isoDate,
  end_date: isoDate,
  source: Type.Optional(StringEnum(['api', 'db'] as const)),
});
export type HistoryBody = Static<typeof HistoryBody>;

export const InstrumentsQuery = Type.Object({
  apikey,
  exchange: Type.Optional(exchange),
  format: Type.Optional(StringEnum(['json', 'csv'] as const, { default: 'json' })),
});
export type InstrumentsQuery = Static<typeof InstrumentsQuery>;

/** `from`/`to` are a date or a 10-13 digit epoch (seconds or milliseconds). */
const dateOrEpoch = Type.String({ pattern: '^(\\d{4}-\\d{2}-\\d{2}|\\d{10,13})$', maxLength: 13 });
export const TickerQuery = Type.Object({
  apikey,
  interval: Type.Optional(StringEnum(INTERVALS, { default: 'D' })),
  from: Type.Optional(dateOrEpoch),
  to: Type.Optional(dateOrEpoch),
  format: Type.Optional(StringEnum(['json', 'txt'] as const, { default: 'json' })),
  adjusted: Type.Optional(Type.String({ maxLength: 10 })),
  sort: Type.Optional(Type.String({ maxLength: 10 })),
});
export type TickerQuery = Static<typeof TickerQuery>;

export const HolidaysBody = Type.Object({
  apikey,
  year: Type.Optional(Type.Integer({ minimum: 2020, maximum: 2050 })),
});
export type HolidaysBody = Static<typeof HolidaysBody>;

export const TimingsBody = Type.Object({ apikey, date: isoDate });
export type TimingsBody = Static<typeof TimingsBody>;
