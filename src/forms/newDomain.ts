// A new VM's definition in the shape virt-install and virt-manager give it, built through the
// descriptions (section fields and kind defaults, forms/apply.ts addDevice) on a bare document:
// q35 or i440fx by what the host offers, UEFI (optionally Secure Boot with SMM) or BIOS, VirtIO
// disk and NIC when the OS has the drivers (SATA/IDE and e1000e otherwise), a tablet, a display
// with its video, the guest agent channel, an RNG, a TPM for Windows 11 and Secure Boot, and
// Hyper-V enlightenments and local time for Windows. An install from a kernel and initrd has two
// definitions (virt-install's install-time and final): `installDefinition` boots the installer,
// `finalDefinition` boots from the disk.

import { allocateDiskTarget } from '../libvirt/xml/allocate';
import { APP_METADATA_PREFIX, DomainXml } from '../libvirt/xml/domainXml';
import { XmlValueError } from '../libvirt/xml/fields';
import { writeValue } from '../libvirt/xml/kinds/access';
import { sectionDescription } from '../libvirt/xml/kinds/domain';
import { escapeAttr, escapeText } from '../libvirt/xml/xmlDocument';
import { addDevice } from './apply';
import type { FormValue } from './formSchema';

export type NewVmFirmware = 'bios' | 'efi' | 'efi-secure';

/** Where a disk or CD-ROM's data is: a pool volume, or a path on the host. */
export type NewVmSource = { readonly pool: string; readonly volume: string } | { readonly path: string };

/** The guest CPU: a mode the domain capabilities offer (a named model for 'custom'), optionally a topology. */
export interface NewVmCpu {
  /** Default: host-passthrough under KVM, maximum under TCG. */
  readonly mode?: string;
  readonly model?: string;
  readonly topology?: { readonly sockets: number; readonly cores: number; readonly threads: number };
}

export interface NewVmPlan {
  readonly name: string;
  readonly memoryMiB: number;
  readonly vcpus: number;
  /** 'kvm' with KVM on the host, 'qemu' (TCG) without. */
  readonly type: 'kvm' | 'qemu';
  readonly arch?: string;
  /** 'q35' (default) or 'pc'. */
  readonly machine?: string;
  readonly firmware: NewVmFirmware;
  readonly osinfoId?: string;
  /** Whether the OS (installer included) has VirtIO drivers; from osinfo-db. */
  readonly virtio: boolean;
  /** The system disk (none for a diskless or manual VM). */
  readonly disk?: NewVmSource & { readonly format?: string };
  /** Install media (an ISO) on a CD-ROM. */
  readonly cdrom?: NewVmSource;
  /** A second CD-ROM with the cloud-init seed (NoCloud, volume id "cidata"). */
  readonly seed?: NewVmSource;
  /** The installer's kernel and initrd on the host (network installs), with its arguments. */
  readonly kernelBoot?: { readonly kernel: string; readonly initrd: string; readonly cmdline?: string };
  /** The NIC's MAC (a cloud-init network-config is written for it); default: a new one. */
  readonly mac?: string;
  readonly network?:
    | { readonly type: 'network'; readonly name: string }
    | { readonly type: 'bridge'; readonly name: string }
    | { readonly type: 'direct'; readonly dev: string; readonly mode: 'bridge' | 'vepa' | 'private' | 'passthrough' }
    | { readonly type: 'user' }
    | { readonly type: 'none' };
  /** Default: host-passthrough under KVM, maximum under TCG, no topology (one socket per vCPU). */
  readonly cpu?: NewVmCpu;
  readonly graphics?: 'vnc' | 'spice' | 'none';
  /** An emulated TPM 2.0; default: Windows 11 and Secure Boot get one. */
  readonly tpm?: boolean;
  /** The first boot: from the CD-ROM, the network (PXE), or the disk. */
  readonly boot: 'cdrom' | 'network' | 'disk';
  /** More devices as XML elements (a template's hardware the wizard does not ask for). */
  readonly extraDevices?: readonly string[];
  /** The template the VM is made from, recorded in its metadata (`<vmm:template name=…/>`). */
  readonly template?: string;
}

const HYPERV_FOR_WINDOWS = ['relaxed', 'vapic', 'spinlocks', 'vpindex', 'runtime', 'synic', 'stimer', 'frequencies'] as const;

const isWindows = (osinfoId: string | undefined): boolean => /^http:\/\/microsoft\.com\/win\//.test(osinfoId ?? '');
const isWin11 = (osinfoId: string | undefined): boolean => /^http:\/\/microsoft\.com\/win\/11/.test(osinfoId ?? '');

/** The plan's problems, by field; empty when a definition can be built. */
export function checkPlan(plan: NewVmPlan): { field: string; message: string }[] {
  const out: { field: string; message: string }[] = [];
  if (!/^[^/\s][^/]*$/.test(plan.name) || plan.name.trim() !== plan.name) out.push({ field: 'name', message: `'${plan.name}' is not a valid VM name: no '/', no leading or trailing spaces, not empty` });
  if (!Number.isInteger(plan.memoryMiB) || plan.memoryMiB < 16) out.push({ field: 'memoryMiB', message: 'Memory must be a whole number of MiB, at least 16' });
  if (!Number.isInteger(plan.vcpus) || plan.vcpus < 1 || plan.vcpus > 4096) out.push({ field: 'vcpus', message: 'vCPUs must be a whole number from 1 to 4096' });
  if (plan.firmware === 'efi-secure' && (plan.machine ?? 'q35') !== 'q35') out.push({ field: 'firmware', message: 'Secure Boot needs the Q35 chipset' });
  if (plan.boot === 'cdrom' && !plan.cdrom) out.push({ field: 'boot', message: 'Booting from a CD-ROM needs install media' });
  if (plan.boot === 'disk' && !plan.disk && !plan.kernelBoot) out.push({ field: 'boot', message: 'Booting from the disk needs a disk' });
  if (plan.boot === 'network' && plan.network?.type === 'none') out.push({ field: 'boot', message: 'A network (PXE) boot needs a network interface' });
  if (isWin11(plan.osinfoId) && plan.firmware === 'bios') out.push({ field: 'firmware', message: 'Windows 11 needs UEFI firmware' });
  const t = plan.cpu?.topology;
  if (t && t.sockets * t.cores * t.threads !== plan.vcpus) out.push({ field: 'cpu', message: `The CPU topology (${t.sockets} × ${t.cores} × ${t.threads}) must give the ${plan.vcpus} vCPUs` });
  if (plan.cpu?.mode === 'custom' && !plan.cpu.model) out.push({ field: 'cpu', message: 'A custom CPU needs a model' });
  if ((plan.cpu?.mode === 'host-passthrough' || plan.cpu?.mode === 'host-model') && plan.type === 'qemu') out.push({ field: 'cpu', message: `The ${plan.cpu.mode} CPU mode needs KVM; QEMU's emulation (TCG) offers "maximum" or a named model` });
  if (plan.network?.type === 'bridge' && plan.network.name === '') out.push({ field: 'network', message: 'A bridged NIC needs the host bridge' });
  if (plan.network?.type === 'direct' && plan.network.dev === '') out.push({ field: 'network', message: 'A macvtap NIC needs the host device' });
  return out;
}

function set(dom: DomainXml, section: string, values: Readonly<Record<string, FormValue>>): void {
  const s = sectionDescription(section);
  if (!s) throw new Error(`no section ${section}`);
  for (const [id, v] of Object.entries(values)) {
    const f = s.fields.find((x) => x.id === id);
    if (!f) throw new Error(`section ${section} has no field ${id}`);
    writeValue(f, dom, dom.element, v);
  }
}

function sourceValues(src: NewVmSource): Record<string, FormValue> {
  return 'path' in src ? { type: 'file', sourceFile: src.path } : { type: 'volume', sourcePool: src.pool, sourceVolume: src.volume };
}

/** The definition that installs: boots the installer (CD-ROM, network or kernel) first. */
export function installDefinition(plan: NewVmPlan): DomainXml {
  const problems = checkPlan(plan);
  if (problems.length > 0) throw new XmlValueError(problems.map((p) => p.message).join('; '), problems[0]!.field);
  const arch = plan.arch ?? 'x86_64';
  const machine = plan.machine ?? 'q35';
  const windows = isWindows(plan.osinfoId);
  // The bare document the descriptions fill in: only what no field describes (the root and the OS type).
  const dom = DomainXml.parse(`<domain type='${escapeAttr(plan.type, "'")}'>\n  <name>${escapeText(plan.name)}</name>\n  <os>\n    <type arch='${escapeAttr(arch, "'")}'>hvm</type>\n  </os>\n  <devices>\n  </devices>\n</domain>\n`);
  set(dom, 'overview', {
    machine,
    firmware: plan.firmware,
    acpi: true,
    apic: true,
    ...(plan.firmware === 'efi-secure' ? { smm: true } : {}),
    clockOffset: windows ? 'localtime' : 'utc',
    onPoweroff: 'destroy',
    // An installer booted from a kernel reboots at its end: the VM then stops (virt-install does
    // the same), since a reset would load the installer again from memory; the next start boots
    // the final definition, from the disk.
    onReboot: plan.kernelBoot ? 'destroy' : 'restart',
    onCrash: 'destroy',
    // virt-install's Windows enlightenments; KVM provides them (TCG does not emulate Hyper-V).
    ...(windows && plan.type === 'kvm' ? Object.fromEntries(HYPERV_FOR_WINDOWS.map((n) => [`hyperv_${n}`, true])) : {}),
  });
  if (plan.osinfoId) set(dom, 'os', { osinfo: plan.osinfoId });
  if (plan.template !== undefined) dom.setAppMetadata(`<${APP_METADATA_PREFIX}:template name="${escapeAttr(plan.template, '"')}"/>`);
  set(dom, 'memory', { memory: plan.memoryMiB, currentMemory: plan.memoryMiB });
  // TCG cannot pass the host CPU through; "maximum" gives the guest every feature QEMU emulates.
  const cpu = plan.cpu ?? {};
  const cpuMode = cpu.mode ?? (plan.type === 'kvm' ? 'host-passthrough' : 'maximum');
  set(dom, 'cpus', {
    vcpus: plan.vcpus,
    cpuMode,
    ...(cpuMode === 'custom' && cpu.model ? { cpuModel: cpu.model } : {}),
    ...(cpu.topology ? { topologySockets: cpu.topology.sockets, topologyDies: 1, topologyCores: cpu.topology.cores, topologyThreads: cpu.topology.threads } : {}),
  });

  const order: string[] = [];
  if (plan.disk) {
    const bus = plan.virtio ? 'virtio' : machine === 'q35' ? 'sata' : 'ide';
    const format = plan.disk.format ?? 'qcow2';
    order.push(addDevice(dom, 'disk', { ...sourceValues(plan.disk), device: 'disk', bus, target: allocateDiskTarget(dom, bus), driverType: format, discard: 'unmap' }));
  }
  const cdBus = machine === 'q35' ? 'sata' : 'ide';
  const cdrom = (src: NewVmSource): string => addDevice(dom, 'disk', { ...sourceValues(src), device: 'cdrom', bus: cdBus, target: allocateDiskTarget(dom, cdBus), driverType: 'raw', readonly: true, discard: undefined });
  const cdromId = plan.cdrom ? cdrom(plan.cdrom) : undefined;
  if (plan.seed) cdrom(plan.seed);
  let nicId: string | undefined;
  const net = plan.network ?? { type: 'network', name: 'default' };
  if (net.type !== 'none') {
    const model = plan.virtio ? 'virtio' : 'e1000e';
    const values: Record<string, FormValue> =
      net.type === 'network' ? { type: 'network', sourceNetwork: net.name, model }
      : net.type === 'bridge' ? { type: 'bridge', sourceNetwork: undefined, sourceBridge: net.name, model }
      : net.type === 'direct' ? { type: 'direct', sourceNetwork: undefined, sourceDev: net.dev, sourceMode: net.mode, model }
      : { type: 'user', sourceNetwork: undefined, model };
    nicId = addDevice(dom, 'interface', { ...values, ...(plan.mac ? { mac: plan.mac } : {}) });
  }
  const graphics = plan.graphics ?? 'vnc';
  if (graphics !== 'none') {
    addDevice(dom, 'input', { type: 'tablet', bus: 'usb' });
    addDevice(dom, 'graphics', graphics === 'spice' ? { type: 'spice', autoport: true, listenType: 'address', listenAddress: '127.0.0.1' } : {});
    addDevice(dom, 'video', { model: plan.virtio ? 'virtio' : 'qxl', heads: 1 });
    if (graphics === 'spice') addDevice(dom, 'channel', { type: 'spicevmc', targetType: 'virtio', targetName: 'com.redhat.spice.0' });
  }
  addDevice(dom, 'channel', {});
  // virt-install's serial port with the console on it: installers and kernels print there with
  // console=ttyS0 (the details' serial console reads it), and hvc0 needs virtio-console drivers.
  addDevice(dom, 'serial', {});
  addDevice(dom, 'console', { targetType: 'serial' });
  if (plan.tpm ?? (isWin11(plan.osinfoId) || plan.firmware === 'efi-secure')) addDevice(dom, 'tpm', {});
  addDevice(dom, 'rng', {});
  for (const xml of plan.extraDevices ?? []) dom.addDeviceXml(xml);

  // First boot: the installer, then the disk (per-device <boot order>).
  const first = plan.boot === 'cdrom' ? cdromId : plan.boot === 'network' ? nicId : undefined;
  const bootIds = [...(first ? [first] : []), ...order.filter((id) => id !== first)];
  if (bootIds.length > 0) set(dom, 'boot', { bootOrder: bootIds.join('\n') });
  if (plan.kernelBoot) {
    set(dom, 'boot', { kernel: plan.kernelBoot.kernel, initrd: plan.kernelBoot.initrd, ...(plan.kernelBoot.cmdline ? { cmdline: plan.kernelBoot.cmdline } : {}) });
  }
  return dom;
}

/**
 * The definition after the install: no installer kernel, the disk boots first; install media
 * stay attached but no longer boot (virt-install keeps the CD-ROM device, as the user may need it).
 */
export function finalDefinition(install: DomainXml, dropMedia: readonly { readonly pool: string; readonly volume: string }[] = []): DomainXml {
  const dom = DomainXml.parse(install.toString());
  // Media only the first boot needs (a cloud-init seed to detach): their CD-ROMs go.
  for (const d of dom.devicesOf('disk')) {
    if (dropMedia.some((m) => d.get('sourcePool') === m.pool && d.get('sourceVolume') === m.volume)) dom.doc.removeElement(d.element);
  }
  const kernelBoot = dom.get('kernel') !== undefined;
  set(dom, 'boot', { kernel: undefined, initrd: undefined, cmdline: undefined });
  if (kernelBoot) set(dom, 'overview', { onReboot: 'restart' });
  const disks = dom.devicesOf('disk').filter((d) => (d.get('device') ?? 'disk') === 'disk');
  const order = disks.map((d) => `disk:${d.get('target') ?? ''}`);
  set(dom, 'boot', { bootOrder: order.length > 0 ? order.join('\n') : undefined });
  return dom;
}
