// TLS to libvirtd's listen_tls port (16514). After the TLS handshake the server checks our
// certificate and address and then sends ONE byte, 1, before any RPC; anything else means it
// refused us (libvirt src/rpc/virnetclient.c, virNetClientSetTLSSession).
// tls_priority= is a GnuTLS priority string with no OpenSSL equivalent: it is not applied;
// Node's defaults (TLS 1.2+) are used.

import * as net from 'node:net';
import * as tls from 'node:tls';
import { DuplexTransport } from './duplexTransport';
import { loadPkiCredentials, locatePkiFiles } from './pki';
import { DEFAULT_CONNECT_TIMEOUT_MS, waitConnected } from './socketConnect';
import { formatHostPort } from './tcpTransport';
import type { Transport } from './transport';
import { TlsRejectedError, TransportError } from './transportErrors';

export interface TlsOptions {
  readonly host: string;
  readonly port: number;
  readonly pkipath?: string;
  /** no_verify=1: do not verify the server certificate or its host name. */
  readonly noVerify?: boolean;
  readonly timeoutMs?: number;
}

export async function connectTls(opts: TlsOptions): Promise<Transport> {
  const creds = loadPkiCredentials(locatePkiFiles(opts.pkipath));
  const where = formatHostPort(opts.host, opts.port);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const socket = tls.connect({
    host: opts.host,
    port: opts.port,
    servername: net.isIP(opts.host) ? undefined : opts.host,
    ca: creds.ca,
    cert: creds.cert,
    key: creds.key,
    rejectUnauthorized: !opts.noVerify,
    checkServerIdentity: opts.noVerify ? () => undefined : tls.checkServerIdentity,
  });
  try {
    await waitConnected(socket, `tls ${where}`, 'secureConnect', timeoutMs);
  } catch (err) {
    if (TransportError.is(err) && err.cause instanceof Error && /certificate|self.signed|altnames/i.test(err.cause.message)) {
      throw new TransportError(
        `The TLS certificate of ${where} could not be verified against ${creds.files.caCert}: ${err.cause.message}`,
        { cause: err.cause },
      );
    }
    throw err;
  }
  await readConfirmation(socket, opts.host, timeoutMs);
  socket.setNoDelay(true);
  return new DuplexTransport(socket, `tls:${where}`);
}

function readConfirmation(socket: tls.TLSSocket, host: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new TransportError(`The TLS server ${host} did not confirm the session in ${timeoutMs} ms`)), timeoutMs);
    const onReadable = (): void => {
      const byte = socket.read(1) as Buffer | null;
      if (byte === null) return;
      cleanup();
      if (byte[0] === 1) resolve();
      else fail(new TlsRejectedError(host));
    };
    const onEnd = (): void => fail(new TlsRejectedError(host));
    const onError = (err: Error): void => fail(new TransportError(`TLS connection to ${host} failed: ${err.message}`, { cause: err }));
    const fail = (err: Error): void => {
      cleanup();
      socket.destroy();
      reject(err);
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.off('readable', onReadable);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onError);
    };
    socket.on('readable', onReadable);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
    socket.once('error', onError);
  });
}
