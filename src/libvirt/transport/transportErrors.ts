// Errors raised while establishing a transport, each with a static is() guard.

/** The connection could not be established (socket missing, refused, timed out, auth failed...). */
export class TransportError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransportError';
  }

  static is(e: unknown): e is TransportError {
    return e instanceof TransportError;
  }
}

/** The TLS server did not confirm the session: it rejected our certificate or our address. */
export class TlsRejectedError extends TransportError {
  constructor(readonly host: string) {
    super(
      `The libvirt server ${host} rejected the TLS session after the handshake: it did not accept our ` +
        'client certificate or our address (check tls_allowed_dn_list and the client certificate on the server)',
    );
    this.name = 'TlsRejectedError';
  }

  static override is(e: unknown): e is TlsRejectedError {
    return e instanceof TlsRejectedError;
  }
}

/** The SSH server presented a key different from the one recorded in known_hosts. */
export class HostKeyMismatchError extends TransportError {
  constructor(
    readonly host: string,
    readonly fingerprint: string,
    readonly knownHostsFile: string,
  ) {
    super(
      `The SSH host key of ${host} has CHANGED (now ${fingerprint}). This may be an attack; if the key ` +
        `changed legitimately, remove the old entry from ${knownHostsFile}.`,
    );
    this.name = 'HostKeyMismatchError';
  }

  static override is(e: unknown): e is HostKeyMismatchError {
    return e instanceof HostKeyMismatchError;
  }
}

/** The SSH host key is not known and was not accepted (no prompt available, or the user declined). */
export class HostKeyRejectedError extends TransportError {
  constructor(
    readonly host: string,
    readonly fingerprint: string,
  ) {
    super(`The SSH host key of ${host} (${fingerprint}) is not known and was not accepted`);
    this.name = 'HostKeyRejectedError';
  }

  static override is(e: unknown): e is HostKeyRejectedError {
    return e instanceof HostKeyRejectedError;
  }
}

/** A remote command ran past its time limit or wrote more than allowed; its channel was closed. */
export class RemoteCommandLimitError extends TransportError {
  constructor(
    readonly what: string,
    readonly limit: 'time' | 'size',
    /** Milliseconds for 'time', bytes for 'size'. */
    readonly value: number,
  ) {
    super(
      limit === 'time'
        ? `${what} did not finish within ${Math.round(value / 1000)} s; it was stopped`
        : `${what} sent more than ${Math.round(value / 1048576)} MiB; it was stopped`,
    );
    this.name = 'RemoteCommandLimitError';
  }

  static override is(e: unknown): e is RemoteCommandLimitError {
    return e instanceof RemoteCommandLimitError;
  }
}
