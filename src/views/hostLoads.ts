// Which connections of the tree are still opening or listing their VMs for the first time, so that
// work nobody is looking at yet can wait for them.
//
// Each VM's tags need a call of their own (virDomainGetMetadata: no bulk call returns metadata),
// a thousand calls for a thousand VMs. Made while other connections were still connecting, they
// held up those connections: the daemon served the tag reads of the hosts already listed before
// the handshake and listings of the others, and the extension host spent its turns encoding and
// decoding them. Five hosts of 1000 VMs each (bench/scaleBench.ts, six rounds of each build,
// alternating): on the running daemons every VM was listed after 1113 ms (median) with the tag
// reads at once, 820 ms with them waiting; on the test driver, which parses its hosts at every
// open, 1238 ms against 1172 ms.

export class HostLoads {
  private readonly busy = new Set<string>();
  private waiters: (() => void)[] = [];

  /** `key` (a connection id) is connecting or listing its VMs for the first time. */
  begin(key: string): void {
    this.busy.add(key);
  }

  /** `key` has listed its VMs, failed or gone. Ending a key that is not busy does nothing. */
  end(key: string): void {
    if (this.busy.delete(key) && this.busy.size === 0) this.release();
  }

  /** Whether `key` is connecting or listing for the first time. */
  has(key: string): boolean {
    return this.busy.has(key);
  }

  /**
   * Resolves when no connection is loading, when release() is called (the user asked for what
   * the waiting work brings), or after `maxMs`, whichever comes first: a host that takes long to
   * answer does not hold the others' work back for longer than that.
   */
  idle(maxMs: number): Promise<void> {
    if (this.busy.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve();
      };
      const timer = setTimeout(done, maxMs);
      this.waiters.push(done);
    });
  }

  /** Lets everything waiting in idle() go now. */
  release(): void {
    for (const w of [...this.waiters]) w();
  }
}
