// The stop-type operations this client asked libvirt for (shut down, force off, save, migrate,
// revert), so that a "VM stopped" event can be told apart from a stop that someone or something
// else caused (another client, the guest itself, the OOM killer). Connection records every such
// call it makes; the alert monitor consumes a record when the matching stop event arrives.

/** How long a recorded stop request explains a stop event (a guest may take minutes to shut down). */
export const STOP_INTENT_WINDOW_MS = 10 * 60_000;

export interface StopIntentRecorder {
  /** The client asked libvirt to stop (or move away) the domain with this UUID. */
  recordStop(uuid: string): void;
}

export class OperationJournal implements StopIntentRecorder {
  private readonly stops = new Map<string, number>();

  constructor(
    private readonly clock: () => number = Date.now,
    private readonly windowMs = STOP_INTENT_WINDOW_MS,
  ) {}

  recordStop(uuid: string): void {
    this.stops.set(uuid, this.clock());
  }

  /** Whether a recorded request explains a stop of this VM now; the record is used up. */
  consumeStop(uuid: string): boolean {
    const at = this.stops.get(uuid);
    this.stops.delete(uuid);
    this.prune();
    return at !== undefined && this.clock() - at <= this.windowMs;
  }

  private prune(): void {
    const now = this.clock();
    for (const [uuid, at] of this.stops) if (now - at > this.windowMs) this.stops.delete(uuid);
  }
}
