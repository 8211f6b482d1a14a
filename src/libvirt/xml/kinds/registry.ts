// Every device kind's description, and the devices of a domain with their stable identities.

import type { FormValue } from '../../../forms/formSchema';
import type { DomainXml } from '../domainXml';
import type { XmlElement } from '../xmlDocument';
import { readValues } from './access';
import { channel, console, parallel, serial } from './chardev';
import { controller } from './controller';
import { disk } from './disk';
import { filesystem } from './filesystem';
import { graphics } from './graphics';
import { hostdev } from './hostdev';
import { input } from './input';
import { iface } from './interface';
import { emulator, iommu, memballoon, other, panic, redirdev, smartcard, vsock, watchdog } from './misc';
import { rng } from './rng';
import { audio, sound } from './sound';
import { tpm } from './tpm';
import type { DeviceDescription, Values } from './types';
import { video } from './video';

const KINDS = [
  emulator, disk, controller, filesystem, iface, smartcard, serial, parallel, console, channel, input, tpm, graphics, sound, audio, video, hostdev, redirdev, watchdog, memballoon, rng, panic, vsock, iommu,
] as const;

/** One description per element under <devices>, in libvirt's device order. */
export const DEVICE_DESCRIPTIONS: readonly DeviceDescription[] = KINDS;

/** The described kinds with their literal `kind` and `xml` table (for the typed views of ../devices.ts), and the fallback for unknown elements. */
export type KnownDescription = (typeof KINDS)[number] | typeof other;

const BY_ELEMENT = new Map(DEVICE_DESCRIPTIONS.map((d) => [d.element, d]));

export function descriptionOf(element: string): DeviceDescription {
  return BY_ELEMENT.get(element) ?? other;
}

export function descriptionOfKind(kind: string): DeviceDescription | undefined {
  return DEVICE_DESCRIPTIONS.find((d) => d.kind === kind);
}

/** A device of a domain, read through its description. */
export interface DescribedDevice {
  /** Stable: the natural key (target dev, MAC, host address, type and index…), "#2"… for equal keys. */
  readonly id: string;
  readonly description: DeviceDescription;
  readonly element: XmlElement;
  readonly values: Values;
  /** 1-based count among devices of the same kind (for labels like "Serial 2"). */
  readonly nth: number;
}

/** The devices under <devices> in document order, each with its identity and values. */
export function describedDevices(dom: DomainXml): DescribedDevice[] {
  const out: DescribedDevice[] = [];
  const seen = new Map<string, number>();
  const perKind = new Map<string, number>();
  for (const el of dom.devicesElement?.elements() ?? []) {
    const description = descriptionOf(el.name);
    const values = readValues(description.fields, dom, el);
    const key = description.identity(values, el);
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    const nth = (perKind.get(el.name) ?? 0) + 1;
    perKind.set(el.name, nth);
    out.push({ id: n === 1 ? key : `${key}#${n}`, description, element: el, values, nth });
  }
  return out;
}

export function findDevice(dom: DomainXml, id: string): DescribedDevice | undefined {
  return describedDevices(dom).find((d) => d.id === id);
}

/** Reads one value of a device (by identity) — for tests and for the live-apply plan. */
export function deviceValue(dom: DomainXml, id: string, field: string): FormValue {
  return findDevice(dom, id)?.values[field];
}
