// Listing a host's passthrough candidates at scale: BENCH_HOST_DEVICES (default 200) node devices
// in libvirt's node-device format (formatnode.rst): GPUs with their audio functions sharing an
// IOMMU group, SR-IOV physical functions with their virtual functions (each VF its own group),
// iGPUs with mdev types and mediated devices, NICs behind a root port sharing one group, NVMe and
// SATA controllers, USB devices; plus a few VMs that use some of them. They are served by the
// daemon's test driver from a generated file (`test+unix:///path.xml`, the real RPC path), since no
// machine here has 200 devices. Timed, on one warm connection, median of `runs`: the whole
// inventory (node device list + every device's XML pipelined + capabilities + every domain's XML)
// with all option lists built from it, as the Add Hardware form needs it. Target: <= 100 ms.
//
//   node out/bench/hostDevicesBench.js     (after `npx tsc -p .`, with the daemon of scripts/testenv.sh)

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { hostDeviceOptionLists } from '../src/forms/hostDeviceOptions';
import { Connection } from '../src/libvirt/connection';
import { formatPciAddress, type PciAddress } from '../src/libvirt/resources/hostDevice';
import { loadHostDeviceInventory } from '../src/libvirt/resources/hostDeviceInventory';

export interface HostDevicesBench {
  readonly devices: number;
  readonly pci: number;
  readonly usb: number;
  readonly mdevs: number;
  readonly groups: number;
  readonly domains: number;
  /** Inventory + option lists over the wire, median of `runs`. */
  readonly medianMs: number;
  readonly minMs: number;
  /** The same parse and option building from XML already fetched (no wire), median. */
  readonly parseMedianMs: number;
  readonly runs: number;
  /** The machine's 1-minute load average when the bench ran (the medians mean little on a busy host). */
  readonly loadAverage: number;
}

const hex = (n: number, w: number): string => n.toString(16).padStart(w, '0');
const addr = (a: PciAddress): string => `<address domain='0x${hex(a.domain, 4)}' bus='0x${hex(a.bus, 2)}' slot='0x${hex(a.slot, 2)}' function='0x${hex(a.function, 1)}'/>`;
const nodeName = (a: PciAddress): string => `pci_${formatPciAddress(a).replace(/[:.]/g, '_')}`;

interface PciSpec {
  readonly a: PciAddress;
  readonly cls: number;
  readonly vendor: [string, string];
  readonly product: [string, string];
  readonly driver: string;
  readonly group: number;
  readonly extra?: string;
  readonly bridge?: boolean;
}

/** A generated host: node device XMLs and the VMs that use some of them. */
export function generateHost(total: number): { readonly xml: string; readonly devices: number; readonly pci: number; readonly usb: number; readonly mdevs: number; readonly groups: number; readonly domains: number } {
  const pci: PciSpec[] = [];
  let group = 1;
  let bus = 1;
  let rootPorts = 0;
  const usbCount = Math.max(1, Math.round(total / 10));
  const mdevCount = 4;
  const pciTarget = total - usbCount - mdevCount;
  const groupOf = new Map<number, PciAddress[]>();
  const add = (s: PciSpec): void => {
    pci.push(s);
    groupOf.set(s.group, [...(groupOf.get(s.group) ?? []), s.a]);
  };
  // The iGPU with mdev types (the mediated devices below are made of it).
  add({
    a: { domain: 0, bus: 0, slot: 2, function: 0 },
    cls: 0x030000,
    vendor: ['0x8086', 'Intel Corporation'],
    product: ['0x3e92', 'CoffeeLake-S GT2 [UHD Graphics 630]'],
    driver: 'i915',
    group: group++,
    extra: `<capability type='mdev_types'>${[4, 8]
      .map((n) => `<type id='i915-GVTg_V5_${n}'><name>GVTg_V5_${n}</name><deviceAPI>vfio-pci</deviceAPI><availableInstances>${n === 4 ? 2 : 0}</availableInstances></type>`)
      .join('')}</capability>`,
  });
  while (pci.length < pciTarget) {
    const kind = bus % 4;
    if (kind === 1 && pci.length + 2 <= pciTarget) {
      // A GPU and its HDMI audio, one group.
      const g = group++;
      add({ a: { domain: 0, bus, slot: 0, function: 0 }, cls: 0x030000, vendor: ['0x10de', 'NVIDIA Corporation'], product: ['0x2484', 'GA104 [GeForce RTX 3070]'], driver: bus % 8 === 1 ? 'vfio-pci' : 'nvidia', group: g });
      add({ a: { domain: 0, bus, slot: 0, function: 1 }, cls: 0x040300, vendor: ['0x10de', 'NVIDIA Corporation'], product: ['0x228b', 'GA104 High Definition Audio Controller'], driver: 'snd_hda_intel', group: g });
    } else if (kind === 2 && pci.length + 8 <= pciTarget) {
      // An SR-IOV PF with seven VFs, each in its own group.
      const pf: PciAddress = { domain: 0, bus, slot: 0, function: 0 };
      const vfs: PciAddress[] = Array.from({ length: 7 }, (_, i) => ({ domain: 0, bus, slot: 0x10 + (i >> 2), function: (i % 4) * 2 }));
      add({ a: pf, cls: 0x020000, vendor: ['0x8086', 'Intel Corporation'], product: ['0x10c9', '82576 Gigabit Network Connection'], driver: 'igb', group: group++, extra: `<capability type='virt_functions' maxCount='7'>${vfs.map(addr).join('')}</capability>` });
      for (const vf of vfs) add({ a: vf, cls: 0x020000, vendor: ['0x8086', 'Intel Corporation'], product: ['0x10ca', '82576 Virtual Function'], driver: 'igbvf', group: group++, extra: `<capability type='phys_function'>${addr(pf)}</capability>` });
    } else if (kind === 3 && pci.length + 3 <= pciTarget) {
      // A root port with two NICs behind it, all three in one group.
      const g = group++;
      const rp = rootPorts++;
      add({ a: { domain: 0, bus: 0, slot: 0x18 + (rp >> 3), function: rp & 7 }, cls: 0x060400, vendor: ['0x8086', 'Intel Corporation'], product: ['0xa33c', 'Cannon Lake PCH PCI Express Root Port'], driver: 'pcieport', group: g, extra: "<capability type='pci-bridge'/>", bridge: true });
      for (const f of [0, 1]) add({ a: { domain: 0, bus, slot: 0, function: f }, cls: 0x020000, vendor: ['0x10ec', 'Realtek Semiconductor Co., Ltd.'], product: ['0x8168', 'RTL8111/8168/8411 PCI Express Gigabit Ethernet Controller'], driver: 'r8169', group: g });
    } else {
      add({ a: { domain: 0, bus, slot: 0, function: 0 }, cls: 0x010802, vendor: ['0x144d', 'Samsung Electronics Co Ltd'], product: ['0xa808', 'NVMe SSD Controller SM981/PM981/PM983'], driver: 'nvme', group: group++ });
    }
    bus++;
  }
  const pciXml = pci.map(
    (s) => `<device><name>${nodeName(s.a)}</name><parent>computer</parent><driver><name>${s.driver}</name></driver><capability type='pci'>
<class>0x${hex(s.cls, 6)}</class><domain>${s.a.domain}</domain><bus>${s.a.bus}</bus><slot>${s.a.slot}</slot><function>${s.a.function}</function>
<product id='${s.product[0]}'>${s.product[1]}</product><vendor id='${s.vendor[0]}'>${s.vendor[1]}</vendor>${s.extra ?? ''}
<iommuGroup number='${s.group}'>${(groupOf.get(s.group) ?? []).map(addr).join('')}</iommuGroup></capability></device>`,
  );
  const usbXml = Array.from(
    { length: usbCount },
    (_, i) => `<device><name>usb_1_${i + 2}</name><parent>computer</parent><driver><name>usb</name></driver><capability type='usb_device'><bus>1</bus><device>${i + 2}</device><product id='0x${hex(0xc52b + (i % 3), 4)}'>Unifying Receiver</product><vendor id='0x046d'>Logitech, Inc.</vendor></capability></device>`,
  );
  const mdevUuid = (i: number): string => `4b20d080-1b54-4048-85b3-a6a62d1650${hex(i, 2)}`;
  const mdevXml = Array.from(
    { length: mdevCount },
    (_, i) => `<device><name>mdev_${mdevUuid(i).replace(/-/g, '_')}_0000_00_02_0</name><parent>pci_0000_00_02_0</parent><capability type='mdev'><type id='i915-GVTg_V5_4'/><uuid>${mdevUuid(i)}</uuid><iommuGroup number='${group + i}'/></capability></device>`,
  );
  const gpus = pci.filter((s) => s.cls === 0x030000 && s.a.bus > 0);
  const domains = Array.from({ length: 5 }, (_, i) => {
    const gpu = gpus[i % gpus.length];
    return `<domain type='test'><name>bench-vm-${i}</name><uuid>${crypto.randomUUID()}</uuid><memory>65536</memory><vcpu>1</vcpu><os><type arch='i686'>hvm</type></os><devices>
${gpu ? `<hostdev mode='subsystem' type='pci' managed='yes'><source>${addr(gpu.a)}</source></hostdev>` : ''}
<hostdev mode='subsystem' type='mdev' model='vfio-pci'><source><address uuid='${mdevUuid(i % mdevCount)}'/></source></hostdev></devices></domain>`;
  });
  const xml = `<node>
<cpu><mhz>2000</mhz><model>i686</model><active>2</active><nodes>1</nodes><sockets>1</sockets><cores>2</cores><threads>1</threads></cpu>
<memory>2097152</memory>
${domains.join('\n')}
${[...pciXml, ...usbXml, ...mdevXml].join('\n')}
</node>
`;
  return { xml, devices: pci.length + usbCount + mdevCount, pci: pci.length, usb: usbCount, mdevs: mdevCount, groups: group - 1 + mdevCount, domains: domains.length };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
}

export async function benchHostDevices(total = Number(process.env['BENCH_HOST_DEVICES'] ?? 200), runs = 15): Promise<HostDevicesBench> {
  const host = generateHost(total);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hostdev-bench-'));
  fs.chmodSync(dir, 0o755);
  const file = path.join(dir, 'host.xml');
  fs.writeFileSync(file, host.xml, { mode: 0o644 });
  // The test driver keeps a file's state while a connection is open: one connection, warm.
  const conn = await Connection.open(`test+unix://${file}`);
  try {
    const check = await loadHostDeviceInventory(conn);
    if (check.devices.length + check.mdevs.length !== host.devices) throw new Error(`generated ${host.devices} devices, listed ${check.devices.length + check.mdevs.length}`);
    if (check.usages.length !== host.domains) throw new Error(`generated ${host.domains} VMs, read ${check.usages.length}`);
    const times: number[] = [];
    for (let r = 0; r < runs; r++) {
      const t0 = performance.now();
      const inv = await loadHostDeviceInventory(conn);
      const lists = hostDeviceOptionLists(inv);
      if (lists.pciDevices.length !== host.pci) throw new Error('unexpected PCI option count');
      times.push(performance.now() - t0);
    }
    // The same without the wire: the XMLs fetched once, parsed and turned into options again.
    const refs = await conn.connectListAllNodeDevices(0);
    const xmls = await Promise.all(refs.map((r) => conn.nodeDeviceGetXmlDesc(r)));
    const parse: number[] = [];
    for (let r = 0; r < runs; r++) {
      const t0 = performance.now();
      const inv = await loadHostDeviceInventory({
        connectListAllNodeDevices: async () => refs,
        nodeDeviceGetXmlDesc: async (d) => xmls[refs.indexOf(d)] ?? '',
        connectGetCapabilities: async () => "<capabilities><host><iommu support='yes'/></host></capabilities>",
        connectListAllDomains: async () => [],
        domainGetXmlDesc: async () => '',
      });
      hostDeviceOptionLists(inv);
      parse.push(performance.now() - t0);
    }
    return { devices: host.devices, pci: host.pci, usb: host.usb, mdevs: host.mdevs, groups: host.groups, domains: host.domains, medianMs: median(times), minMs: Math.min(...times), parseMedianMs: median(parse), runs, loadAverage: os.loadavg()[0] ?? 0 };
  } finally {
    await conn.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function formatHostDevicesBench(b: HostDevicesBench): string {
  const ms = (x: number): string => `${x.toFixed(1)} ms`;
  return [
    `host devices, ${b.devices} (${b.pci} PCI in ${b.groups} IOMMU groups, ${b.usb} USB, ${b.mdevs} mdevs), ${b.domains} VMs using some:`,
    `  inventory + option lists over the wire, median of ${b.runs}: ${ms(b.medianMs)} (min ${ms(b.minMs)}; target <= 100 ms: ${b.medianMs <= 100 ? 'met' : 'MISSED'})`,
    `  parse + option lists only (XML already fetched), median:  ${ms(b.parseMedianMs)}`,
    `  load average (1 min) while measured: ${b.loadAverage.toFixed(1)} on ${os.cpus().length} CPUs`,
  ].join('\n');
}

if (require.main === module) {
  benchHostDevices().then(
    (b) => console.log(formatHostDevicesBench(b)),
    (e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
