// Encrypted displays for qemu+tcp:// and qemu+tls:// connections. On those the console reaches the
// VM's VNC or SPICE port directly over the network, and neither QEMU display encrypts by default:
// the screen, the keystrokes and the display password would cross the network in clear text. So
// before the first clear-text connection to a host the user decides, and the decision is kept per
// host (as virt-manager users expect one question per host, not per VM):
//   - "tunnel": when a saved qemu+ssh:// connection to the same host exists, the display goes
//     through a forward on that SSH connection (encrypted, and it also reaches displays that
//     listen on the host's loopback only);
//   - "clearText": connect directly, unencrypted;
//   - declined: the console does not connect (and asks again on Retry).
// A local or loopback host needs no question: nothing leaves the machine. No VS Code import: the
// command layer supplies the store (global state) and the question (a modal dialog).

import { parseUri } from '../libvirt/uri';
import type { TransportOptions } from '../libvirt/transport/open';
import type { VncRoute } from './vncEndpoint';
import { vncRouteForUri } from './vncRoute';

export type ClearTextChoice = 'tunnel' | 'clearText';

/** Where the per-host choice is kept (the extension's global state). */
export interface DisplayRouteStore {
  get(host: string): ClearTextChoice | undefined;
  set(host: string, choice: ClearTextChoice): Promise<void>;
}

export interface ClearTextQuestion {
  readonly host: string;
  /** The saved SSH connection that can carry the display, if any. */
  readonly sshConnectionName: string | undefined;
}

/** A saved connection, as the policy needs it. */
export interface SavedConnection {
  readonly name: string;
  readonly uri: string;
}

export interface DisplayRouteDeps {
  readonly saved: () => readonly SavedConnection[];
  readonly store: DisplayRouteStore;
  /** Asks the user; undefined = declined (no connection). */
  readonly ask: (q: ClearTextQuestion) => Promise<ClearTextChoice | undefined>;
  readonly transport?: TransportOptions;
  /** Builds the route of a URI (the real one unless a test says otherwise). */
  readonly routeFor?: (uri: string, opts: TransportOptions) => VncRoute;
  /** The display will be encrypted end to end (SPICE's TLS port): connect directly, no question. */
  readonly encrypted?: boolean;
}

export class DisplayRouteDeclinedError extends Error {
  override readonly name = 'DisplayRouteDeclinedError';
  static is(e: unknown): e is DisplayRouteDeclinedError {
    return e instanceof DisplayRouteDeclinedError;
  }
}

/** Hosts compare case-insensitively, without IPv6 brackets. */
export function sameHost(a: string, b: string): boolean {
  const norm = (h: string): string => h.replace(/^\[|\]$/g, '').toLowerCase();
  return norm(a) === norm(b);
}

/** The first saved qemu+ssh:// connection to `host`. */
export function sshConnectionTo(host: string, saved: readonly SavedConnection[]): SavedConnection | undefined {
  return saved.find((c) => {
    try {
      const u = parseUri(c.uri);
      return u.transport === 'ssh' && u.host !== undefined && sameHost(u.host, host);
    } catch {
      return false;
    }
  });
}

/**
 * The route to the displays of the connection `uri`: unchanged for local, loopback and SSH
 * connections; for a remote TCP/TLS host, the remembered or asked choice between an SSH tunnel
 * and a clear-text connection. Throws DisplayRouteDeclinedError when the user declines.
 */
export async function chooseDisplayRoute(uri: string, deps: DisplayRouteDeps): Promise<VncRoute> {
  const routeFor = deps.routeFor ?? vncRouteForUri;
  const direct = routeFor(uri, deps.transport ?? {});
  if (direct.kind !== 'remote' || deps.encrypted === true) return direct;
  const host = direct.host;
  const ssh = sshConnectionTo(host, deps.saved());
  const remembered = deps.store.get(host);
  if (remembered === 'clearText') return direct;
  // A remembered tunnel whose SSH connection was removed since: ask again.
  if (remembered === 'tunnel' && ssh) return routeFor(ssh.uri, deps.transport ?? {});
  const choice = await deps.ask({ host, sshConnectionName: ssh?.name });
  if (choice === undefined || (choice === 'tunnel' && !ssh)) {
    throw new DisplayRouteDeclinedError(`the display of ${host} was not opened: its connection would not be encrypted`);
  }
  await deps.store.set(host, choice);
  return choice === 'tunnel' ? routeFor(ssh!.uri, deps.transport ?? {}) : direct;
}
