// The webview side of the shared panel host: posts typed messages to the extension host, sends
// `ready` once the page listens, and correlates requests (`requestId`) with their answers
// (`inReplyTo`). Browser code only.

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

import { INITIAL_MESSAGE_ID } from '../initialMessage';

type WithoutRequestId<M> = M extends { readonly requestId: number } ? Omit<M, 'requestId'> : never;

export class HostChannel<To extends { readonly type: string }, From extends { readonly type: string }> {
  private readonly api = acquireVsCodeApi();
  private nextRequest = 1;
  private readonly waiting = new Map<number, (reply: To) => void>();

  private initial: To | undefined;

  /**
   * Starts listening, then says `ready` (the host posts nothing but `init` before that). A page
   * with an embedded first message says which `version` of it it drew (`stateVersion`).
   */
  constructor(onMessage: (m: To) => void) {
    this.initial = this.readInitial();
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
    const version = (this.initial as { readonly version?: unknown } | undefined)?.version;
    this.api.postMessage(typeof version === 'number' ? { type: 'ready', stateVersion: version } : { type: 'ready' });
  }

  /** The message the host embedded in the page (its first state), once; undefined when there is none. */
  takeInitial(): To | undefined {
    const m = this.initial;
    this.initial = undefined;
    return m;
  }

  /**
   * The embedded message, on the page's first load only: VS Code loads the same page again when a
   * hidden tab is shown (the webview's saved state survives that), and the embedded state may be
   * old by then, so that page waits for the host's answer to `ready` instead.
   */
  private readInitial(): To | undefined {
    const node = document.getElementById(INITIAL_MESSAGE_ID);
    const saved = this.api.getState() as { readonly initialTaken?: unknown } | undefined;
    if (!node || saved?.initialTaken === true) return undefined;
    this.api.setState({ ...(typeof saved === 'object' && saved !== null ? saved : {}), initialTaken: true });
    try {
      const m = JSON.parse(node.textContent ?? '') as unknown;
      return typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string' ? (m as To) : undefined;
    } catch {
      return undefined;
    }
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
