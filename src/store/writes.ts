// The SQL each kind of change writes; every statement is parameterised and portable.
import type { Change } from '../ports/store.js';

/**
 * One statement to run: SQL, parameters, whether it must change a row (else the unit conflicts), and for
 * projection upserts the row they overwrite: within one transaction only the last upsert of a row matters.
 */
export type Stmt = readonly [sql: string, params: readonly unknown[], mustChange?: boolean, row?: string];

const UPSERT_ORDER = `INSERT INTO orders (order_id, account_id, broker, broker_order_id, strategy, exchange, symbol,
  action, quantity, price_type, product, price, trigger_price, disclosed_quantity, validity, status, filled_quantity,
  filled_value, rejection_reason, request_id, created_at, updated_at, seq)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (order_id) DO UPDATE SET broker_order_id = excluded.broker_order_id, quantity = excluded.quantity,
  price_type = excluded.price_type, price = excluded.price, trigger_price = excluded.trigger_price,
  disclosed_quantity = excluded.disclosed_quantity, status = excluded.status,
  filled_quantity = excluded.filled_quantity, filled_value = excluded.filled_value,
  rejection_reason = excluded.rejection_reason, updated_at = excluded.updated_at, seq = excluded.seq`;

const INSERT_EVENT =
  'INSERT INTO order_events (order_id, seq, type, at, request_id, data) VALUES (?, ?, ?, ?, ?, ?)';

const INSERT_FILL = `INSERT INTO fills (broker, trade_id, order_id, account_id, exchange, symbol, product, action,
  quantity, price, strategy, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (broker, trade_id) DO NOTHING`;

const UPSERT_POSITION = `INSERT INTO positions (account_id, exchange, symbol, product, net_quantity, open_cost,
  realized_pnl, buy_quantity, sell_quantity, buy_value, sell_value) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (account_id, exchange, symbol, product) DO UPDATE SET net_quantity = excluded.net_quantity,
  open_cost = excluded.open_cost, realized_pnl = excluded.realized_pnl, buy_quantity = excluded.buy_quantity,
  sell_quantity = excluded.sell_quantity, buy_value = excluded.buy_value, sell_value = excluded.sell_value`;

const UPSERT_ACCOUNT = `INSERT INTO accounts (account_id, user_id, cash, settled_day) VALUES (?, ?, ?, ?)
  ON CONFLICT (account_id) DO UPDATE SET cash = excluded.cash, settled_day = excluded.settled_day`;

const UPSERT_HOLDING = `INSERT INTO holdings (account_id, exchange, symbol, quantity, cost) VALUES (?, ?, ?, ?, ?)
  ON CONFLICT (account_id, exchange, symbol) DO UPDATE SET quantity = excluded.quantity, cost = excluded.cost`;

const CLAIM_IDEMPOTENCY = `INSERT INTO idempotency_keys (scope, idem_key, fingerprint, state, status_code,
  response_body, created_at, expires_at, request_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (scope, idem_key) DO NOTHING`;

const FINISH_IDEMPOTENCY = `INSERT INTO idempotency_keys (scope, idem_key, fingerprint, state, status_code,
  response_body, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (scope, idem_key) DO UPDATE SET
  state = excluded.state, status_code = excluded.status_code, response_body = excluded.response_body,
  expires_at = excluded.expires_at`;

const UPSERT_VENUE_ORDER = `INSERT INTO venue_orders (venue, client_order_id, broker_order_id, account_id, payload,
  status, filled_quantity, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (venue, client_order_id)
  DO UPDATE SET payload = excluded.payload, status = excluded.status, filled_quantity = excluded.filled_quantity,
  updated_at = excluded.updated_at`;

const INSERT_VENUE_TRADE = `INSERT INTO venue_trades (venue, trade_id, client_order_id, broker_order_id, quantity,
  price, at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (venue, trade_id) DO NOTHING`;

/** Appends the statements that persist one change. Pure: no I/O, so any executor can run them. */
export function statementsFor(c: Change, out: Stmt[]): void {
  switch (c.kind) {
    case 'order': {
      const o = c.order;
      out.push([
        UPSERT_ORDER,
        [
          o.orderId,
          o.accountId,
          o.broker,
          o.brokerOrderId,
          o.strategy,
          o.exchange,
          o.symbol,
          o.action,
          o.quantity,
          o.priceType,
          o.product,
          o.price,
          o.triggerPrice,
          o.disclosedQuantity,
          o.validity,
          o.status,
          o.filledQuantity,
          o.filledValue,
          o.rejectionReason,
          o.requestId,
          o.createdAt,
          o.updatedAt,
          o.seq,
        ],
        false,
        `orders|${o.orderId}`,
      ]);
      const e = c.event;
      out.push([INSERT_EVENT, [e.orderId, e.seq, e.type, e.at, e.requestId, JSON.stringify(e.data)]]);
      return;
    }
    case 'fill': {
      const f = c.fill;
      out.push([
        INSERT_FILL,
        [
          f.broker,
          f.tradeId,
          f.orderId,
          f.accountId,
          f.exchange,
          f.symbol,
          f.product,
          f.action,
          f.quantity,
          f.price,
          f.strategy,
          f.timestamp,
        ],
      ]);
      return;
    }
    case 'position': {
      const p = c.position;
      out.push([
        UPSERT_POSITION,
        [
          p.accountId,
          p.exchange,
          p.symbol,
          p.product,
          p.netQuantity,
          p.openCost,
          p.realizedPnl,
          p.buyQuantity,
          p.sellQuantity,
          p.buyValue,
          p.sellValue,
        ],
        false,
        `positions|${p.accountId}|${p.exchange}|${p.symbol}|${p.product}`,
      ]);
      return;
    }
    case 'account': {
      const a = c.account;
      out.push([UPSERT_ACCOUNT, [a.accountId, a.userId, a.cash, a.settledDay]]);
      return;
    }
    case 'holding': {
      const h = c.holding;
      if (h.quantity === 0) {
        out.push([
          'DELETE FROM holdings WHERE account_id = ? AND exchange = ? AND symbol = ?',
          [h.accountId, h.exchange, h.symbol],
        ]);
      } else {
        out.push([UPSERT_HOLDING, [h.accountId, h.exchange, h.symbol, h.quantity, h.cost]]);
      }
      return;
    }
    case 'idempotency_claim':
    case 'idempotency_done': {
      const r = c.record;
      const params = [
        r.scope,
        r.key,
        r.fingerprint,
        r.state,
        r.statusCode,
        r.responseBody,
        r.createdAt,
        r.expiresAt,
      ];
      if (c.kind === 'idempotency_done') {
        out.push([FINISH_IDEMPOTENCY, params]);
        return;
      }
      out.push([CLAIM_IDEMPOTENCY, [...params, r.requestId ?? null], true]);
      return;
    }
    case 'idempotency_release': {
      out.push([
        "DELETE FROM idempotency_keys WHERE scope = ? AND idem_key = ? AND state = 'in_flight'",
        [c.scope, c.key],
      ]);
      return;
    }
    case 'venue_order': {
      const v = c.record;
      out.push([
        UPSERT_VENUE_ORDER,
        [
          v.venue,
          v.clientOrderId,
          v.brokerOrderId,
          v.accountId,
          v.payload,
          v.status,
          v.filledQuantity,
          v.updatedAt,
        ],
        false,
        `venue_orders|${v.venue}|${v.clientOrderId}`,
      ]);
      return;
    }
    case 'venue_trade': {
      const t = c.record;
      out.push([
        INSERT_VENUE_TRADE,
        [t.venue, t.tradeId, t.clientOrderId, t.brokerOrderId, t.quantity, t.price, t.at],
      ]);
      return;
    }
  }
}
