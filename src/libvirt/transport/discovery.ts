// Finds the local daemon socket for a unix URI the way libvirt's remote driver does
// (src/remote/remote_sockets.c): the per-driver daemon (virtqemud...) when it runs ("modular"
// daemons), else the monolithic libvirtd; "-ro" sockets for read-only system connections;
// $XDG_RUNTIME_DIR/libvirt for the session daemon.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ParsedUri } from '../uri';

const SYSTEM_SOCKET_DIR = '/run/libvirt';

/** The per-driver daemon serving a hypervisor driver, where one exists. */
const DRIVER_DAEMONS: Readonly<Record<string, string>> = {
  qemu: 'virtqemud',
  lxc: 'virtlxcd',
  libxl: 'virtxend',
  xen: 'virtxend',
  vbox: 'virtvboxd',
  ch: 'virtchd',
  bhyve: 'virtbhyved',
  network: 'virtnetworkd',
  storage: 'virtstoraged',
  nodedev: 'virtnodedevd',
  interface: 'virtinterfaced',
  nwfilter: 'virtnwfilterd',
  secret: 'virtsecretd',
};

export interface DiscoveryEnv {
  readonly xdgRuntimeDir?: string;
  readonly uid: number;
  readonly exists: (p: string) => boolean;
}

export const hostEnv = (): DiscoveryEnv => ({
  xdgRuntimeDir: process.env['XDG_RUNTIME_DIR'],
  // Read only for a session URI without XDG_RUNTIME_DIR: os.userInfo() looks the user up in the
  // password database, a cost every local open would otherwise pay.
  get uid() {
    return process.getuid?.() ?? os.userInfo().uid;
  },
  exists: (p) => fs.existsSync(p),
});

/** The socket path for a local (unix transport) URI. The socket= parameter always wins. */
export function localSocketPath(uri: ParsedUri, readOnly: boolean, env: DiscoveryEnv = hostEnv()): string {
  if (uri.params.socket !== undefined) return uri.params.socket;
  const session = uri.isSession;
  const dir = session ? path.join(env.xdgRuntimeDir ?? `/run/user/${env.uid}`, 'libvirt') : SYSTEM_SOCKET_DIR;
  const suffix = readOnly && !session ? '-ro' : '';
  const legacy = path.join(dir, `libvirt-sock${suffix}`);
  const daemon = DRIVER_DAEMONS[uri.driver];
  if (uri.params.mode === 'legacy' || daemon === undefined) return legacy;
  const direct = path.join(dir, `${daemon}-sock${suffix}`);
  if (uri.params.mode === 'direct') return direct;
  // auto: the modular daemon if its socket is there, else libvirtd.
  return env.exists(direct) ? direct : legacy;
}
