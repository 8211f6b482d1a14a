// The byte-stream seam between the RPC client and the network. Real transports (unix, tcp,
// tls, ssh) wrap a Node Duplex; unit tests plug an in-memory fake server in here.

export interface Transport {
  /** Queues bytes; returns false when the caller should wait for 'drain' before writing more. */
  write(chunk: Buffer): boolean;
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  /** 'end': the peer closed the connection without an error; 'drain': write() may go on. */
  on(event: 'end' | 'drain', listener: () => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  /**
   * Stops delivering 'data' until resume(). Nothing more is read from the connection: the
   * kernel's socket buffers fill (unix, tcp, tls) or the SSH channel's window is not reopened
   * (ssh), and the peer stops sending. This is the only flow control a libvirt stream has.
   */
  pause(): void;
  /** Delivers 'data' again after pause(). */
  resume(): void;
  /** Closes the connection and releases what it holds. Idempotent. */
  close(): void;
  /** For messages and logs, e.g. "unix:/run/libvirt/libvirt-sock". */
  readonly description: string;
}
