// Time-ordered decimal ids: 13-digit epoch ms + 1-digit instance + 3-digit sequence (17 digits).
import { randomUUID } from 'node:crypto';
import type { Clock } from '../ports/clock.js';
import type { IdGenerator } from '../ports/id-generator.js';

class Sequence {
  private lastMs = 0;
  private seq = 0;
  constructor(
    private readonly clock: Clock,
    private readonly instance: number,
  ) {}

  next(): string {
    const now = this.clock.now();
    if (now > this.lastMs) {
      this.lastMs = now;
      this.seq = 0;
    } else if (++this.seq > 999) {
      // More than 1,000 ids in one millisecond (or the clock stepped back): borrow the next millisecond.
      this.lastMs += 1;
      this.seq = 0;
    }
    return `${String(this.lastMs).padStart(13, '0')}${this.instance}${String(this.seq).padStart(3, '0')}`;
  }
}

export function timeIds(clock: Clock, instance = 0): IdGenerator {
  if (!Number.isInteger(instance) || instance < 0 || instance > 9)
    throw new RangeError('instance must be 0-9');
  const orders = new Sequence(clock, instance);
  const trades = new Sequence(clock, instance);
  return {
    orderId: () => orders.next(),
    tradeId: () => `T${trades.next()}`,
    id: () => randomUUID(),
  };
}
