// Shared setup of the connection integration tests: where the daemon is (scripts/testenv.sh env
// prints these variables; the defaults match it), unique names, waiting for events, and removal
// of objects left behind by an earlier, killed run.

import * as crypto from 'node:crypto';
import { Connection } from '../../../src/libvirt/connection';
import type { DomainEvent } from '../../../src/libvirt/events';
import { VirDomainUndefineFlagsValues } from '../../../src/libvirt/generated/libvirtConstants';

export const env = {
  uri: process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system',
  tcp: process.env['LIBVIRT_TEST_TCP'] ?? '127.0.0.1:16509',
  sshHost: process.env['LIBVIRT_TEST_SSH_HOST'] ?? '127.0.0.1',
  sshPort: process.env['LIBVIRT_TEST_SSH_PORT'] ?? '2222',
  sshUser: process.env['LIBVIRT_TEST_SSH_USER'] ?? 'root',
  sshKey: process.env['LIBVIRT_TEST_SSH_KEY'] ?? '/run/libvirt-vms-test/ssh/id_ed25519',
  sshKnownHosts: process.env['LIBVIRT_TEST_SSH_KNOWN_HOSTS'] ?? '/run/libvirt-vms-test/ssh/known_hosts',
};

/** Every object these tests create is named PREFIX + something, so leftovers can be found. */
export const PREFIX = 'itest-conn-';

export function uniqueName(kind: string): string {
  return `${PREFIX}${kind}-${crypto.randomBytes(4).toString('hex')}`;
}

export const UNDEFINE_ALL =
  VirDomainUndefineFlagsValues.MANAGED_SAVE |
  VirDomainUndefineFlagsValues.SNAPSHOTS_METADATA |
  VirDomainUndefineFlagsValues.CHECKPOINTS_METADATA |
  VirDomainUndefineFlagsValues.NVRAM |
  VirDomainUndefineFlagsValues.TPM;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A tiny TCG guest with no disk and a VNC display on 127.0.0.1. */
export function tinyDomainXml(name: string, extraDevices = ''): string {
  return `<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    <graphics type='vnc' autoport='yes' listen='127.0.0.1'/>
    <video><model type='vga'/></video>
    ${extraDevices}
  </devices>
</domain>`;
}

/** Destroys and undefines domains, networks and pools named PREFIX* (from an earlier killed run). */
export async function removeLeftovers(conn: Connection): Promise<void> {
  for (const d of await conn.connectListAllDomains()) {
    if (!d.name.startsWith(PREFIX)) continue;
    if (d.id !== -1) await conn.domainDestroy(d).catch(() => undefined);
    await conn.domainUndefine(d, UNDEFINE_ALL).catch(() => undefined);
  }
  for (const n of await conn.connectListAllNetworks()) {
    if (!n.name.startsWith(PREFIX)) continue;
    await conn.networkDestroy(n).catch(() => undefined);
    await conn.networkUndefine(n).catch(() => undefined);
  }
  for (const p of await conn.connectListAllStoragePools()) {
    if (!p.name.startsWith(PREFIX)) continue;
    for (const v of await conn.storagePoolListAllVolumes(p).catch(() => [])) await conn.storageVolDelete(v).catch(() => undefined);
    await conn.storagePoolDestroy(p).catch(() => undefined);
    await conn.storagePoolDelete(p).catch(() => undefined);
    await conn.storagePoolUndefine(p).catch(() => undefined);
  }
}

/** Collects events and lets a test wait for one that matches. */
export class EventLog<E> {
  readonly seen: E[] = [];
  private waiters: { match: (e: E) => boolean; resolve: (e: E) => void }[] = [];

  readonly push = (e: E): void => {
    this.seen.push(e);
    for (const w of [...this.waiters]) {
      if (w.match(e)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(e);
      }
    }
  };

  waitFor(match: (e: E) => boolean, what: string, timeoutMs = 20000): Promise<E> {
    const found = this.seen.find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; seen: ${JSON.stringify(this.seen.slice(-10))}`));
      }, timeoutMs);
      const done = (e: E): void => {
        clearTimeout(timer);
        resolve(e);
      };
      this.waiters.push({ match, resolve: done });
    });
  }
}

export function lifecycleOf(name: string, event: number): (e: DomainEvent) => boolean {
  return (e) => e.kind === 'lifecycle' && e.dom.name === name && e.event === event;
}
