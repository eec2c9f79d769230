// A scriptable broker for fault injection: it records what it received and answers as told.
import {
  BrokerError,
  type Broker,
  type BrokerEvent,
  type BrokerModify,
  type BrokerOrderRequest,
  type BrokerOrderSnapshot,
  type BrokerTrade,
} from '../../src/ports/broker.js';

/** What the next placeOrder does. `lost-timeout`: the request never arrives; `timeout`: it arrives, the answer doesn't. */
export type Behaviour = 'accept' | 'fill' | 'reject' | 'unavailable' | 'timeout' | 'lost-timeout' | 'reset';

export class FakeBroker implements Broker {
  readonly name = 'fake';
  readonly received: BrokerOrderRequest[] = [];
  readonly snapshots = new Map<string, BrokerOrderSnapshot>();
  readonly trades = new Map<string, BrokerTrade[]>();
  next: Behaviour[] = [];
  private listeners = new Set<(e: BrokerEvent) => void>();
  private seq = 0;

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

  placeOrder(r: BrokerOrderRequest): Promise<{ brokerOrderId: string }> {
    const behaviour = this.next.shift() ?? 'accept';
    if (behaviour === 'unavailable')
      return Promise.reject(new BrokerError('unavailable', 'connection refused'));
    if (behaviour === 'lost-timeout') return new Promise(() => undefined);
    if (behaviour === 'reject') return Promise.reject(new BrokerError('rejected', 'RMS: margin shortfall'));
    if (this.received.some((x) => x.clientOrderId === r.clientOrderId)) {
      return Promise.reject(new BrokerError('rejected', 'duplicate client order id'));
    }
    this.received.push(r);
    const brokerOrderId = `B${++this.seq}`;
    const filled = behaviour === 'fill' || behaviour === 'timeout';
    this.snapshots.set(r.clientOrderId, {
      clientOrderId: r.clientOrderId,
      brokerOrderId,
      status: filled ? 'complete' : 'open',
      quantity: r.quantity,
      filledQuantity: filled ? r.quantity : 0,
      rejectionReason: null,
    });
    if (filled) {
      this.trades.set(r.clientOrderId, [
        {
          tradeId: `T${this.seq}`,
          clientOrderId: r.clientOrderId,
          brokerOrderId,
          quantity: r.quantity,
          price: 1_000_000,
          at: 0,
        },
      ]);
    }
    if (behaviour === 'timeout') return new Promise(() => undefined);
    if (behaviour === 'reset') return Promise.reject(new BrokerError('unknown', 'ECONNRESET after send'));
    if (behaviour === 'fill') {
      for (const t of this.trades.get(r.clientOrderId) ?? []) this.emit({ type: 'fill', ...t });
    }
    return Promise.resolve({ brokerOrderId });
  }

  private emit(e: BrokerEvent): void {
    for (const l of this.listeners) l(e);
  }

  modifyOrder(brokerOrderId: string, changes: BrokerModify): Promise<void> {
    return Promise.reject(
      new BrokerError(
        'rejected',
        `modify of ${brokerOrderId} to ${changes.quantity} is not supported by the fake`,
      ),
    );
  }
  cancelOrder(brokerOrderId: string): Promise<void> {
    for (const [cid, s] of this.snapshots) {
      if (s.brokerOrderId === brokerOrderId) {
        this.snapshots.set(cid, { ...s, status: 'cancelled' });
        this.emit({ type: 'cancelled', clientOrderId: cid, brokerOrderId, reason: 'cancelled', at: 0 });
      }
    }
    return Promise.resolve();
  }
  findOrder(clientOrderId: string): Promise<BrokerOrderSnapshot | null> {
    return Promise.resolve(this.snapshots.get(clientOrderId) ?? null);
  }
  tradesFor(clientOrderId: string): Promise<readonly BrokerTrade[]> {
    return Promise.resolve(this.trades.get(clientOrderId) ?? []);
  }
}
