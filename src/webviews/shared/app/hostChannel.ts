// The webview side of the shared panel host: posts typed messages to the extension host, sends
// `ready` once the page listens, and correlates requests (`requestId`) with their answers
// (`inReplyTo`). Browser code only.

interface VsCodeApi {
  postMessage(message: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

type WithoutRequestId<M> = M extends { readonly requestId: number } ? Omit<M, 'requestId'> : never;

export class HostChannel<To extends { readonly type: string }, From extends { readonly type: string }> {
  private readonly api = acquireVsCodeApi();
  private nextRequest = 1;
  private readonly waiting = new Map<number, (reply: To) => void>();

  /** Starts listening, then says `ready` (the host posts nothing but `init` before that). */
  constructor(onMessage: (m: To) => void) {
    window.addEventListener('message', (e: MessageEvent<unknown>) => {
      const m = e.data as To & { readonly inReplyTo?: unknown };
      if (typeof m !== 'object' || m === null || typeof m.type !== 'string') return;
      if (typeof m.inReplyTo === 'number') {
        const resolve = this.waiting.get(m.inReplyTo);
        this.waiting.delete(m.inReplyTo);
        resolve?.(m);
        return;
      }
      onMessage(m);
    });
    this.api.postMessage({ type: 'ready' });
  }

  send(m: From): void {
    this.api.postMessage(m);
  }

  /** Sends a request and resolves with the message that answers it. */
  request(m: WithoutRequestId<From>): Promise<To> {
    const requestId = this.nextRequest++;
    return new Promise<To>((resolve) => {
      this.waiting.set(requestId, resolve);
      this.api.postMessage({ ...m, requestId });
    });
  }
}
