// The local hypervisor connection offered on first run.

import { existsSync } from 'node:fs';

/** Sockets of the monolithic libvirtd and of the modular virtqemud (libvirt docs/daemons.rst). */
const SYSTEM_SOCKETS = ['/run/libvirt/libvirt-sock', '/run/libvirt/virtqemud-sock'];

/** qemu:///system when a system daemon socket exists, else qemu:///session. */
export function detectLocalUri(exists: (path: string) => boolean = existsSync): string {
  return SYSTEM_SOCKETS.some((p) => exists(p)) ? 'qemu:///system' : 'qemu:///session';
}

/**
 * The connection to add on first run: the local hypervisor, only when no connection is saved yet.
 * A user whose settings already list connections (synced from another machine, or written by
 * hand) keeps exactly those; virt-manager likewise adds its default connection only when it knows
 * none (virtManager/engine.py, "Only add default if no connections are currently known").
 */
export function firstRunConnection(saved: readonly { readonly uri: string }[], exists: (path: string) => boolean = existsSync): { name: string; uri: string } | undefined {
  if (saved.length > 0) return undefined;
  const uri = detectLocalUri(exists);
  return { name: localName(uri), uri };
}

export function localName(uri: string): string {
  return uri.includes('/session') ? 'QEMU/KVM User session' : 'QEMU/KVM';
}
