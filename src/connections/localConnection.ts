// The local hypervisor connection offered on first run.

import { existsSync } from 'node:fs';

/** Sockets of the monolithic libvirtd and of the modular virtqemud (libvirt docs/daemons.rst). */
const SYSTEM_SOCKETS = ['/run/libvirt/libvirt-sock', '/run/libvirt/virtqemud-sock'];

/** qemu:///system when a system daemon socket exists, else qemu:///session. */
export function detectLocalUri(exists: (path: string) => boolean = existsSync): string {
  return SYSTEM_SOCKETS.some((p) => exists(p)) ? 'qemu:///system' : 'qemu:///session';
}

export function isLocalUri(uri: string): boolean {
  return /^qemu(\+unix)?:\/\/\/(system|session)(\?|$)/.test(uri);
}

export function localName(uri: string): string {
  return uri.includes('/session') ? 'QEMU/KVM User session' : 'QEMU/KVM';
}
