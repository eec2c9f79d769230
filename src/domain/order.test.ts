import { describe, expect, it } from 'vitest';
import { ORDER_STATUSES, ORDER_TRANSITIONS, TERMINAL_STATUSES, canTransition, wireStatus } from './order.js';

describe('order status machine', () => {
  it('has no way out of a terminal status', () => {
    for (const s of TERMINAL_STATUSES) expect(ORDER_TRANSITIONS[s]).toEqual([]);
  });

  it('never turns an unknown outcome back into a pending submit', () => {
    expect(canTransition('unknown', 'pending_submit')).toBe(false);
    expect(canTransition('unknown', 'complete')).toBe(true);
    expect(canTransition('open', 'trigger_pending')).toBe(false);
  });

  it('maps every status to an OpenAlgo status string', () => {
    const wire = new Set(ORDER_STATUSES.map(wireStatus));
    expect([...wire].sort()).toEqual([
      'cancelled',
      'complete',
      'expired',
      'open',
      'pending',
      'rejected',
      'trigger pending',
    ]);
  });
});
