// What the consoles need from a libvirt connection, declared structurally: the real
// `Connection` (src/libvirt/connection.ts) satisfies it, and the console code depends only on
// the calls it makes.

import type { Duplex } from 'node:stream';
import type { DomainRef } from '../libvirt/refs';
import type { VncRoute } from './vncEndpoint';

export interface ConsoleDisposable {
  dispose(): void;
}

/** The fields of the connection API's domain events the consoles read (lifecycle adds `event`). */
export interface ConsoleDomainEvent {
  readonly kind: string;
  readonly dom: DomainRef;
}

/** The lifecycle event number (virDomainEventType) of a 'lifecycle' event, else undefined. */
export function lifecycleEvent(e: ConsoleDomainEvent): number | undefined {
  if (e.kind !== 'lifecycle') return undefined;
  const ev = (e as { event?: unknown }).event;
  return typeof ev === 'number' ? ev : undefined;
}

export interface ConsoleConnection {
  domainGetXmlDesc(dom: DomainRef, flags?: number): Promise<string>;
  domainGetState(dom: DomainRef, flags?: number): Promise<{ state: number; reason: number }>;
  domainCreate(dom: DomainRef, flags?: number): Promise<DomainRef>;
  domainDefineXml(xml: string, flags?: number): Promise<DomainRef>;
  domainIsPersistent(dom: DomainRef): Promise<boolean>;
  domainScreenshot(dom: DomainRef, screen?: number, flags?: number): Promise<{ mime: string; data: Buffer }>;
  domainSendKey(dom: DomainRef, codeset: number, holdtime: number, keycodes: readonly number[], flags?: number): Promise<void>;
  domainOpenConsole(dom: DomainRef, devName?: string | null, flags?: number): Promise<Duplex>;
  onDomainEvent(listener: (e: ConsoleDomainEvent) => void): ConsoleDisposable;
}

/** One VM on one connection, as the console commands receive it. */
export interface ConsoleTarget {
  /** Stable id of the connection in the extension (e.g. its URI or a configured name). */
  readonly connectionId: string;
  /** The libvirt URI, which decides how the VNC server is reached (see vncEndpoint.ts). */
  readonly uri: string;
  readonly dom: DomainRef;
  /** The live connection (after a reconnect, a new one). */
  connection(): Promise<ConsoleConnection>;
  /**
   * How to reach the VM's display from this process. `encrypted`: the display will be reached
   * with TLS (SPICE's TLS port), so a direct network route needs no clear-text question.
   */
  vncRoute(opts?: { readonly encrypted?: boolean }): Promise<VncRoute>;
}

export function consoleKey(t: Pick<ConsoleTarget, 'connectionId' | 'dom'>): string {
  return `${t.connectionId}\u0000${t.dom.uuid}`;
}
