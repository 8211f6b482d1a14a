// TLS to a VM's display (VNC VeNCrypt x509, SPICE tls-port), ended in the extension host so that
// the viewers in the webview (noVNC, spice-html5) see a plain stream. The credentials are the
// connection's libvirt PKI files (src/libvirt/transport/pki.ts: pkipath= in the URI, else
// /etc/pki/CA/cacert.pem + /etc/pki/libvirt/clientcert.pem + private/clientkey.pem for root, or
// ~/.pki/libvirt/ for other users), as virt-viewer's users keep one PKI per host. QEMU's display
// TLS (qemu.conf vnc_tls / spice_tls, libvirt's docs "Graphical framebuffers") checks the
// client certificate by default (vnc_tls_x509_verify / spice_tls_x509_verify), so the client
// certificate and key are required.
//
// What is verified of the server (QEMU's display server certificate, from the host's
// vnc_tls_x509_cert_dir / spice_tls_x509_cert_dir):
//   - its chain up to the connection's CA certificate (nothing else is trusted, not the system
//     store: the display belongs to the libvirt host, whose PKI the user set up);
//   - its host name, when the connection's URI names a host (qemu+tls://host, qemu+ssh://host):
//     the display is that host's, reached directly or through the SSH forward. For a local
//     connection (qemu:///system) the certificate names the machine as the host's admin chose and
//     only the chain is checked. no_verify=1 in the URI turns both checks off, as it does for
//     libvirt's own TLS.
// qemu's vnc_tls_x509_verify (ui/vnc-auth-vencrypt.c) is the reverse direction: the server
// checking the client certificate; that is QEMU's side.

import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import { parseUri } from '../libvirt/uri';
import { locatePkiFiles, type PkiFiles } from '../libvirt/transport/pki';
import * as fs from 'node:fs';

/** Where the display's TLS credentials come from and what to verify. */
export interface DisplayTlsConfig {
  readonly files: PkiFiles;
  /** The host name the server certificate must name; undefined = chain only. */
  readonly verifyHost: string | undefined;
  /** no_verify=1: neither the chain nor the name is checked. */
  readonly noVerify: boolean;
}

export class DisplayTlsError extends Error {
  override readonly name = 'DisplayTlsError';
  /**
   * @param lasting a problem another attempt cannot fix (missing credentials, a certificate that
   *   does not verify): the console stops and says so instead of reconnecting. A timeout or a
   *   dropped handshake is not lasting.
   */
  constructor(
    message: string,
    readonly lasting = false,
  ) {
    super(message);
  }
  static is(e: unknown): e is DisplayTlsError {
    return e instanceof DisplayTlsError;
  }
}

/** The display TLS settings of a libvirt connection URI. */
export function displayTlsForUri(uriText: string): DisplayTlsConfig {
  const uri = parseUri(uriText);
  return {
    files: locatePkiFiles(uri.params.pkipath),
    verifyHost: uri.transport === 'unix' ? undefined : uri.host,
    noVerify: uri.params.noVerify === true,
  };
}

interface LoadedCredentials {
  readonly ca: Buffer;
  readonly cert: Buffer;
  readonly key: Buffer;
}

function loadCredentials(cfg: DisplayTlsConfig, what: string): LoadedCredentials {
  const read = (file: string): Buffer | undefined => {
    try {
      return fs.readFileSync(file);
    } catch {
      return undefined;
    }
  };
  const ca = read(cfg.files.caCert);
  if (!ca && !cfg.noVerify) {
    throw new DisplayTlsError(
      `${what} requires TLS but the CA certificate '${cfg.files.caCert}' to verify it cannot be read (set pkipath= in the connection URI to the directory with cacert.pem, clientcert.pem and clientkey.pem)`,
      true,
    );
  }
  // QEMU checks client certificates by default (qemu.conf default_tls_x509_verify = 1), and over
  // TLS 1.3 a missing one shows only after the handshake as a bare alert: require it up front.
  const cert = read(cfg.files.clientCert);
  if (!cert) throw new DisplayTlsError(`${what} requires TLS but no client certificate was found in '${cfg.files.clientCert}' (set pkipath= in the connection URI to the directory with cacert.pem, clientcert.pem and clientkey.pem)`, true);
  const key = read(cfg.files.clientKey);
  if (!key) throw new DisplayTlsError(`${what} requires TLS but the key of the client certificate cannot be read from '${cfg.files.clientKey}'`, true);
  return { ca: ca ?? Buffer.alloc(0), cert, key };
}

function hostForCheck(host: string): string {
  return host.replace(/^\[|\]$/g, '');
}

/**
 * Runs a TLS handshake over `socket` (already connected; for VNC after the VeNCrypt exchange) and
 * resolves with the TLS socket once the server certificate is verified. `what` names the
 * display in errors ("the VNC display of vm1").
 */
export function startDisplayTls(socket: Duplex, cfg: DisplayTlsConfig, what: string, timeoutMs = 10_000): Promise<tls.TLSSocket> {
  let creds: LoadedCredentials;
  try {
    creds = loadCredentials(cfg, what);
  } catch (e) {
    socket.destroy();
    return Promise.reject(e instanceof Error ? e : new Error(String(e)));
  }
  const host = cfg.verifyHost === undefined ? undefined : hostForCheck(cfg.verifyHost);
  return new Promise((resolve, reject) => {
    const t = tls.connect({
      socket,
      ca: cfg.noVerify ? undefined : creds.ca,
      cert: creds.cert,
      key: creds.key,
      servername: host !== undefined && !net.isIP(host) ? host : undefined,
      rejectUnauthorized: !cfg.noVerify,
      checkServerIdentity: (_name, cert) => (cfg.noVerify || host === undefined ? undefined : tls.checkServerIdentity(host, cert)),
    });
    const timer = setTimeout(() => fail(new DisplayTlsError(`the TLS handshake with ${what} did not finish in ${timeoutMs} ms`)), timeoutMs);
    timer.unref();
    const fail = (err: Error): void => {
      clearTimeout(timer);
      t.destroy();
      socket.destroy();
      reject(err);
    };
    t.once('secureConnect', () => {
      clearTimeout(timer);
      t.removeListener('error', onError);
      t.setNoDelay?.(true);
      resolve(t);
    });
    const onError = (err: Error & { code?: string }): void => {
      const certProblem = /certificate|self.signed|altnames|unable to verify|CERT_/i.test(`${err.code ?? ''} ${err.message}`);
      if (certProblem) {
        fail(new DisplayTlsError(`the TLS certificate of ${what} could not be verified against ${cfg.files.caCert}: ${err.message}`, true));
      } else {
        fail(new DisplayTlsError(`the TLS handshake with ${what} failed: ${err.message}`));
      }
    };
    t.on('error', onError);
  });
}
