// Reconciliation: resolves in-flight and unknown orders by asking the broker about our order id.
import type { Order } from '../domain/order.js';
import { transition, isWorking } from '../domain/order.js';
import type { Broker } from '../ports/broker.js';
import type { Clock } from '../ports/clock.js';
import { nullErrorReporter, type ErrorReporter } from '../ports/error-reporter.js';
import type { Logger } from '../ports/logger.js';
import { orderChange, type Execution } from './execution.js';
import type { TradingState } from './trading-state.js';

export interface ReconcileReport {
  readonly checked: number;
  readonly resolved: number;
  readonly rejectedUnknownToBroker: number;
  readonly fillsApplied: number;
  readonly failures: number;
}

export class ReconciliationService {
  private running: Promise<ReconcileReport> | null = null;

  constructor(
    private readonly state: TradingState,
    private readonly execution: Execution,
    private readonly brokers: ReadonlyMap<string, Broker>,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly reporter: ErrorReporter = nullErrorReporter,
  ) {}

  /** Checks every working order against its broker; one run at a time. */
  reconcile(): Promise<ReconcileReport> {
    this.running ??= this.run().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async run(): Promise<ReconcileReport> {
    const orders: Order[] = [];
    for (const b of this.state.allBooks()) {
      for (const id of b.working) {
        const o = b.orders.get(id);
        if (o) orders.push(o);
      }
    }
    let resolved = 0;
    let rejectedUnknownToBroker = 0;
    let fillsApplied = 0;
    let failures = 0;
    for (const o of orders) {
      const broker = this.brokers.get(o.broker);
      if (!broker) continue;
      try {
        const outcome = await this.reconcileOne(o, broker);
        fillsApplied += outcome.fills;
        if (outcome.unknownToBroker) rejectedUnknownToBroker++;
        if (outcome.changed) resolved++;
      } catch (e) {
        failures++;
        this.log.warn(
          { err: e, orderId: o.orderId },
          'reconciliation could not reach the broker; will retry',
        );
      }
    }
    const report = { checked: orders.length, resolved, rejectedUnknownToBroker, fillsApplied, failures };
    if (orders.length > 0) this.log.info(report, 'reconciliation finished');
    if (resolved > 0) {
      this.reporter.recovery({
        action: 'reconciliation_resolved',
        component: 'reconciliation',
        detail: {
          resolved,
          fills_applied: fillsApplied,
          rejected_unknown_to_broker: rejectedUnknownToBroker,
        },
      });
    }
    return report;
  }

  private async reconcileOne(
    o: Order,
    broker: Broker,
  ): Promise<{ changed: boolean; fills: number; unknownToBroker: boolean }> {
    const snap = await broker.findOrder(o.orderId);
    if (!snap) {
      if (o.status !== 'pending_submit' && o.status !== 'unknown') {
        this.log.error(
          { orderId: o.orderId, status: o.status },
          'broker lost a working order; needs an operator',
        );
        return { changed: false, fills: 0, unknownToBroker: false };
      }
      // Never acknowledged and the venue has never seen it: it is safe to call it rejected.
      const next = transition(o, 'rejected', this.clock.now(), {
        rejectionReason: 'not received by the broker (reconciled)',
      });
      this.state.putOrder(next);
      await this.execution.persist(o.orderId, [
        orderChange(next, 'rejected', { reason: next.rejectionReason }),
      ]);
      return { changed: true, fills: 0, unknownToBroker: true };
    }
    const at = this.clock.now();
    const before = this.state.findOrder(o.orderId);
    this.execution.handle(
      {
        type: 'accepted',
        clientOrderId: o.orderId,
        brokerOrderId: snap.brokerOrderId,
        triggerPending: snap.status === 'trigger_pending',
        at,
      },
      broker.name,
    );
    let fills = 0;
    if (snap.filledQuantity > (this.state.findOrder(o.orderId)?.filledQuantity ?? 0)) {
      for (const t of await broker.tradesFor(o.orderId)) {
        const had = this.state.hasTrade(o.orderId, t.tradeId);
        this.execution.handle({ type: 'fill', ...t }, broker.name);
        if (!had && this.state.hasTrade(o.orderId, t.tradeId)) fills++;
      }
    }
    if (snap.status === 'cancelled' || snap.status === 'rejected' || snap.status === 'expired') {
      const current = this.state.findOrder(o.orderId);
      if (current && isWorking(current)) {
        this.execution.handle(
          {
            type: snap.status,
            clientOrderId: o.orderId,
            brokerOrderId: snap.brokerOrderId,
            reason: snap.rejectionReason ?? `${snap.status} at the broker (reconciled)`,
            at,
          },
          broker.name,
        );
      }
    }
    await this.execution.settled(o.orderId);
    const after = this.state.findOrder(o.orderId);
    return { changed: after?.seq !== before?.seq, fills, unknownToBroker: false };
  }
}
