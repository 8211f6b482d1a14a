// Coalesces bursts of events into few flushes (one coalescer per connection). The first item
// after a quiet period flushes at once (a single state change reaches the tree without waiting);
// items that follow within `delayMs` of a flush are collected and flushed together after a quiet
// `delayMs` (trailing), at the latest `maxDelayMs` after the first of them. Each flush receives
// the set of items collected since the previous flush.

export interface TimerApi {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: TimerApi = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export class Coalescer<T> {
  private readonly pending = new Set<T>();
  private handle: unknown;
  private firstAt = 0;
  private lastFlushAt = Number.NEGATIVE_INFINITY;

  /**
   * @param delayMs quiet time after the last item before flushing a burst; also how long after a
   *   flush the next item counts as part of the same burst
   * @param maxDelayMs flush at the latest this long after the first item of a burst, so a steady
   *   stream of events still updates the tree
   */
  constructor(
    private readonly flush: (items: ReadonlySet<T>) => void,
    private readonly delayMs = 150,
    private readonly maxDelayMs = 1000,
    private readonly timers: TimerApi = realTimers,
    private readonly now: () => number = Date.now,
  ) {}

  add(item: T): void {
    const now = this.now();
    if (this.pending.size === 0 && this.handle === undefined) {
      if (now - this.lastFlushAt >= this.delayMs) {
        // Quiet until now: this is a single change or the start of a burst; either way, show it.
        this.pending.add(item);
        this.fire();
        return;
      }
      this.firstAt = now;
    }
    this.pending.add(item);
    if (this.handle !== undefined) this.timers.clearTimeout(this.handle);
    const waited = this.now() - this.firstAt;
    const delay = Math.max(0, Math.min(this.delayMs, this.maxDelayMs - waited));
    this.handle = this.timers.setTimeout(() => this.fire(), delay);
  }

  /** Flushes immediately if anything is pending. */
  flushNow(): void {
    if (this.handle !== undefined) this.timers.clearTimeout(this.handle);
    this.fire();
  }

  dispose(): void {
    if (this.handle !== undefined) this.timers.clearTimeout(this.handle);
    this.handle = undefined;
    this.pending.clear();
  }

  private fire(): void {
    this.handle = undefined;
    if (this.pending.size === 0) return;
    this.lastFlushAt = this.now();
    const items = new Set(this.pending);
    this.pending.clear();
    this.flush(items);
  }
}
