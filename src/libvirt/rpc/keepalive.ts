// libvirt's keepalive protocol (src/rpc/virkeepaliveprotocol.x): PING/PONG MESSAGE packets with
// an empty payload on program 0x6b656570. We answer the server's PINGs and ping on silence
// ourselves, like virKeepAlive in libvirt's client, to notice a dead TCP peer or SSH tunnel.

/** Pings on silence and declares the peer dead after `count` unanswered pings. */
export class KeepaliveTimer {
  private timer: NodeJS.Timeout | undefined;
  private unanswered = 0;
  private held = false;

  constructor(
    private readonly intervalMs: number,
    private readonly count: number,
    private readonly sendPing: () => void,
    private readonly onDead: () => void,
  ) {}

  start(): void {
    if (this.intervalMs <= 0 || this.timer) return;
    this.timer = setTimeout(() => this.fire(), this.intervalMs);
    this.timer.unref();
  }

  /** Any packet from the peer proves it alive. */
  activity(): void {
    this.unanswered = 0;
    this.timer?.refresh();
  }

  /**
   * While reading is paused on purpose (a stream's consumer is behind), the peer's answers wait
   * unread in the socket: keep pinging (libvirtd counts any packet from us as a sign of life)
   * but do not count the pings as unanswered. Counting starts afresh when reading resumes.
   */
  hold(held: boolean): void {
    this.held = held;
    this.unanswered = 0;
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private fire(): void {
    if (this.unanswered >= this.count) {
      this.stop();
      this.onDead();
      return;
    }
    if (!this.held) this.unanswered++;
    this.sendPing();
    this.timer?.refresh();
  }
}
