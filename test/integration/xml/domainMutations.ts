// Seeded random mutations of domain XML, of the kinds users make by hand: counts, removed or
// duplicated devices, enumerations, broken references, CPU topology, NUMA and memory, devices
// that need another device. Used by the differential test against libvirt's define(VALIDATE).
// Each mutation works on a fresh parse of the text and returns the new text, or undefined when
// the document has nothing it applies to.

import { RngGrammar } from '../../../src/libvirt/xml/rngGrammar';
import { XmlDocument, type XmlElement } from '../../../src/libvirt/xml/xmlDocument';

/** mulberry32: a small seeded generator, so every run with the same seed makes the same cases. */
export class Rng {
  constructor(private state: number) {}
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
}

export interface MutationContext {
  readonly rng: Rng;
  readonly grammar: RngGrammar;
}

export interface Mutation {
  readonly kind: string;
  apply(text: string, ctx: MutationContext): { text: string; what: string } | undefined;
}

function all(el: XmlElement): XmlElement[] {
  return [el, ...el.elements().flatMap(all)];
}

function path(el: XmlElement): string[] {
  const out: string[] = [];
  for (let e: XmlElement | undefined = el; e; e = e.parent) out.unshift(e.name);
  return out;
}

function devicesOf(doc: XmlDocument): XmlElement[] {
  return doc.root.child('devices')?.elements() ?? [];
}

/** Replaces (or adds under `parent`) the element `name` with `xml`. */
function putElement(doc: XmlDocument, parent: XmlElement, name: string, xml: string): void {
  const old = parent.child(name);
  if (old) doc.replaceElement(old, xml);
  else doc.insertElement(parent, xml);
}

function vcpus(doc: XmlDocument): number {
  return Number(doc.textContent(doc.root.child('vcpu') ?? doc.root).trim()) || 1;
}

function ensureCpu(doc: XmlDocument): XmlElement {
  return doc.ensurePath(doc.root, ['cpu']);
}

export const MUTATIONS: readonly Mutation[] = [
  {
    kind: 'vcpu-count',
    apply(text, { rng }) {
      const doc = XmlDocument.parse(text);
      const v = doc.root.child('vcpu');
      if (!v) return undefined;
      const n = rng.pick(['0', '1', '3', '8', '255', '4096', '70000', '-2', 'two', '']);
      doc.setTextContent(v, n);
      if (rng.next() < 0.3) doc.setAttribute(v, 'current', rng.pick(['1', '2', '0', '9']));
      return { text: doc.toString(), what: `<vcpu> ${n}${v.attr('current') !== undefined ? ` current ${v.attr('current')}` : ''}` };
    },
  },
  {
    kind: 'memory',
    apply(text, { rng }) {
      const doc = XmlDocument.parse(text);
      const which = rng.pick(['memory', 'currentMemory']);
      const m = doc.root.child(which);
      if (!m) return undefined;
      const v = rng.pick(['0', '1', '1024', '262144', '4194304', '99999999999999', 'lots', '-5']);
      doc.setTextContent(m, v);
      return { text: doc.toString(), what: `<${which}> ${v} ${m.attr('unit') ?? ''}` };
    },
  },
  {
    kind: 'remove-device',
    apply(text, { rng }) {
      const doc = XmlDocument.parse(text);
      const ds = devicesOf(doc);
      if (ds.length === 0) return undefined;
      const d = rng.pick(ds);
      const what = `removed ${doc.source(d).split('\n')[0]!.trim()}`;
      doc.removeElement(d);
      return { text: doc.toString(), what };
    },
  },
  {
    kind: 'duplicate-device',
    apply(text, { rng }) {
      const doc = XmlDocument.parse(text);
      const ds = devicesOf(doc).filter((d) => d.name !== 'emulator');
      if (ds.length === 0) return undefined;
      const d = rng.pick(ds);
      const what = `duplicated ${doc.source(d).split('\n')[0]!.trim()}`;
      doc.insertElement(doc.root.child('devices')!, doc.source(d), { after: d });
      return { text: doc.toString(), what };
    },
  },
  {
    kind: 'enumeration',
    apply(text, { rng, grammar }) {
      const doc = XmlDocument.parse(text);
      const choices: { el: XmlElement; attr: string; values: string[] }[] = [];
      for (const el of all(doc.root)) {
        if (el.prefix !== undefined) continue;
        for (const a of el.attributes) {
          const vs = grammar.enumeratedValues(path(el), a.name);
          if (vs && vs.length > 1) choices.push({ el, attr: a.name, values: vs });
        }
      }
      if (choices.length === 0) return undefined;
      const c = rng.pick(choices);
      const cur = c.el.attr(c.attr)!;
      const v = rng.next() < 0.85 ? rng.pick(c.values.filter((x) => x !== cur)) : rng.pick([`${cur}x`, cur.toUpperCase(), 'none', '']);
      doc.setAttribute(c.el, c.attr, v);
      return { text: doc.toString(), what: `${c.el.name}/@${c.attr} ${cur} -> ${v}` };
    },
  },
  {
    kind: 'broken-reference',
    apply(text, { rng }) {
      const doc = XmlDocument.parse(text);
      const ds = devicesOf(doc);
      const options: (() => string | undefined)[] = [
        () => {
          const a = ds.map((d) => d.child('address')).find((x) => x?.attr('type') === 'drive');
          if (!a) return undefined;
          const n = rng.pick(['3', '7', '31']);
          doc.setAttribute(a, 'controller', n);
          return `drive address on controller ${n}`;
        },
        () => {
          const a = rng.pick(ds.map((d) => d.child('address')).filter((x): x is XmlElement => x?.attr('type') === 'pci'));
          if (!a) return undefined;
          const bus = rng.pick(['0x00', '0x09', '0x1f', '0xff']);
          doc.setAttribute(a, 'bus', bus);
          return `PCI address on bus ${bus}`;
        },
        () => {
          const t = ds.find((d) => d.name === 'disk')?.child('target');
          const other = ds.filter((d) => d.name === 'disk')[1]?.child('target');
          if (!t || !other) return undefined;
          doc.setAttribute(other, 'dev', t.attr('dev') ?? 'vda');
          return `two disks on target ${t.attr('dev')}`;
        },
        () => {
          const withBoot = ds.filter((d) => d.name === 'disk' || d.name === 'interface');
          if (withBoot.length < 2) return undefined;
          for (const d of withBoot.slice(0, 2)) doc.insertElement(d, "<boot order='1'/>");
          return 'two devices with boot order 1';
        },
        () => {
          const os = doc.root.child('os');
          const d = ds.find((x) => x.name === 'disk');
          if (!os || !d) return undefined;
          doc.insertElement(os, "<boot dev='hd'/>");
          doc.insertElement(d, "<boot order='1'/>");
          return '<os><boot dev> together with a per-device boot order';
        },
        () => {
          const i = ds.find((x) => x.name === 'interface');
          if (!i) return undefined;
          doc.setAttribute(i.child('mac') ?? i, 'address', rng.pick(['52:54:00:zz:00:01', '01:00:00:00:00:01', '52:54:00:00:01']));
          return 'malformed or multicast MAC';
        },
        () => {
          const c = ds.find((x) => x.name === 'console');
          if (!c?.child('target')) return undefined;
          doc.setAttribute(c.child('target')!, 'type', 'virtio');
          return 'console on virtio without a virtio-serial port';
        },
      ];
      const what = rng.pick(options)();
      return what === undefined ? undefined : { text: doc.toString(), what };
    },
  },
  {
    kind: 'topology',
    apply(text, { rng }) {
      const doc = XmlDocument.parse(text);
      const [s, c, t] = [1 + rng.int(4), 1 + rng.int(4), 1 + rng.int(2)];
      const cpu = ensureCpu(doc);
      putElement(doc, cpu, 'topology', `<topology sockets='${s}' dies='1' cores='${c}' threads='${t}'/>`);
      return { text: doc.toString(), what: `topology ${s}x${c}x${t} with ${vcpus(doc)} vCPUs` };
    },
  },
  {
    kind: 'numa',
    apply(text, { rng }) {
      const doc = XmlDocument.parse(text);
      const n = vcpus(doc);
      const cells = 1 + rng.int(2);
      const last = Math.max(0, n - 1 + rng.pick([0, 0, 1, 4, -1]));
      const mem = Number(doc.textContent(doc.root.child('memory') ?? doc.root).trim()) || 1048576;
      const per = rng.pick([Math.floor(mem / cells), 262144, 0]);
      const xml =
        cells === 1
          ? `<numa><cell id='0' cpus='0-${last}' memory='${per}' unit='KiB'/></numa>`
          : `<numa><cell id='0' cpus='0' memory='${per}' unit='KiB'/><cell id='${rng.pick(['1', '0', '3'])}' cpus='${Math.min(1, last)}-${last}' memory='${per}' unit='KiB'/></numa>`;
      putElement(doc, ensureCpu(doc), 'numa', xml);
      return { text: doc.toString(), what: `${cells} NUMA cell(s) up to CPU ${last} with ${per} KiB each, ${n} vCPUs` };
    },
  },
  {
    kind: 'max-memory',
    apply(text, { rng }) {
      const doc = XmlDocument.parse(text);
      const mem = doc.root.child('memory');
      if (!mem) return undefined;
      const slots = rng.pick(['0', '4', '16']);
      const size = rng.pick(['8388608', '262144']);
      doc.insertElement(doc.root, `<maxMemory slots='${slots}' unit='KiB'>${size}</maxMemory>`, { before: mem });
      return { text: doc.toString(), what: `<maxMemory slots='${slots}'> ${size} KiB` };
    },
  },
  {
    kind: 'needs-device',
    apply(text, { rng }) {
      const doc = XmlDocument.parse(text);
      const devs = doc.root.child('devices');
      if (!devs) return undefined;
      const options: (() => string | undefined)[] = [
        () => {
          const usb = devicesOf(doc).find((d) => d.name === 'controller' && d.attr('type') === 'usb');
          if (usb) doc.replaceElement(usb, "<controller type='usb' model='none'/>");
          else doc.insertElement(devs, "<controller type='usb' model='none'/>");
          doc.insertElement(devs, "<input type='tablet' bus='usb'/>");
          return 'a USB tablet with USB disabled';
        },
        () => {
          const os = doc.root.child('os');
          if (!os) return undefined;
          doc.setAttribute(os, 'firmware', 'efi');
          const acpi = doc.root.find(['features', 'acpi']);
          if (acpi && rng.next() < 0.7) doc.removeElement(acpi);
          return `UEFI firmware${doc.root.find(['features', 'acpi']) ? '' : ' without ACPI'}`;
        },
        () => {
          doc.insertElement(devs, "<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>");
          for (const c of devicesOf(doc).filter((d) => d.name === 'controller' && d.attr('type') === 'virtio-serial')) doc.removeElement(c);
          return 'a virtio channel without a virtio-serial controller';
        },
        () => {
          doc.insertElement(devs, "<tpm model='tpm-crb'><backend type='emulator' version='1.2'/></tpm>");
          return 'a CRB TPM with a 1.2 backend';
        },
        () => {
          const m = rng.pick(['ich9', 'ich6', 'ac97', 'usb']);
          doc.insertElement(devs, `<sound model='${m}'/>`);
          return `a ${m} sound card`;
        },
        () => {
          const graphics = devicesOf(doc).filter((d) => d.name === 'graphics');
          for (const g of graphics) doc.removeElement(g);
          return 'no graphics (video and spice channels remain)';
        },
      ];
      const what = rng.pick(options)();
      return what === undefined ? undefined : { text: doc.toString(), what };
    },
  },
];
