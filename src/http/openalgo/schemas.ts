// Request schemas of the OpenAlgo v1 API (JSON Schema via TypeBox; validated by Fastify's Ajv).
import { Type, type Static, type TSchema, type TUnsafe } from '@sinclair/typebox';
import { EXCHANGES } from '../../domain/instrument.js';
import { ACTIONS, PRICE_TYPES, PRODUCTS, VALIDITIES } from '../../domain/order.js';

/** A string enum that Ajv reports as "must be equal to one of the allowed values" (we list them). */
export function StringEnum<T extends readonly string[]>(
  values: T,
  options: { default?: T[number] } = {},
): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

const MAX_QTY = 100_000_000;
const apikey = Type.Optional(Type.String({ minLength: 1, maxLength: 256 }));
const strategy = Type.String({ maxLength: 100 });
const symbol = Type.String({ minLength: 1, maxLength: 64 });
const quantity = Type.Integer({ minimum: 1, maximum: MAX_QTY });
const price = Type.Number({ minimum: 0, maximum: 1e10 });
const orderid = Type.String({ minLength: 1, maxLength: 64 });

const orderFields = {
  exchange: StringEnum(EXCHANGES),
  symbol,
  action: StringEnum(ACTIONS),
  quantity,
  pricetype: Type.Optional(StringEnum(PRICE_TYPES, { default: 'MARKET' })),
  product: Type.Optional(StringEnum(PRODUCTS, { default: 'MIS' })),
  price: Type.Optional(price),
  trigger_price: Type.Optional(price),
  disclosed_quantity: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_QTY })),
  validity: Type.Optional(StringEnum(VALIDITIES, { default: 'DAY' })),
};

export const KeyOnly = Type.Object({ apikey });
export const PlaceOrderBody = Type.Object({
  apikey,
  strategy,
  ...orderFields,
  clientorderid: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
});
export type PlaceOrderBody = Static<typeof PlaceOrderBody>;

export const SmartOrderBody = Type.Object({
  ...PlaceOrderBody.properties,
  quantity: Type.Integer({ minimum: 0, maximum: MAX_QTY }),
  position_size: Type.Integer({ minimum: -MAX_QTY, maximum: MAX_QTY }),
});
export type SmartOrderBody = Static<typeof SmartOrderBody>;

export const ModifyOrderBody = Type.Object({
  apikey,
  strategy,
  orderid,
  exchange: StringEnum(EXCHANGES),
  symbol,
  action: StringEnum(ACTIONS),
  product: StringEnum(PRODUCTS),
  pricetype: StringEnum(PRICE_TYPES),
  price,
  quantity,
  disclosed_quantity: Type.Integer({ minimum: 0, maximum: MAX_QTY }),
  trigger_price: price,
});
export type ModifyOrderBody = Static<typeof ModifyOrderBody>;

export const OrderIdBody = Type.Object({ apikey, strategy: Type.Optional(strategy), orderid });
export type OrderIdBody = Static<typeof OrderIdBody>;

export const StrategyBody = Type.Object({ apikey, strategy });
export type StrategyBody = Static<typeof StrategyBody>;

export const BasketBody = Type.Object({
  apikey,
  strategy,
  orders: Type.Array(Type.Object(orderFields), { minItems: 1, maxItems: 100 }),
  clientorderid: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
});
export type BasketBody = Static<typeof BasketBody>;

export const SplitBody = Type.Object({
  ...PlaceOrderBody.properties,
  splitsize: Type.Integer({ minimum: 1, maximum: MAX_QTY }),
});
export type SplitBody = Static<typeof SplitBody>;

export const OpenPositionBody = Type.Object({
  apikey,
  strategy: Type.Optional(strategy),
  symbol,
  exchange: StringEnum(EXCHANGES),
  product: StringEnum(PRODUCTS),
});
export type OpenPositionBody = Static<typeof OpenPositionBody>;

const numeric = Type.Union([
  Type.Number({ minimum: 0 }),
  Type.String({ pattern: '^\\s*\\d+(\\.\\d+)?\\s*$', maxLength: 20 }),
]);
export const MarginBody = Type.Object({
  apikey,
  positions: Type.Array(
    Type.Object({
      symbol: Type.String({ minLength: 1, maxLength: 50 }),
      exchange: StringEnum(EXCHANGES),
      action: StringEnum(ACTIONS),
      quantity: numeric,
      product: StringEnum(PRODUCTS),
      pricetype: StringEnum(PRICE_TYPES),
      price: Type.Optional(numeric),
      trigger_price: Type.Optional(numeric),
    }),
    { minItems: 1, maxItems: 50 },
  ),
});
export type MarginBody = Static<typeof MarginBody>;

export const AnalyzerToggleBody = Type.Object({ apikey, mode: Type.Boolean() });
export type AnalyzerToggleBody = Static<typeof AnalyzerToggleBody>;

export type AnySchema = TSchema;
