import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyFill, averagePrice, emptyPosition, unrealizedPnl } from './position.js';

const start = () => emptyPosition('a', 'NSE', 'SBIN', 'MIS');

describe('position netting', () => {
  it('adds at average cost', () => {
    let p = applyFill(start(), { action: 'BUY', quantity: 10, price: 1_000_000 });
    p = applyFill(p, { action: 'BUY', quantity: 10, price: 1_100_000 });
    expect(p.netQuantity).toBe(20);
    expect(averagePrice(p)).toBe(1_050_000);
    expect(p.realizedPnl).toBe(0);
  });

  it('realizes P&L on the reduced part and keeps the average of the rest', () => {
    let p = applyFill(start(), { action: 'BUY', quantity: 10, price: 1_000_000 });
    p = applyFill(p, { action: 'SELL', quantity: 4, price: 1_100_000 });
    expect(p.netQuantity).toBe(6);
    expect(p.realizedPnl).toBe(400_000); // 4 x 10 rupees
    expect(averagePrice(p)).toBe(1_000_000);
  });

  it('reverses through flat into a new position at the fill price', () => {
    let p = applyFill(start(), { action: 'BUY', quantity: 5, price: 1_000_000 });
    p = applyFill(p, { action: 'SELL', quantity: 8, price: 990_000 });
    expect(p.netQuantity).toBe(-3);
    expect(p.realizedPnl).toBe(-50_000);
    expect(averagePrice(p)).toBe(990_000);
    expect(unrealizedPnl(p, 980_000)).toBe(30_000);
  });

  it('conserves money: realized + unrealized equals cash flows marked at any price', () => {
    const fill = fc.record({
      action: fc.constantFrom('BUY' as const, 'SELL' as const),
      quantity: fc.integer({ min: 1, max: 500 }),
      price: fc.integer({ min: 1, max: 200_000 }).map((t) => t * 500),
    });
    fc.assert(
      fc.property(
        fc.array(fill, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 200_000 }),
        (fills, mark) => {
          let p = start();
          let cash = 0;
          let net = 0;
          for (const f of fills) {
            p = applyFill(p, f);
            cash += (f.action === 'BUY' ? -1 : 1) * f.price * f.quantity;
            net += f.action === 'BUY' ? f.quantity : -f.quantity;
          }
          const markPrice = mark * 500;
          expect(p.netQuantity).toBe(net);
          const total = p.realizedPnl + unrealizedPnl(p, markPrice);
          // Proportional cost removal rounds once per partial close: at most 1 unit each.
          expect(Math.abs(total - (cash + net * markPrice))).toBeLessThanOrEqual(fills.length);
        },
      ),
    );
  });
});
