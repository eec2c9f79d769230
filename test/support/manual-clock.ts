// A clock tests move by hand; interval timers fire as time is advanced past them.
import type { Clock } from '../../src/ports/clock.js';

export class ManualClock implements Clock {
  private timers: { at: number; every: number; fn: () => void; id: number }[] = [];
  private seq = 0;
  constructor(private t: number) {}

  now(): number {
    return this.t;
  }

  every(ms: number, fn: () => void): () => void {
    const id = ++this.seq;
    this.timers.push({ at: this.t + ms, every: ms, fn, id });
    return () => {
      this.timers = this.timers.filter((x) => x.id !== id);
    };
  }

  /** Moves time forward, firing due timers in time order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const due = this.timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.t = Math.max(this.t, due.at);
      due.at += due.every;
      due.fn();
    }
    this.t = end;
  }

  /** Moves time forward at once, firing each due timer a single time (as a busy event loop coalesces). */
  jump(ms: number): void {
    this.t += ms;
    for (const timer of [...this.timers].sort((a, b) => a.at - b.at)) {
      if (timer.at > this.t) continue;
      timer.at = this.t + timer.every;
      timer.fn();
    }
  }
}
