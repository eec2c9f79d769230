// Order validation rules OpenAlgo users rely on: products per segment, lots, ticks, price fields.
import { isOnTick, toNumber } from './decimal.js';
import { AppError } from './errors.js';
import { CASH_EXCHANGES, DERIVATIVE_EXCHANGES, INDEX_EXCHANGES, type Instrument } from './instrument.js';
import type { OrderRequest } from './order.js';

/** Checks a request against its instrument; throws `AppError` naming the first problem. */
export function validateOrderRequest(req: OrderRequest, inst: Instrument): void {
  if (INDEX_EXCHANGES.has(inst.exchange)) {
    throw new AppError(
      'PRODUCT_NOT_ALLOWED',
      `${inst.exchange} instruments are indices and cannot be traded`,
    );
  }
  if (CASH_EXCHANGES.has(inst.exchange) && req.product === 'NRML') {
    throw new AppError(
      'PRODUCT_NOT_ALLOWED',
      `product NRML is not allowed on ${inst.exchange} (cash segment); use CNC or MIS`,
    );
  }
  if (DERIVATIVE_EXCHANGES.has(inst.exchange) && req.product === 'CNC') {
    throw new AppError(
      'PRODUCT_NOT_ALLOWED',
      `product CNC is not allowed on ${inst.exchange} (derivatives); use NRML or MIS`,
    );
  }
  if (!Number.isSafeInteger(req.quantity) || req.quantity <= 0) {
    throw new AppError('VALIDATION', 'quantity must be a positive whole number');
  }
  if (inst.lotSize > 1 && req.quantity % inst.lotSize !== 0) {
    throw new AppError(
      'LOT_SIZE',
      `quantity ${req.quantity} is not a multiple of the lot size ${inst.lotSize} of ${inst.symbol}`,
    );
  }
  if (inst.freezeQty !== null && req.quantity > inst.freezeQty) {
    throw new AppError(
      'RISK_LIMIT',
      `quantity ${req.quantity} exceeds the freeze quantity ${inst.freezeQty} of ${inst.symbol}; use splitorder`,
    );
  }
  if (req.disclosedQuantity < 0 || req.disclosedQuantity > req.quantity) {
    throw new AppError('VALIDATION', 'disclosed_quantity must be between 0 and quantity');
  }
  const needsPrice = req.priceType === 'LIMIT' || req.priceType === 'SL';
  const needsTrigger = req.priceType === 'SL' || req.priceType === 'SL-M';
  if (needsPrice && req.price <= 0) {
    throw new AppError('VALIDATION', `price must be greater than 0 for ${req.priceType} orders`);
  }
  if (needsTrigger && req.triggerPrice <= 0) {
    throw new AppError('VALIDATION', `trigger_price must be greater than 0 for ${req.priceType} orders`);
  }
  if (needsPrice && !isOnTick(req.price, inst.tickSize)) {
    throw new AppError(
      'TICK_SIZE',
      `price ${toNumber(req.price)} is not a multiple of the tick size ${toNumber(inst.tickSize)} of ${inst.symbol}`,
    );
  }
  if (needsTrigger && !isOnTick(req.triggerPrice, inst.tickSize)) {
    throw new AppError(
      'TICK_SIZE',
      `trigger_price ${toNumber(req.triggerPrice)} is not a multiple of the tick size ${toNumber(inst.tickSize)} of ${inst.symbol}`,
    );
  }
  if (req.priceType === 'SL') {
    if (req.action === 'BUY' && req.triggerPrice > req.price) {
      throw new AppError('VALIDATION', 'trigger_price must not be above price for an SL BUY order');
    }
    if (req.action === 'SELL' && req.triggerPrice < req.price) {
      throw new AppError('VALIDATION', 'trigger_price must not be below price for an SL SELL order');
    }
  }
}
