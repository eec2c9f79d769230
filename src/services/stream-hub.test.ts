// Unit tests of the streaming fan-out: reference counting, mode tagging and the slow-consumer policy.
import { describe, expect, it } from 'vitest';
import { SLOW_CONSUMER_CLOSE, StreamHub, type StreamClient, type StreamMode } from './stream-hub.js';

class FakeClient implements StreamClient {
  sent: string[] = [];
  buffered = 0;
  closed: { code: number; reason: string } | null = null;
  bufferedAmount(): number {
    return this.buffered;
  }
  send(message: string): void {
    this.sent.push(message);
  }
  close(code: number, reason: string): void {
    this.closed = { code, reason };
  }
}

const render = (ltp: number) => (mode: StreamMode) => JSON.stringify({ mode, ltp });
const limits = { softBytes: 100, hardBytes: 1000, maxPending: 3 };

function setup(): { hub: StreamHub; a: FakeClient; b: FakeClient } {
  const hub = new StreamHub(limits);
  const a = new FakeClient();
  const b = new FakeClient();
  hub.addClient('a', a);
  hub.addClient('b', b);
  return { hub, a, b };
}

describe('StreamHub', () => {
  it('delivers a tick to each subscriber tagged with its own mode', () => {
    const { hub, a, b } = setup();
    hub.subscribe('a', 'NSE', 'SBIN', 1);
    hub.subscribe('b', 'NSE', 'SBIN', 3);
    hub.publish('NSE', 'SBIN', 3, render(10));
    expect(a.sent).toEqual([JSON.stringify({ mode: 1, ltp: 10 })]);
    expect(b.sent).toEqual([JSON.stringify({ mode: 3, ltp: 10 })]);
  });

  it('does not send a lower-mode tick to a higher-mode subscriber', () => {
    const { hub, b } = setup();
    hub.subscribe('b', 'NSE', 'SBIN', 3);
    hub.publish('NSE', 'SBIN', 1, render(10));
    expect(b.sent).toEqual([]);
  });

  it('reference-counts instruments across clients and releases them on unsubscribe and removal', () => {
    const { hub } = setup();
    hub.subscribe('a', 'NSE', 'SBIN', 2);
    hub.subscribe('b', 'NSE', 'SBIN', 2);
    hub.subscribe('b', 'NSE', 'INFY', 1);
    expect(hub.subscriberCount('NSE', 'SBIN')).toBe(2);
    expect(hub.unsubscribe('a', 'NSE', 'SBIN')).toBe(true);
    expect(hub.unsubscribe('a', 'NSE', 'SBIN')).toBe(false);
    expect(hub.subscriberCount('NSE', 'SBIN')).toBe(1);
    hub.removeClient('b');
    expect(hub.instruments()).toEqual([]);
  });

  it('unsubscribe_all drops every instrument of one client only', () => {
    const { hub, a, b } = setup();
    hub.subscribe('a', 'NSE', 'SBIN', 2);
    hub.subscribe('a', 'NSE', 'INFY', 2);
    hub.subscribe('b', 'NSE', 'INFY', 2);
    expect(hub.unsubscribeAll('a')).toBe(2);
    hub.publish('NSE', 'INFY', 3, render(1));
    expect(a.sent).toEqual([]);
    expect(b.sent).toHaveLength(1);
    expect(hub.instruments()).toEqual([['NSE', 'INFY']]);
  });

  it('conflates ticks to the latest per symbol while a client is over the soft limit, then flushes', () => {
    const { hub, a, b } = setup();
    hub.subscribe('a', 'NSE', 'SBIN', 1);
    hub.subscribe('b', 'NSE', 'SBIN', 1);
    a.buffered = 500;
    for (let i = 1; i <= 5; i++) hub.publish('NSE', 'SBIN', 3, render(i));
    expect(a.sent).toEqual([]);
    expect(b.sent).toHaveLength(5);
    hub.flush();
    expect(a.sent).toEqual([]);
    a.buffered = 0;
    hub.flush();
    expect(a.sent).toEqual([JSON.stringify({ mode: 1, ltp: 5 })]);
    expect(hub.stats().conflated).toBe(4);
  });

  it('disconnects a client past the hard limit without affecting others', () => {
    const { hub, a, b } = setup();
    hub.subscribe('a', 'NSE', 'SBIN', 2);
    hub.subscribe('b', 'NSE', 'SBIN', 2);
    a.buffered = 5000;
    hub.publish('NSE', 'SBIN', 2, render(1));
    expect(a.closed?.code).toBe(SLOW_CONSUMER_CLOSE);
    expect(b.sent).toHaveLength(1);
    expect(hub.stats()).toMatchObject({ clients: 1, disconnected: 1 });
    expect(hub.send('a', 'x')).toBe(false);
  });

  it('disconnects a slow client whose held ticks exceed the pending bound', () => {
    const { hub, a } = setup();
    for (const s of ['A', 'B', 'C', 'D']) hub.subscribe('a', 'NSE', s, 1);
    a.buffered = 500;
    for (const s of ['A', 'B', 'C']) hub.publish('NSE', s, 1, render(1));
    expect(a.closed).toBeNull();
    hub.publish('NSE', 'D', 1, render(1));
    expect(a.closed?.code).toBe(SLOW_CONSUMER_CLOSE);
  });

  it('send() passes non-tick messages through until the hard limit', () => {
    const { hub, a } = setup();
    a.buffered = 500;
    expect(hub.send('a', 'reply')).toBe(true);
    expect(a.sent).toEqual(['reply']);
  });
});
