// Loose TypeScript shapes of the OpenAlgo v1 responses that e2e tests and benches read (numbers may be strings).
export type Num = number | string;

export interface ErrorBody {
  status: 'error';
  message: string;
}

export type PlaceOrderBody = { status: 'success'; orderid: string } | ErrorBody;

export interface OrderStatusData {
  orderid: string;
  symbol: string;
  exchange: string;
  action: string;
  quantity: Num;
  price: Num;
  trigger_price: Num;
  pricetype: string;
  product: string;
  order_status: string;
  average_price: Num;
  timestamp: string;
}

export type OrderStatusBody = { status: 'success'; data: OrderStatusData } | ErrorBody;

export interface OrderbookRow {
  orderid: string;
  symbol: string;
  exchange: string;
  action: string;
  product: string;
  quantity: Num;
  price: Num;
  pricetype: string;
  order_status: string;
  trigger_price: Num;
  timestamp: string;
}

export interface OrderbookStatistics {
  total_buy_orders: Num;
  total_sell_orders: Num;
  total_completed_orders: Num;
  total_open_orders: Num;
  total_rejected_orders: Num;
}

export type OrderbookBody =
  { status: 'success'; data: { orders: OrderbookRow[]; statistics: OrderbookStatistics } } | ErrorBody;

export interface TradebookRow {
  action: string;
  symbol: string;
  exchange: string;
  orderid: string;
  product: string;
  quantity: Num;
  average_price: Num;
  timestamp: string;
  trade_value: Num;
}

export type TradebookBody = { status: 'success'; data: TradebookRow[] } | ErrorBody;

export interface PositionRow {
  symbol: string;
  exchange: string;
  product: string;
  quantity: Num;
  average_price: Num;
  ltp: Num;
  pnl: Num;
}

export type PositionbookBody = { status: 'success'; data: PositionRow[] } | ErrorBody;

export type QuotesBody = { status: 'success'; data: { ltp: Num; bid?: Num; ask?: Num } } | ErrorBody;

/** Coerces an OpenAlgo numeric field (number or numeric string) to a number; NaN when absent. */
export function num(v: Num | undefined | null): number {
  return v === undefined || v === null || v === '' ? Number.NaN : Number(v);
}
