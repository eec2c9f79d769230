// Request schemas of the OpenAlgo v1 options endpoints (symbol resolution, chain, greeks, options orders).
import { Type, type Static } from '@sinclair/typebox';
import { DERIVATIVE_EXCHANGES, EXCHANGES } from '../../domain/instrument.js';
import { ACTIONS, PRICE_TYPES } from '../../domain/order.js';
import { OPTION_TYPES } from '../../domain/symbology.js';
import { StringEnum } from './schemas.js';

const apikey = Type.Optional(Type.String({ minLength: 1, maxLength: 256 }));
const underlying = Type.String({ minLength: 1, maxLength: 64 });
const exchange = StringEnum(['NSE_INDEX', 'BSE_INDEX', 'NSE', 'BSE', 'NFO', 'BFO'] as const);
const expiry = Type.String({ maxLength: 20 });
const strikeInt = Type.Number({ exclusiveMinimum: 0, maximum: 1e7 });
/** Validated by the service, so the message can list the allowed forms. */
const offset = Type.String({ minLength: 1, maxLength: 10 });
const optionType = StringEnum(OPTION_TYPES);
const interestRate = Type.Number({ minimum: 0, maximum: 100 });
const expiryTime = Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$', maxLength: 5 });
const FNO_EXCHANGES = EXCHANGES.filter((e) => DERIVATIVE_EXCHANGES.has(e));
const MAX_QTY = 100_000_000;
const price = Type.Number({ minimum: 0, maximum: 1e10 });

export const OptionSymbolBody = Type.Object({
  apikey,
  strategy: Type.Optional(Type.String({ maxLength: 100 })),
  underlying,
  exchange,
  expiry_date: Type.Optional(expiry),
  strike_int: Type.Optional(strikeInt),
  offset,
  option_type: optionType,
});
export type OptionSymbolBody = Static<typeof OptionSymbolBody>;

export const OptionChainBody = Type.Object({
  apikey,
  underlying,
  exchange,
  expiry_date: expiry,
  strike_count: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  with_greeks: Type.Optional(Type.Boolean({ default: false })),
  interest_rate: Type.Optional(interestRate),
});
export type OptionChainBody = Static<typeof OptionChainBody>;

export const SyntheticFutureBody = Type.Object({ apikey, underlying, exchange, expiry_date: expiry });
export type SyntheticFutureBody = Static<typeof SyntheticFutureBody>;

const greeksTarget = {
  symbol: Type.String({ minLength: 1, maxLength: 64 }),
  exchange: StringEnum(FNO_EXCHANGES),
  underlying_symbol: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  underlying_exchange: Type.Optional(StringEnum(EXCHANGES)),
};

export const OptionGreeksBody = Type.Object({
  apikey,
  ...greeksTarget,
  interest_rate: Type.Optional(interestRate),
  forward_price: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1e10 })),
  expiry_time: Type.Optional(expiryTime),
});
export type OptionGreeksBody = Static<typeof OptionGreeksBody>;

export const MultiOptionGreeksBody = Type.Object({
  apikey,
  symbols: Type.Array(Type.Object(greeksTarget), { minItems: 1, maxItems: 50 }),
  interest_rate: Type.Optional(interestRate),
  expiry_time: Type.Optional(expiryTime),
});
export type MultiOptionGreeksBody = Static<typeof MultiOptionGreeksBody>;

const legFields = {
  offset,
  option_type: optionType,
  action: StringEnum(ACTIONS),
  quantity: Type.Integer({ minimum: 1, maximum: MAX_QTY }),
  splitsize: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_QTY, default: 0 })),
  pricetype: Type.Optional(StringEnum(PRICE_TYPES, { default: 'MARKET' })),
  product: Type.Optional(StringEnum(['MIS', 'NRML'] as const, { default: 'MIS' })),
  price: Type.Optional(price),
  trigger_price: Type.Optional(price),
  disclosed_quantity: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_QTY })),
};

export const OptionsOrderBody = Type.Object({
  apikey,
  strategy: Type.String({ maxLength: 100 }),
  underlying,
  exchange,
  expiry_date: Type.Optional(expiry),
  strike_int: Type.Optional(strikeInt),
  ...legFields,
  clientorderid: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
});
export type OptionsOrderBody = Static<typeof OptionsOrderBody>;

export const OptionsMultiOrderBody = Type.Object({
  apikey,
  strategy: Type.String({ maxLength: 100 }),
  underlying,
  exchange,
  expiry_date: Type.Optional(expiry),
  strike_int: Type.Optional(strikeInt),
  legs: Type.Array(Type.Object({ ...legFields, expiry_date: Type.Optional(expiry) }), {
    minItems: 1,
    maxItems: 20,
  }),
  clientorderid: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
});
export type OptionsMultiOrderBody = Static<typeof OptionsMultiOrderBody>;
