// A venue that injects faults (timeouts, 5xx, resets, refused connections, slow answers) and counts what reached it.
import {
  BrokerError,
  type Broker,
  type BrokerEvent,
  type BrokerModify,
  type BrokerOrderRequest,
  type BrokerOrderSnapshot,
  type BrokerTrade,
} from '../../src/ports/broker.js';

/**
 * What one call does:
 * - `ok`: answers at once;
 * - `refused`: connection refused, nothing reaches the venue (`unavailable`);
 * - `timeout-before`: the request is lost on the way, no answer ever;
 * - `timeout-after`: the venue acts on it, the answer never comes;
 * - `5xx-before` / `5xx-after`: a server error, before or after the venue acted (ambiguous: `unknown`);
 * - `reset-after`: the connection drops after the venue acted (`unknown`);
 * - `slow`: the venue acts and answers after `slowMs` (real time).
 */
export type Fault =
  'ok' | 'refused' | 'timeout-before' | 'timeout-after' | '5xx-before' | '5xx-after' | 'reset-after' | 'slow';

export type Operation = 'place' | 'modify' | 'cancel' | 'find' | 'trades';

/** Decides each call's fault; the default answers everything. */
export type FaultPolicy = (op: Operation, callNo: number) => Fault;

/** A deterministic PRNG (mulberry32) so a storm replays from its seed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Picks faults at random with the given weights. */
export function randomFaults(random: () => number, weights: Partial<Record<Fault, number>>): FaultPolicy {
  const entries = Object.entries(weights) as [Fault, number][];
  const total = entries.reduce((s, [, w]) => s + w, 0);
  return () => {
    let r = random() * total;
    for (const [f, w] of entries) {
      if ((r -= w) < 0) return f;
    }
    return 'ok';
  };
}

export class FaultyBroker implements Broker {
  /** Every placeOrder that reached the venue, in order (a duplicate submission shows up twice). */
  readonly received: BrokerOrderRequest[] = [];
  /** Calls attempted per operation, including those that never reached the venue. */
  readonly calls: Record<Operation, number> = { place: 0, modify: 0, cancel: 0, find: 0, trades: 0 };
  readonly snapshots = new Map<string, BrokerOrderSnapshot>();
  policy: FaultPolicy = () => 'ok';
  slowMs = 200;
  /** Called when a placeOrder reaches the venue (e2e tests print a marker). */
  onReceived: (r: BrokerOrderRequest) => void = () => undefined;
  private listeners = new Set<(e: BrokerEvent) => void>();
  private seq = 0;

  constructor(readonly name = 'faulty') {}

  /** How many times the venue received each client order id (any value above 1 is a duplicate order). */
  submissionsById(): Map<string, number> {
    const m = new Map<string, number>();
    for (const r of this.received) m.set(r.clientOrderId, (m.get(r.clientOrderId) ?? 0) + 1);
    return m;
  }

  start(): Promise<void> {
    return Promise.resolve();
  }
  stop(): Promise<void> {
    return Promise.resolve();
  }
  onEvent(l: (e: BrokerEvent) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** Runs `act` (the venue's side effect) as the fault dictates and answers accordingly. */
  private async perform<T>(op: Operation, act: () => T): Promise<T> {
    const fault = this.policy(op, ++this.calls[op]);
    if (fault === 'refused') throw new BrokerError('unavailable', 'connect ECONNREFUSED');
    if (fault === 'timeout-before') return new Promise<T>(() => undefined);
    if (fault === '5xx-before') throw new BrokerError('unknown', 'HTTP 502 Bad Gateway');
    const value = act();
    if (fault === 'timeout-after') return new Promise<T>(() => undefined);
    if (fault === '5xx-after') throw new BrokerError('unknown', 'HTTP 500 Internal Server Error');
    if (fault === 'reset-after') throw new BrokerError('unknown', 'read ECONNRESET');
    if (fault === 'slow') await new Promise((resolve) => setTimeout(resolve, this.slowMs));
    return value;
  }

  placeOrder(r: BrokerOrderRequest): Promise<{ brokerOrderId: string }> {
    return this.perform('place', () => {
      // Like Indian brokers' free-text tags, the venue does not refuse a repeated client id: a duplicate
      // submission would create a second order, which is what the tests count.
      this.received.push(r);
      this.onReceived(r);
      const brokerOrderId = `F${++this.seq}`;
      this.snapshots.set(r.clientOrderId, {
        clientOrderId: r.clientOrderId,
        brokerOrderId,
        status: 'open',
        quantity: r.quantity,
        filledQuantity: 0,
        rejectionReason: null,
      });
      return { brokerOrderId };
    });
  }

  modifyOrder(brokerOrderId: string, changes: BrokerModify): Promise<void> {
    return this.perform('modify', () => {
      for (const [cid, s] of this.snapshots) {
        if (s.brokerOrderId === brokerOrderId) {
          this.snapshots.set(cid, { ...s, quantity: changes.quantity });
          this.emit({ type: 'modified', clientOrderId: cid, brokerOrderId, changes, at: 0 });
        }
      }
    });
  }

  cancelOrder(brokerOrderId: string): Promise<void> {
    return this.perform('cancel', () => {
      for (const [cid, s] of this.snapshots) {
        if (s.brokerOrderId === brokerOrderId && s.status === 'open') {
          this.snapshots.set(cid, { ...s, status: 'cancelled' });
          this.emit({ type: 'cancelled', clientOrderId: cid, brokerOrderId, reason: 'cancelled', at: 0 });
        }
      }
    });
  }

  findOrder(clientOrderId: string): Promise<BrokerOrderSnapshot | null> {
    return this.perform('find', () => this.snapshots.get(clientOrderId) ?? null);
  }

  tradesFor(): Promise<readonly BrokerTrade[]> {
    return this.perform('trades', () => [] as readonly BrokerTrade[]);
  }

  private emit(e: BrokerEvent): void {
    for (const l of this.listeners) l(e);
  }
}
