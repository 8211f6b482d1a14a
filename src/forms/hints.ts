// Optimization hints: what libvirt accepts but runs slower, wastes host resources or misses a
// feature the guest could use. A separate, lower channel than the checker (../libvirt/xml/checks.ts)
// with the same diagnostic shape (a text range for the XML editor, a target { section, field } for
// the details panel, a fix as text edits), built with the checker's own fixBy/fieldRange: every
// fix edits a copy of the domain through the section and device descriptions (kinds/) and
// addDevice (./apply.ts), never a string template. Diagnostics severity is always 'info'
// (Information); a hint's importance orders the lists.
//
// Each rule says why and what the change is expected to do, and how its fix may be applied:
// `auto` (one click, nothing the guest notices beyond the improvement), `confirm` (the
// consequence is said and asked about first: a new disk name, a CPU that no longer migrates
// everywhere) or `manual` (no one-click fix: changing the chipset of an installed Windows, memory
// overcommitted across VMs). The facts come from the host (node info, capabilities, domain
// capabilities, the running VMs' memory), libosinfo (virtio and q35 support, Windows) and the
// VM's recent performance; each is optional, and a rule whose facts are missing stays quiet.
//
// Decisions, with their sources:
// - Disk cache and I/O: libvirt leaves the cache mode to QEMU, whose default is writeback (host
//   page cache, flushes honoured): safe, and fast for most file images, so it is left alone.
//   `unsafe` ignores the guest's flushes (data loss on a host crash), `writethrough`/`directsync`
//   make every write wait for the storage: both get a hint towards `none`. A raw block device
//   gets `cache='none' io='native'` (O_DIRECT with Linux native AIO: no double caching, the
//   lowest latency), as libvirt's formatdomain.rst ("driver": cache, io) and the QEMU and RHEL
//   tuning guides recommend; io='native' needs cache none or directsync, so both are set.
// - Thin disks: qcow2 images grow and never shrink unless the guest's TRIM reaches the image
//   (formatdomain.rst "discard"); discard='unmap' passes it on, as virt-manager sets for qcow2.
// - The CPU on KVM: host-passthrough is the fastest (formatdomain.rst "CPU model and topology")
//   but pins migration to identical hosts: asked before.
// - Hyper-V enlightenments are offered on KVM only: under TCG QEMU refuses to start with some of
//   them ("kernel doesn't allow setting HyperV VP_INDEX", seen with QEMU 7.2).
// - "Host cores" are the host's logical CPUs (nodeGetInfo's cpus): what it can run at once.
// - Huge pages: suggested from 16 GiB when the host has at least that much reserved (a VM backed
//   by huge pages does not start without them).

import type { OsinstallCatalog } from '../libvirt/osinfoMedia';
import type { PerfSample } from '../libvirt/perfSample';
import { domainTags } from '../libvirt/tags';
import { formatRate } from '../libvirt/perfSample';
import { allocateDiskTarget, isI440fx, isQ35 } from '../libvirt/xml/allocate';
import type { DomainCapabilities } from '../libvirt/xml/capabilities';
import { fieldRange, fixBy, type Problem } from '../libvirt/xml/checks';
import { applyEdits } from '../libvirt/xml/diagnostics';
import { DomainXml, LIBOSINFO_NS } from '../libvirt/xml/domainXml';
import { writeValue } from '../libvirt/xml/kinds/access';
import { cpus as cpusSection, memory as memorySection, overview } from '../libvirt/xml/kinds/domain';
import { disk as diskKind } from '../libvirt/xml/kinds/disk';
import { iface } from '../libvirt/xml/kinds/interface';
import { describedDevices, type DescribedDevice } from '../libvirt/xml/kinds/registry';
import type { FieldDescription } from '../libvirt/xml/kinds/types';
import { formatKiB } from '../libvirt/xml/units';
import type { XmlElement } from '../libvirt/xml/xmlDocument';
import { addDevice } from './apply';

export type HintImportance = 'high' | 'medium' | 'low';

/** How a hint's fix is applied. */
export type HintApply =
  /** One click: the change is what the hint says and nothing else the guest would notice. */
  | { readonly kind: 'auto' }
  /** Asked first, with what else changes for the guest. */
  | { readonly kind: 'confirm'; readonly consequence: string }
  /** No one-click fix: what to do instead. */
  | { readonly kind: 'manual'; readonly advice: string };

export interface Hint extends Problem {
  readonly severity: 'info';
  /** Stable rule id (also the diagnostic's code), e.g. `disk-not-virtio`. */
  readonly code: HintCode;
  readonly importance: HintImportance;
  /** Short, for lists: "Use VirtIO for VirtIO Disk 1"… */
  readonly title: string;
  /** One or two sentences: why this is slower or missing something. */
  readonly why: string;
  /** What changing it is expected to do. */
  readonly effect: string;
  readonly apply: HintApply;
}

export const HINT_CODES = [
  'machine-i440fx',
  'disk-not-virtio',
  'nic-not-virtio',
  'disk-cache-io',
  'disk-no-discard',
  'cpu-not-passthrough',
  'no-guest-agent',
  'no-tablet',
  'memory-no-hugepages',
  'vcpus-over-host',
  'windows-no-hyperv',
  'win11-needs-uefi',
  'win11-needs-tpm',
  'memory-overcommit',
  'performance-no-pinning',
] as const;
export type HintCode = (typeof HINT_CODES)[number];

/** What libosinfo says about the VM's OS (undefined members: not known). */
export interface OsHintFacts {
  readonly windows: boolean;
  readonly virtio?: boolean;
  readonly q35?: boolean;
}

/** The facts the rules look at; each optional (a rule without its facts stays quiet). */
export interface HintFacts {
  /** The host's logical CPUs (nodeGetInfo). */
  readonly hostCpus?: number;
  /** The host's memory in KiB (nodeGetInfo). */
  readonly hostMemoryKiB?: number;
  /** Huge pages reserved on the host, in KiB (capabilities); 0: none. */
  readonly hostHugePagesKiB?: number;
  /** The domain capabilities for this domain's emulator/arch/machine/type. */
  readonly caps?: DomainCapabilities;
  /** libosinfo's facts for the VM's OS (from its libosinfo metadata). */
  readonly os?: OsHintFacts;
  /** The VM runs now. */
  readonly running?: boolean;
  /** Current memory (KiB) of every running VM of the host, this one included, by name. */
  readonly runningMemoryKiB?: ReadonlyMap<string, number>;
  /** The VM's recent performance, oldest first (the details panel's samples). */
  readonly perf?: readonly PerfSample[];
}

/** The tag that asks for CPU pinning (tags: `<tag>` in this project's metadata). */
export const PERFORMANCE_TAG = 'performance';
const GIB = 1024 * 1024;
/** From this memory size, huge pages are suggested (when the host has them reserved). */
export const HUGEPAGES_FROM_KIB = 16 * GIB;
const VIRTIO_BUS_FROM = ['ide', 'sata', 'usb', 'scsi'];
const Q35_DEVICE = 'http://qemu.org/chipset/x86/q35';
const AGENT = 'org.qemu.guest_agent.0';
const HYPERV_ON = ['relaxed', 'vapic', 'spinlocks', 'vpindex', 'runtime', 'synic', 'stimer', 'frequencies', 'tlbflush', 'ipi'] as const;
const IMPORTANCE_ORDER: Record<HintImportance, number> = { high: 0, medium: 1, low: 2 };

/** libosinfo's facts for an OS id (undefined: no id, or no osinfo-db). */
export function osHintFacts(osinfoId: string | undefined, install: OsinstallCatalog | undefined): OsHintFacts | undefined {
  if (osinfoId === undefined) return undefined;
  const windows = /^https?:\/\/microsoft\.com\/win\//.test(osinfoId);
  if (!install?.get(osinfoId)) return { windows };
  return { windows, virtio: install.supportsVirtio(osinfoId), q35: install.supports(osinfoId, [Q35_DEVICE]) };
}

/** Writes one described field on a copy being fixed (the field's codec, as a form would). */
function set(fields: readonly FieldDescription[], d: DomainXml, el: XmlElement, id: string, value: string | number | boolean | undefined): void {
  const f = fields.find((x) => x.id === id);
  if (!f) throw new RangeError(`no field '${id}'`);
  writeValue(f, d, el, value);
}

const mean = (xs: readonly (number | undefined)[]): number | undefined => {
  const v = xs.filter((x): x is number => x !== undefined && Number.isFinite(x));
  return v.length === 0 ? undefined : v.reduce((a, b) => a + b, 0) / v.length;
};

/** " Recently: …" from the VM's samples (empty without any). */
function recently(perf: readonly PerfSample[] | undefined, what: 'cpu' | 'disk' | 'net'): string {
  if (!perf || perf.length < 2) return '';
  const minutes = Math.max(1, Math.round((perf[perf.length - 1]!.at - perf[0]!.at) / 60_000));
  if (what === 'cpu') {
    const cpu = mean(perf.map((p) => p.cpuPercent));
    return cpu === undefined ? '' : ` Over the last ${minutes} min it used ${Math.round(cpu)}% of its vCPUs on average.`;
  }
  const r = what === 'disk' ? mean(perf.map((p) => (p.diskReadBps ?? 0) + (p.diskWriteBps ?? 0))) : mean(perf.map((p) => (p.netRxBps ?? 0) + (p.netTxBps ?? 0)));
  return r === undefined || r === 0 ? '' : ` Over the last ${minutes} min it moved ${formatRate(r)} on average.`;
}

/**
 * The hints for one domain, most important first. `dom` is the persistent definition (what a fix
 * changes); `facts` what is known about the host, the OS and the VM's recent work.
 */
export function analyzeDomain(dom: DomainXml, facts: HintFacts = {}): Hint[] {
  const doc = dom.doc;
  const out: Hint[] = [];
  const devices = describedDevices(dom);
  const windows = facts.os?.windows ?? /^https?:\/\/microsoft\.com\/win\//.test(dom.osinfoId ?? '');
  const kvm = dom.get('type') === 'kvm';
  const x86 = /^(x86_64|i686)$/.test(dom.get('arch') ?? 'x86_64');
  const add = (
    h: Omit<Hint, 'severity' | 'message' | 'range' | 'target' | 'fix'>,
    at: { section: string; field?: string; el: XmlElement; fields: readonly FieldDescription[] },
    edit?: (d: DomainXml, el: XmlElement) => void,
    fixTitle?: string,
  ): void => {
    const hint: Hint = {
      ...h,
      severity: 'info',
      message: `${h.title}: ${h.why}`,
      range: fieldRange(doc, at.el, at.fields.find((f) => f.id === at.field)),
      target: { section: at.section, ...(at.field !== undefined ? { field: at.field } : {}) },
    };
    if (edit && h.apply.kind !== 'manual') {
      // Computed when first read (it edits a copy of the whole domain): a host-wide list of
      // hundreds of VMs reads none of them; applying or the XML editor reads the one it needs.
      let fix: Hint['fix'] | null = null;
      Object.defineProperty(hint, 'fix', {
        enumerable: true,
        get: () => (fix === null ? (fix = fixBy(dom, at.section, fixTitle ?? h.title, edit)) : fix),
      });
    }
    out.push(hint);
  };
  const root = (section: 'overview' | 'cpus' | 'memory', field: string | undefined, fields: readonly FieldDescription[]) => ({ section, ...(field !== undefined ? { field } : {}), el: dom.element, fields });
  const at = (d: DescribedDevice, field?: string) => ({ section: d.id, ...(field !== undefined ? { field } : {}), el: d.element, fields: d.description.fields });

  // ---- the chipset
  const machine = dom.get('machine') ?? '';
  if (x86 && dom.get('osType') !== 'xen' && isI440fx(dom) && facts.os?.q35 !== false) {
    const floppy = devices.some((d) => d.description.kind === 'disk' && d.values.device === 'floppy');
    const manual = windows || floppy;
    add(
      {
        code: 'machine-i440fx',
        importance: 'medium',
        title: 'Use the Q35 chipset',
        why: `This VM uses the i440FX chipset (${machine}), a 1996 PCI design without PCIe, AHCI (SATA) or native hotplug of PCIe devices; its OS supports Q35.`,
        effect: 'PCIe devices and hotplug, SATA instead of IDE, and the chipset Secure Boot and current guests expect.',
        apply: manual
          ? { kind: 'manual', advice: floppy ? 'Q35 has no floppy controller: remove the floppy first, then change the Chipset in the Overview.' : 'Changing the chipset of an installed Windows changes every device it knows (it may not boot, or ask for activation again). Create a new VM with Q35 and attach this disk after installing its drivers, or change the Chipset in the Overview after a snapshot.' }
          : { kind: 'confirm', consequence: 'Every device gets a new PCI address and IDE disks move to SATA (hdX becomes sdX). An installed OS sees new hardware at its next boot; one that names its disks by device name (fstab, boot loader) may not find them. Take a snapshot first.' },
      },
      root('overview', 'machine', overview.fields),
      toQ35,
      'Switch to Q35 (new PCI addresses, IDE disks on SATA)',
    );
  }

  // ---- disks and NICs without VirtIO
  const virtioScsi = devices.some((d) => d.description.kind === 'controller' && d.values.type === 'scsi' && d.element.attr('model') === 'virtio-scsi');
  for (const d of devices) {
    const v = d.values;
    if (d.description.kind === 'disk' && (v.device ?? 'disk') === 'disk') {
      const bus = String(v.bus ?? '');
      if (facts.os?.virtio === true && VIRTIO_BUS_FROM.includes(bus) && !(bus === 'scsi' && virtioScsi)) {
        const name = d.description.title(v, d.nth, d.element);
        add(
          {
            code: 'disk-not-virtio',
            importance: 'high',
            title: `Use VirtIO for ${name}`,
            why: `${name} is emulated as ${bus.toUpperCase()}, a real controller QEMU imitates register by register; this VM's OS has VirtIO drivers.${recently(facts.perf, 'disk')}`,
            effect: 'Higher disk throughput and lower CPU use per I/O (a paravirtual queue instead of an emulated controller).',
            apply: windows
              ? { kind: 'manual', advice: 'Windows boots from VirtIO only with the viostor driver installed: install the virtio-win drivers in the guest first (add a small VirtIO disk to make Windows load the driver), then change the Bus of this disk.' }
              : { kind: 'confirm', consequence: `The guest then sees the disk as /dev/vdX instead of /dev/${String(v.target ?? 'sdX')}: an OS that names its disks by device name (fstab, boot loader) rather than by UUID or label may not find it.` },
          },
          at(d, 'bus'),
          (x, el) => {
            const address = el.child('address');
            if (address) x.doc.removeElement(address);
            set(diskKind.fields, x, el, 'bus', 'virtio');
            set(diskKind.fields, x, el, 'target', allocateDiskTarget(x, 'virtio'));
          },
        );
      }
      // Cache and I/O modes.
      const cache = v.cache === undefined ? undefined : String(v.cache);
      if (cache === 'unsafe' || cache === 'writethrough' || cache === 'directsync') {
        const name = d.description.title(v, d.nth, d.element);
        add(
          {
            code: 'disk-cache-io',
            importance: cache === 'unsafe' ? 'high' : 'medium',
            title: `Use cache mode "none" for ${name}`,
            why:
              cache === 'unsafe'
                ? `cache='unsafe' ignores the guest's flush requests: after a host crash or power loss, data the guest believed written is lost.`
                : `cache='${cache}' makes every write wait until the storage has it, which is slow for most workloads.${recently(facts.perf, 'disk')}`,
            effect: cache === 'unsafe' ? 'Writes the guest flushes are on the storage; the host page cache is bypassed (O_DIRECT).' : 'Writes complete at the storage\'s own cache; the guest\'s flushes still make them durable.',
            apply: { kind: 'auto' },
          },
          at(d, 'cache'),
          (x, el) => set(diskKind.fields, x, el, 'cache', 'none'),
        );
      } else if (v.type === 'block' && (v.driverType === undefined || v.driverType === 'raw') && !(cache === 'none' && v.io === 'native')) {
        const name = d.description.title(v, d.nth, d.element);
        add(
          {
            code: 'disk-cache-io',
            importance: 'medium',
            title: `Use cache "none" and I/O "native" for ${name}`,
            why: `${name} is a raw block device${cache ? ` with cache='${cache}'` : ' with the default (writeback) cache'}${v.io ? ` and io='${String(v.io)}'` : ''}: its data passes through the host's page cache, which the guest caches again.${recently(facts.perf, 'disk')}`,
            effect: 'Lower latency and no host memory spent on a second cache: QEMU opens the device with O_DIRECT and submits I/O through Linux native AIO.',
            apply: { kind: 'auto' },
          },
          at(d, v.io !== undefined && cache === 'none' ? 'io' : 'cache'),
          (x, el) => {
            set(diskKind.fields, x, el, 'cache', 'none');
            set(diskKind.fields, x, el, 'io', 'native');
          },
        );
      }
      // Thin images without discard.
      if (v.driverType === 'qcow2' && v.discard !== 'unmap' && v.readonly !== true) {
        const name = d.description.title(v, d.nth, d.element);
        add(
          {
            code: 'disk-no-discard',
            importance: 'low',
            title: `Pass discards of ${name} to its image`,
            why: `${name} is a thin (qcow2) image without discard='unmap': it grows as the guest writes but never shrinks when files are deleted.`,
            effect: 'Space the guest frees (fstrim, or online discard) is returned to the host\'s storage.',
            apply: { kind: 'auto' },
          },
          at(d, 'discard'),
          (x, el) => set(diskKind.fields, x, el, 'discard', 'unmap'),
        );
      }
    }
    if (d.description.kind === 'interface' && facts.os?.virtio === true && !['hostdev', 'vdpa'].includes(String(v.type ?? '')) && !String(v.model ?? '').startsWith('virtio')) {
      const name = d.description.title(v, d.nth, d.element);
      const model = v.model === undefined ? 'the hypervisor\'s default model' : `an emulated ${String(v.model)}`;
      add(
        {
          code: 'nic-not-virtio',
          importance: 'high',
          title: `Use VirtIO for ${name}`,
          why: `${name} is ${model}, a real network card QEMU imitates; this VM's OS has VirtIO drivers.${recently(facts.perf, 'net')}`,
          effect: 'Several times the network throughput at less CPU (vhost-net moves packets in the host kernel).',
          apply: windows
            ? { kind: 'manual', advice: 'Install the NetKVM driver from virtio-win in the guest first, then change the Device model of this NIC to VirtIO.' }
            : { kind: 'confirm', consequence: 'The guest sees a new network card: it may get another interface name, and a configuration tied to the old name or driver must be redone. The MAC address stays.' },
        },
        at(d, 'model'),
        (x, el) => set(iface.fields, x, el, 'model', 'virtio'),
      );
    }
  }

  // ---- the CPU
  const cpuMode = dom.get('cpuMode');
  if (kvm && cpuMode !== 'host-passthrough' && facts.caps?.cpu.hostPassthrough !== false) {
    add(
      {
        code: 'cpu-not-passthrough',
        importance: 'medium',
        title: 'Pass the host CPU through',
        why: `The guest sees ${cpuMode === undefined ? 'QEMU\'s default CPU model' : cpuMode === 'custom' ? `the ${dom.get('cpuModel') ?? 'named'} model` : `a ${cpuMode} CPU`}, which hides some of the host CPU's features and instruction sets.${recently(facts.perf, 'cpu')}`,
        effect: 'Every feature of the host CPU in the guest (newer vector instructions, the exact cache layout): faster compute, crypto and compression.',
        apply: { kind: 'confirm', consequence: 'Live migration then works only to hosts with the same CPU model (and microcode); a snapshot with memory taken here may not restore elsewhere.' },
      },
      root('cpus', 'cpuMode', cpusSection.fields),
      (x) => {
        const model = x.element.find(['cpu', 'model']);
        if (model) x.doc.removeElement(model);
        x.set('cpuMatch', undefined);
        set(cpusSection.fields, x, x.element, 'cpuMode', 'host-passthrough');
      },
    );
  }
  const vcpus = dom.get('vcpus');
  if (facts.hostCpus !== undefined && vcpus !== undefined && vcpus > facts.hostCpus) {
    const n = facts.hostCpus;
    const numa = dom.element.find(['cpu', 'numa']) !== undefined;
    add(
      {
        code: 'vcpus-over-host',
        importance: 'high',
        title: `Use at most ${n} vCPU${n > 1 ? 's' : ''}`,
        why: `This VM has ${vcpus} vCPUs but the host has ${n} CPU${n > 1 ? 's' : ''}: vCPUs wait for each other (a spinning lock holder that is not running stalls the rest).${recently(facts.perf, 'cpu')}`,
        effect: 'Less time lost to vCPUs waiting for a host CPU; the guest runs as fast or faster with fewer of them.',
        apply: numa ? { kind: 'manual', advice: 'This VM has NUMA cells over its vCPUs: lower the maximum vCPUs and the cells together in the CPUs section.' } : { kind: 'confirm', consequence: `The guest has ${n} vCPU${n > 1 ? 's' : ''} from its next boot (the CPU topology and pinning follow).` },
      },
      root('cpus', 'vcpus', cpusSection.fields),
      (x) => {
        const cur = x.get('vcpuCurrent');
        if (cur !== undefined && cur > n) x.set('vcpuCurrent', undefined);
        x.set('vcpus', n);
        if (x.element.find(['cpu', 'topology'])) {
          x.set('topologySockets', 1);
          if (x.get('topologyDies') !== undefined) x.set('topologyDies', 1);
          x.set('topologyCores', n);
          x.set('topologyThreads', 1);
          const clusters = x.element.find(['cpu', 'topology']);
          if (clusters?.attr('clusters') !== undefined) x.doc.setAttribute(clusters, 'clusters', '1');
        }
        for (const p of x.vcpuPins) if (p.vcpu >= n) x.setVcpuPin(p.vcpu, undefined);
      },
      `Set the maximum vCPUs to ${n}`,
    );
  }
  const tags = domainTags(dom).map((t) => t.toLowerCase());
  if (tags.includes(PERFORMANCE_TAG) && dom.vcpuPins.length === 0 && facts.hostCpus !== undefined) {
    const n = facts.hostCpus;
    const count = vcpus ?? 1;
    const pins = Array.from({ length: count }, (_, i) => `${i}:${i}`).join('; ');
    add(
      {
        code: 'performance-no-pinning',
        importance: 'medium',
        title: 'Pin the vCPUs to host CPUs',
        why: `This VM is tagged "${PERFORMANCE_TAG}" but its vCPUs float over the host's CPUs: the scheduler moves them, and they lose their caches each time.`,
        effect: 'Steadier latency and warm CPU caches: each vCPU always runs on the same host CPU.',
        apply: count > n ? { kind: 'manual', advice: `The VM has more vCPUs (${count}) than the host has CPUs (${n}): lower the vCPUs first.` } : { kind: 'confirm', consequence: `vCPU i runs only on host CPU i (${pins}) from the next boot; other VMs pinned to the same CPUs compete with it.` },
      },
      root('cpus', 'vcpuPin', cpusSection.fields),
      (x) => set(cpusSection.fields, x, x.element, 'vcpuPin', pins),
      `Pin vCPU i to host CPU i (${pins})`,
    );
  }

  // ---- devices the guest is better off with
  const graphical = devices.some((d) => d.description.kind === 'graphics' && ['vnc', 'spice', 'sdl', 'rdp'].includes(String(d.values.type ?? '')));
  const hasTablet = devices.some((d) => d.description.kind === 'input' && d.values.type === 'tablet');
  if (x86 && graphical && !hasTablet) {
    const usbOff = devices.some((d) => d.element.name === 'controller' && d.element.attr('type') === 'usb' && d.element.attr('model') === 'none');
    const graphics = devices.find((d) => d.description.kind === 'graphics')!;
    add(
      {
        code: 'no-tablet',
        importance: 'low',
        title: 'Add a tablet for the pointer',
        why: 'This VM has a graphical console but only a relative mouse: the guest pointer lags behind the cursor and the console must grab the mouse.',
        effect: 'The pointer follows the cursor exactly (absolute positions), with no mouse grab.',
        apply: { kind: 'auto' },
      },
      at(graphics),
      (x) => void addDevice(x, 'input', { type: 'tablet', bus: usbOff ? 'virtio' : 'usb' }),
      `Add a ${usbOff ? 'VirtIO' : 'USB'} tablet`,
    );
  }
  const hasAgent = devices.some((d) => d.description.kind === 'channel' && d.values.targetName === AGENT);
  if (dom.get('osType') === 'hvm' && !hasAgent) {
    add(
      {
        code: 'no-guest-agent',
        importance: 'low',
        title: 'Add the guest agent channel',
        why: 'This VM has no channel for the QEMU guest agent, so the host cannot ask the guest anything.',
        effect: 'With qemu-guest-agent installed in the guest: clean shutdown without ACPI, file systems frozen for consistent snapshots, and the guest\'s addresses and host name in the tree.',
        apply: { kind: 'auto' },
      },
      { section: 'overview', el: dom.devicesElement ?? dom.element, fields: [] },
      (x) => void addDevice(x, 'channel', { type: 'unix', targetType: 'virtio', targetName: AGENT }),
    );
  }

  // ---- memory
  const memKiB = dom.memoryKiB ?? 0;
  if (memKiB >= HUGEPAGES_FROM_KIB && dom.get('hugepages') !== true && (facts.hostHugePagesKiB ?? 0) >= memKiB) {
    add(
      {
        code: 'memory-no-hugepages',
        importance: 'medium',
        title: 'Back the memory with huge pages',
        why: `This VM has ${formatKiB(memKiB)} in 4 KiB pages while the host has ${formatKiB(facts.hostHugePagesKiB!)} of huge pages reserved: every guest memory access goes through a deeper page walk, and TLB misses are frequent.`,
        effect: 'Fewer TLB misses and faster memory access for large working sets (databases, JVMs).',
        apply: { kind: 'confirm', consequence: `The VM then starts only while the host has ${formatKiB(memKiB)} of its huge pages free, and its memory can no longer be swapped or merged (KSM).` },
      },
      root('memory', 'hugepages', memorySection.fields),
      (x) => set(memorySection.fields, x, x.element, 'hugepages', true),
    );
  }
  if (facts.running && facts.hostMemoryKiB !== undefined && facts.runningMemoryKiB) {
    const total = [...facts.runningMemoryKiB.values()].reduce((a, b) => a + b, 0);
    if (total > facts.hostMemoryKiB) {
      add(overcommitHint(facts.runningMemoryKiB, facts.hostMemoryKiB), root('memory', 'memory', memorySection.fields));
    }
  }

  // ---- Windows
  if (windows && kvm) {
    const hv = dom.hypervFeatures;
    const missing = HYPERV_ON.filter((n) => hv[n] !== true);
    if (missing.includes('relaxed') || missing.includes('vapic') || missing.includes('spinlocks')) {
      add(
        {
          code: 'windows-no-hyperv',
          importance: 'high',
          title: 'Turn on the Hyper-V enlightenments',
          why: `Windows runs best when told it is on a hypervisor; this VM lacks ${missing.join(', ')}, so Windows busy-waits on spinlocks and treats timer delays as hangs.`,
          effect: 'Less CPU spent idle and spinning, fewer timer interrupts and no false watchdog bug checks: a noticeably faster, quieter Windows.',
          apply: { kind: 'auto' },
        },
        root('overview', 'hyperv_relaxed', overview.fields),
        (x) => {
          for (const n of HYPERV_ON) set(overview.fields, x, x.element, `hyperv_${n}`, true);
          x.setTimer('hypervclock', { present: true });
        },
        'Turn on the Hyper-V enlightenments (virt-manager\'s set)',
      );
    }
  }
  if (/^https?:\/\/microsoft\.com\/win\/11/.test(dom.osinfoId ?? '') && dom.element.child('os')) {
    const loader = dom.element.find(['os', 'loader']);
    const efi = dom.get('firmware') === 'efi' || loader?.attr('type') === 'pflash';
    if (!efi) {
      add(
        {
          code: 'win11-needs-uefi',
          importance: 'high',
          title: 'Use UEFI firmware for Windows 11',
          why: 'Windows 11 requires UEFI firmware; its installer refuses a BIOS machine.',
          effect: 'Windows 11 installs and receives updates without bypassing its requirements.',
          apply: { kind: 'confirm', consequence: 'A Windows already installed on this VM with BIOS (an MBR disk) does not boot with UEFI: convert its disk with mbr2gpt first. Before installing there is nothing to lose.' },
        },
        root('overview', 'firmware', overview.fields),
        (x) => {
          set(overview.fields, x, x.element, 'firmware', 'efi');
          x.set('acpi', true);
        },
        'Use UEFI firmware',
      );
    }
    const tpm = devices.find((d) => d.description.kind === 'tpm');
    const meta = dom.metadataElement(LIBOSINFO_NS) ?? dom.element.child('os')!;
    if (!tpm) {
      add(
        {
          code: 'win11-needs-tpm',
          importance: 'high',
          title: 'Add a TPM 2.0 for Windows 11',
          why: 'Windows 11 requires a TPM 2.0; its installer refuses a machine without one, and BitLocker and Windows Hello need it.',
          effect: 'An emulated TPM 2.0 (swtpm keeps its state with the VM): Windows 11 installs, BitLocker and Hello work.',
          apply: { kind: 'auto' },
        },
        { section: 'os', field: 'osinfo', el: meta, fields: [] },
        (x) => void addDevice(x, 'tpm', { backendType: 'emulator', version: '2.0', model: isQ35(x) ? 'tpm-crb' : 'tpm-tis' }),
        'Add an emulated TPM 2.0',
      );
    } else if (tpm.values.version === '1.2') {
      add(
        {
          code: 'win11-needs-tpm',
          importance: 'high',
          title: 'Use TPM 2.0 for Windows 11',
          why: 'This VM\'s TPM is version 1.2; Windows 11 requires 2.0.',
          effect: 'Windows 11 installs; BitLocker and Windows Hello can use the TPM.',
          apply: { kind: 'confirm', consequence: 'The TPM\'s 1.2 state (keys sealed by the guest) does not carry over to 2.0: suspend BitLocker in the guest first.' },
        },
        at(tpm, 'version'),
        (x, el) => {
          if (el.attr('model') === 'tpm-tis' && isQ35(x)) x.doc.setAttribute(el, 'model', 'tpm-crb');
          x.doc.setAttribute(el.child('backend')!, 'version', '2.0');
        },
        'Use TPM 2.0',
      );
    }
  }
  return out.sort((a, b) => IMPORTANCE_ORDER[a.importance] - IMPORTANCE_ORDER[b.importance]);
}

/** The host-wide hint: the running VMs' memory beyond the host's (no one-click fix: which VM gives way is the user's choice). */
export function overcommitHint(running: ReadonlyMap<string, number>, hostMemoryKiB: number): Omit<Hint, 'severity' | 'message' | 'range' | 'target' | 'fix'> {
  const total = [...running.values()].reduce((a, b) => a + b, 0);
  const biggest = [...running].sort((a, b) => b[1] - a[1]).slice(0, 4).map(([n, k]) => `${n} (${formatKiB(k)})`);
  return {
    code: 'memory-overcommit',
    importance: 'high',
    title: 'Memory is overcommitted on this host',
    why: `The running VMs have ${formatKiB(total)} of memory but the host has ${formatKiB(hostMemoryKiB)}: when they use it, the host swaps or its OOM killer stops a VM. Largest: ${biggest.join(', ')}.`,
    effect: 'No swapping of guest memory and no VM killed for memory.',
    apply: { kind: 'manual', advice: 'Lower the memory of some VMs (their Memory section, or the balloon on a running VM), shut down VMs that are not needed, or move some to another host.' },
  };
}

/** The chipset change (confirmed by the user): q35, new PCI addresses, IDE disks on SATA, the old chipset's controllers dropped (libvirt adds Q35's). */
function toQ35(x: DomainXml): void {
  x.set('machine', 'q35');
  for (const d of describedDevices(x)) {
    const el = d.element;
    const a = el.child('address');
    if (el.name === 'controller' && ['pci', 'ide'].includes(el.attr('type') ?? '')) {
      x.doc.removeElement(el);
      continue;
    }
    if (el.name === 'controller' && el.attr('type') === 'usb' && /^piix/.test(el.attr('model') ?? '')) x.doc.setAttribute(el, 'model', 'qemu-xhci');
    if (a && (a.attr('type') === 'pci' || (a.attr('type') === 'drive' && el.child('target')?.attr('bus') === 'ide'))) x.doc.removeElement(a);
    if (el.name === 'disk' && el.child('target')?.attr('bus') === 'ide') {
      set(diskKind.fields, x, el, 'bus', 'sata');
      set(diskKind.fields, x, el, 'target', allocateDiskTarget(x, 'sata'));
    }
  }
}

/** Identifies a hint within one domain across re-analyses: its rule and where it is. */
export function hintKey(h: Pick<Hint, 'code' | 'target'>): string {
  return `${h.code}@${h.target.section}`;
}

/** The domain with a hint's fix applied (the fix's edits over the text it was computed from). */
export function applyHint(xml: string, hint: Hint): DomainXml {
  if (!hint.fix) throw new RangeError(`"${hint.title}" has no automatic fix`);
  return DomainXml.parse(applyEdits(xml, hint.fix.edits));
}
