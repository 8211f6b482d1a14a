// The domain's own sections (virt-manager's Overview, OS information, CPUs, Memory and Boot
// Options), described like the device kinds.

import { DOMAIN_FIELDS, type DomainXml } from '../domainXml';
import { int, readField, writeField } from '../fields';
import { formatKiB } from '../units';
import { accessor } from './access';
import { checkCpuTuning, copyHostCpu, cpuFeatures, EMULATOR_PIN, numaTopology, vcpuPinning } from './cpuTuning';
import { eq, exempt, field, opts, samples, samplesWith, str } from './define';
import { describedDevices, type DescribedDevice } from './registry';
import type { CheckResult, FieldDescription, SectionDescription } from './types';

const D = DOMAIN_FIELDS;
const SHOWN = 'shown, never edited';

// ---------------------------------------------------------------- memory in MiB

const mib = (which: 'memoryKiB' | 'currentMemoryKiB') =>
  accessor(
    (dom) => {
      const kib = dom[which];
      return kib === undefined ? undefined : Math.round(kib / 1024);
    },
    (dom, _el, v) => {
      dom[which] = typeof v === 'number' ? v * 1024 : undefined;
    },
    [which === 'memoryKiB' ? 'memory' : 'currentMemory'],
  );

// ---------------------------------------------------------------- firmware

const firmware = accessor(
  (dom) => {
    const efi = dom.get('firmware') === 'efi' || dom.get('loaderType') === 'pflash';
    if (!efi) return 'bios';
    return dom.firmwareFeature('secure-boot') === true || dom.get('loaderSecure') === true ? 'efi-secure' : 'efi';
  },
  (dom, _el, v) => {
    for (const f of ['secure-boot', 'enrolled-keys']) dom.setFirmwareFeature(f, undefined);
    dom.set('loader', undefined);
    dom.set('nvram', undefined);
    if (v === 'efi' || v === 'efi-secure') {
      dom.set('firmware', 'efi');
      if (v === 'efi-secure') {
        dom.setFirmwareFeature('enrolled-keys', true);
        dom.setFirmwareFeature('secure-boot', true);
        dom.set('smmState', true);
      } else {
        // Plain UEFI says so: left open, libvirt's firmware autoselection takes the first
        // descriptor by priority, which on Debian is the Secure Boot build with enrolled keys
        // (it needs SMM, which nested KVM often lacks: "System Management Mode not supported").
        dom.setFirmwareFeature('secure-boot', false);
      }
    } else dom.set('firmware', undefined);
  },
  ['os'],
);

// ---------------------------------------------------------------- Hyper-V enlightenments

const HYPERV: readonly (readonly [string, string, string, Record<string, string>?])[] = [
  ['relaxed', 'Relaxed timing', 'Tells Windows not to bug-check on timer watchdog timeouts.'],
  ['vapic', 'Virtual APIC', 'Paravirtual APIC access; fewer exits for interrupts.'],
  ['spinlocks', 'Spinlocks', 'Tells Windows to yield after spinning 8191 times.', { retries: '8191' }],
  ['vpindex', 'Virtual processor index', 'Needed by SynIC, IPIs and TLB flush.'],
  ['runtime', 'Runtime', 'Lets Windows account the time a vCPU did not run.'],
  ['synic', 'SynIC', 'Synthetic interrupt controller (needs the virtual processor index).'],
  ['stimer', 'Synthetic timers', 'Synthetic timers (need SynIC).'],
  ['reset', 'Reset', 'Reset through a Hyper-V MSR.'],
  ['frequencies', 'Frequencies', 'TSC and APIC frequencies through MSRs.'],
  ['tlbflush', 'TLB flush', 'Paravirtual TLB flush (needs the virtual processor index).'],
  ['ipi', 'IPIs', 'Paravirtual inter-processor interrupts (needs the virtual processor index).'],
];
const HYPERV_NEEDS: Record<string, Record<string, boolean>> = { synic: { hyperv_vpindex: true }, stimer: { hyperv_vpindex: true, hyperv_synic: true, hyperv_frequencies: true }, tlbflush: { hyperv_vpindex: true }, ipi: { hyperv_vpindex: true } };

const hypervFields: FieldDescription[] = HYPERV.map(([name, label, help, extra]) =>
  field(
    `hyperv_${name}`,
    `Hyper-V: ${label}`,
    `${help} For Windows guests.`,
    accessor(
      (dom) => dom.hypervFeatures[name] ?? false,
      (dom, _el, v) => dom.setHypervFeature(name, v === true ? true : undefined, extra),
    ),
    HYPERV_NEEDS[name] ? samplesWith(HYPERV_NEEDS[name], true) : samples(true),
    { widget: 'checkbox' },
  ),
);

// ---------------------------------------------------------------- boot order

/** Device kinds libvirt can boot from (`<boot order>` is allowed on them). */
export const BOOTABLE_KINDS: readonly string[] = ['disk', 'interface', 'hostdev', 'redirdev'];

/** The devices the boot order can name, in document order. */
export function bootableDevices(dom: DomainXml): DescribedDevice[] {
  return describedDevices(dom).filter((d) => BOOTABLE_KINDS.includes(d.description.kind));
}

/**
 * The boot order as device identities, one per line: per-device `<boot order>` when the domain
 * has them, else converted from `<os><boot dev>` (hd: the disks, cdrom: the CD-ROMs, network:
 * the NICs, fd: the floppies). Writing always stores per-device orders and drops `<os><boot>`
 * (libvirt refuses both at once).
 */
const BOOT = int('boot', 'order');
const bootOrder = accessor(
  (dom) => {
    const devs = bootableDevices(dom);
    const ordered = devs
      .map((d) => ({ id: d.id, order: readField(dom.doc, d.element, BOOT) }))
      .filter((x): x is { id: string; order: number } => x.order !== undefined)
      .sort((a, b) => a.order - b.order);
    if (ordered.length > 0) return ordered.map((x) => x.id).join('\n');
    const byDev = (dev: string): string[] =>
      devs
        .filter((d) => (dev === 'network' ? d.description.kind === 'interface' : d.description.kind === 'disk' && (d.values.device ?? 'disk') === (dev === 'hd' ? 'disk' : dev === 'fd' ? 'floppy' : dev)))
        .map((d) => d.id);
    const ids = dom.bootDevices.flatMap((b) => byDev(b));
    return ids.length > 0 ? ids.join('\n') : undefined;
  },
  (dom, _el, v) => {
    const ids = str(v).split('\n').map((s) => s.trim()).filter((s) => s !== '');
    const devs = bootableDevices(dom);
    for (const id of ids) {
      if (!devs.some((d) => d.id === id)) throw new RangeError(describedDevices(dom).some((d) => d.id === id) ? `Boot order: '${id}' is not a device the VM can boot from` : `Boot order: no device '${id}' in this VM`);
      if (ids.indexOf(id) !== ids.lastIndexOf(id)) throw new RangeError(`Boot order: '${id}' is listed twice`);
    }
    dom.bootDevices = [];
    for (const d of devs) {
      const i = ids.indexOf(d.id);
      writeField(dom.doc, d.element, BOOT, i < 0 ? undefined : i + 1, 'bootOrder');
    }
  },
);

// ---------------------------------------------------------------- the sections

const LIFECYCLE = opts(['destroy', 'Power off'], ['restart', 'Restart'], ['preserve', 'Preserve (pause)'], ['rename-restart', 'Rename and restart']);
const ON_CRASH = [...LIFECYCLE, ...opts(['coredump-destroy', 'Dump core, power off'], ['coredump-restart', 'Dump core, restart'])];
const osinfo = accessor(
  (dom) => dom.osinfoId,
  (dom, _el, v) => {
    dom.osinfoId = v === undefined ? undefined : str(v);
  },
);
const none = accessor(
  () => undefined,
  () => undefined,
);

export const overview: SectionDescription = {
  id: 'overview',
  title: 'Overview',
  icon: 'info',
  describe: (_dom, v) => [v.type, v.arch].filter((x) => x !== undefined).map(String).join(' · '),
  fields: [
    field('name', 'Name', 'The VM\'s name; renaming works while the VM is shut off.', D.name, exempt('renaming is virDomainRename, not a define (the apply plan says so)'), { required: true }),
    field('title', 'Title', 'A short title shown next to the name.', D.title, samples('Forms <sample> & title')),
    field('description', 'Description', 'Free text about the VM.', D.description, samples('line one\nline two'), { widget: 'textarea' }),
    field('uuid', 'UUID', 'The VM\'s unique id.', D.uuid, exempt(SHOWN), { widget: 'readonly' }),
    field('state', 'Status', 'Whether the VM is running.', none, exempt('a host value, not in the XML'), { widget: 'readonly', hostValue: 'state' }),
    field('type', 'Hypervisor', 'The virtualization type (kvm, or qemu for emulation).', D.type, exempt(SHOWN), { widget: 'readonly' }),
    field('arch', 'Architecture', 'The guest CPU architecture.', D.arch, exempt(SHOWN), { widget: 'readonly' }),
    field('emulator', 'Emulator', 'The QEMU binary that runs the VM.', D.emulator, samples('/usr/bin/qemu-system-x86_64')),
    field('machine', 'Chipset', 'The machine type: q35 (PCIe, modern) or i440fx ("pc", legacy); libvirt stores the versioned name.', D.machine, { samples: ['pc'], expect: '^pc-i440fx-' }, { widget: 'select', allowCustom: true, options: opts(['q35', 'Q35'], ['pc', 'i440FX']), optionsFrom: { caps: 'machine' } }),
    field('firmware', 'Firmware', 'BIOS, UEFI, or UEFI with Secure Boot (needs Q35 and SMM).', firmware, samples('efi', 'bios'), { widget: 'select', options: opts(['bios', 'BIOS'], ['efi', 'UEFI'], ['efi-secure', 'UEFI with Secure Boot']), optionsFrom: { caps: 'firmware' } }),
    field('clockOffset', 'Clock offset', 'UTC for Linux guests, local time for Windows.', D.clockOffset, samples('localtime', 'utc'), { options: opts(['utc', 'UTC'], ['localtime', 'Local time'], ['timezone', 'Time zone'], ['variable', 'Variable'], ['absolute', 'Absolute']) }),
    field('onPoweroff', 'On power off', 'What libvirt does when the guest powers off.', D.onPoweroff, samples('restart', 'destroy'), { options: LIFECYCLE }),
    field('onReboot', 'On reboot', 'What libvirt does when the guest reboots.', D.onReboot, samples('destroy', 'restart'), { options: LIFECYCLE }),
    field('onCrash', 'On crash', 'What libvirt does when the guest crashes.', D.onCrash, samples('restart', 'coredump-destroy'), { options: ON_CRASH }),
    field('acpi', 'ACPI', 'Power management and device discovery; needed by UEFI and most guests.', D.acpi, samples(true)),
    field('apic', 'APIC', 'The advanced interrupt controller; needed by SMP guests.', D.apic, samples(true)),
    field('smm', 'SMM', 'System management mode; needed by Secure Boot.', D.smmState, samples(true, false), { widget: 'checkbox' }),
    ...hypervFields,
    field('kvmHidden', 'Hide KVM', 'Hide the KVM signature from the guest (some GPU drivers refuse to run under a hypervisor).', D.kvmHidden, samples(true)),
  ],
  check: (v, _el, dom) => {
    const out: CheckResult[] = [];
    const machine = dom.get('machine') ?? '';
    if (v.firmware === 'efi-secure' && !/q35/.test(machine)) {
      out.push({ field: 'machine', code: 'secure-boot-machine', message: `Secure Boot needs the Q35 chipset (this VM uses '${machine || 'default'}')`, fix: { title: 'Use the Q35 chipset', edit: (d) => d.set('machine', 'q35') } });
    }
    if (v.firmware === 'efi-secure' && dom.get('smmState') === false) {
      // libvirt 9.0 defines it; the firmware then refuses to start without SMM: a warning.
      out.push({ field: 'smm', code: 'secure-boot-smm', severity: 'warning', message: 'Secure Boot needs SMM: libvirt accepts this, but the VM will not start with Secure Boot firmware', fix: { title: 'Turn SMM on', edit: (d) => d.set('smmState', true) } });
    }
    if (v.firmware !== 'bios' && v.acpi !== true && /x86_64|i686|aarch64/.test(str(v.arch ?? 'x86_64'))) {
      out.push({ field: 'firmware', code: 'uefi-needs-acpi', message: 'UEFI firmware needs ACPI: add <acpi/> to <features> (libvirt refuses UEFI without it on x86)', fix: { title: 'Add <acpi/> to <features>', edit: (d) => d.set('acpi', true) } });
    }
    return out;
  },
};

export const os: SectionDescription = {
  id: 'os',
  title: 'OS',
  icon: 'globe',
  describe: (_dom, v) => (v.osinfo !== undefined ? str(v.osinfo).replace(/^https?:\/\/[^/]+\//, '') : 'unknown'),
  fields: [
    field('osinfo', 'Operating system', 'The libosinfo id of the guest OS (e.g. http://debian.org/debian/12); virt-manager and virt-install pick defaults from it.', osinfo, samples('http://debian.org/debian/12'), {
      widget: 'select',
      allowCustom: true,
      optionsFrom: { list: 'osinfo' },
      placeholder: 'http://debian.org/debian/12',
    }),
  ],
};

const TOPOLOGY = 'Sockets × dies × cores × threads must equal the maximum vCPUs.';
const topo = { vcpus: 4, topologySockets: 1, topologyDies: 1, topologyCores: 2, topologyThreads: 2 };
const without = (k: keyof typeof topo): Record<string, number> => Object.fromEntries(Object.entries(topo).filter(([x]) => x !== k));

export const cpus: SectionDescription = {
  id: 'cpus',
  title: 'CPUs',
  icon: 'chip',
  describe: (_dom, v) => `${str(v.vcpuCurrent ?? v.vcpus ?? 1)} vCPU${v.cpuMode !== undefined && v.cpuMode !== 'custom' ? ` · ${str(v.cpuMode)}` : v.cpuModel !== undefined ? ` · ${str(v.cpuModel)}` : ''}`,
  fields: [
    field('vcpus', 'Maximum vCPUs', 'The most virtual CPUs the VM can have; changes take effect at the next boot.', D.vcpus, samples(4), { min: 1, required: true }),
    field('vcpuCurrent', 'Current vCPUs', 'The virtual CPUs the VM uses now; on a running VM this changes at once (where the guest supports CPU hotplug).', D.vcpuCurrent, samplesWith({ vcpus: 4 }, 2), { min: 1, apply: 'live' }),
    field('cpuMode', 'CPU mode', 'host-passthrough gives the guest the host CPU as it is (fastest, not migratable); host-model a migratable copy; custom a named model.', D.cpuMode, samples('host-model', 'maximum', 'custom'), {
      options: opts(['host-passthrough', 'Host passthrough'], ['host-model', 'Copy host CPU configuration (host-model)'], ['custom', 'Custom model'], ['maximum', 'Maximum']),
      optionsFrom: { caps: 'cpuModes' },
    }),
    field('cpuModel', 'Model', 'The named CPU model; models this host cannot run are marked.', D.cpuModel, samplesWith({ cpuMode: 'custom' }, 'pentium3'), { widget: 'select', allowCustom: true, when: eq('cpuMode', 'custom'), optionsFrom: { caps: 'cpuModels' } }),
    field('copyHost', 'Copy host CPU configuration', 'Give the guest a migratable copy of the host CPU (mode host-model), as virt-manager\'s checkbox does; unchecking drops host-model.', copyHostCpu, { samples: [true] }, { widget: 'checkbox' }),
    field('cpuFeatures', 'CPU features', 'Features to add or remove, as name:policy separated by ";" (policies: require, optional, disable, forbid, force), like vmx:require; svm:disable. Not for host-passthrough.', cpuFeatures, samplesWith({ cpuMode: 'host-model' }, 'vmx:disable; svm:disable'), { placeholder: 'vmx:require; svm:disable' }),
    field('vcpuCpuset', 'Allowed host CPUs', 'Host CPUs the vCPUs may run on, like 0-3,6; empty for all.', D.vcpuCpuset, samples('0'), { placeholder: '0-3,6' }),
    field('topologySockets', 'Sockets', TOPOLOGY, D.topologySockets, samplesWith(without('topologySockets'), 1), { min: 1 }),
    field('topologyDies', 'Dies', TOPOLOGY, D.topologyDies, samplesWith(without('topologyDies'), 1), { min: 1 }),
    field('topologyCores', 'Cores', TOPOLOGY, D.topologyCores, samplesWith(without('topologyCores'), 2), { min: 1 }),
    field('topologyThreads', 'Threads', TOPOLOGY, D.topologyThreads, samplesWith(without('topologyThreads'), 2), { min: 1 }),
    field('vcpuPin', 'vCPU pinning', 'Host CPUs for each vCPU, as vCPU:host CPUs separated by ";", like 0:0-1; 1:2-3; empty for none.', vcpuPinning, samplesWith({ vcpus: 2 }, '0:0; 1:1'), { placeholder: '0:0-1; 1:2-3' }),
    field('emulatorPin', 'Emulator pinning', 'Host CPUs for the emulator\'s own threads (I/O, timers), like 0-1; empty for the same as the vCPUs.', EMULATOR_PIN, samples('0-1'), { placeholder: '0-1' }),
    field('numaCells', 'NUMA cells', 'Guest NUMA nodes, as vCPUs:memory in MiB separated by ";", like 0-1:512; 2-3:512 (cell ids in order). The cells must hold every vCPU once and add up to the maximum memory.', numaTopology, { samples: ['0-1:256', '0:128; 1:128'], with: { vcpus: 2 } }, { placeholder: '0-1:512; 2-3:512' }),
  ],
  check: (v, el, dom) => {
    const out: CheckResult[] = [];
    const max = typeof v.vcpus === 'number' ? v.vcpus : undefined;
    const topology = el.find(['cpu', 'topology']);
    if (topology && max !== undefined) {
      const n = (a: string): number | undefined => {
        const x = Number(topology.attr(a));
        return Number.isInteger(x) && x > 0 ? x : undefined;
      };
      const parts = { sockets: n('sockets'), dies: n('dies'), clusters: n('clusters'), cores: n('cores'), threads: n('threads') };
      const product = topologyProduct(parts);
      if (product !== max) {
        out.push({
          field: 'topologySockets',
          code: 'topology-mismatch',
          message: `The CPU topology gives ${product} vCPUs (sockets ${parts.sockets ?? 1} × dies ${parts.dies ?? 1} × clusters ${parts.clusters ?? 1} × cores ${parts.cores ?? 1} × threads ${parts.threads ?? 1}) but the maximum is ${max}; libvirt requires them to match`,
          fix: { title: `Set maximum vCPUs to ${product}`, edit: (d) => d.set('vcpus', product) },
        });
      }
    }
    out.push(...checkCpuTuning(v, dom));
    if (typeof v.vcpuCurrent === 'number' && max !== undefined && v.vcpuCurrent > max) {
      out.push({ field: 'vcpuCurrent', code: 'vcpu-current-above-max', message: `Current vCPUs (${v.vcpuCurrent}) exceed the maximum (${max})`, fix: { title: `Set current vCPUs to ${max}`, edit: (d) => d.set('vcpuCurrent', max) } });
    }
    return out;
  },
};

export const memory: SectionDescription = {
  id: 'memory',
  title: 'Memory',
  icon: 'server',
  describe: (dom) => formatKiB(dom.currentMemoryKiB ?? dom.memoryKiB ?? 0),
  fields: [
    field('memory', 'Maximum allocation', 'The most memory the VM can have; changes take effect at the next boot.', mib('memoryKiB'), samples(512), { widget: 'size', unit: 'MiB', min: 1, required: true }),
    field('currentMemory', 'Current allocation', 'The memory the VM uses now; on a running VM the balloon changes it at once.', mib('currentMemoryKiB'), samplesWith({ memory: 512 }, 384), { widget: 'size', unit: 'MiB', min: 1, apply: 'live' }),
    field('hugepages', 'Huge pages', 'Back the memory with the host\'s huge pages (they must be reserved on the host).', D.hugepages, samples(true)),
    field('memoryAccess', 'Shared memory', 'Shared access is needed by virtiofs and vhost-user devices.', D.memoryAccess, samplesWith({ memorySource: 'memfd' }, 'shared'), { options: opts(['private', 'Private'], ['shared', 'Shared']) }),
    field('memorySource', 'Backing source', 'Where guest memory comes from: anonymous memory, a memfd, or a file.', D.memorySource, samples('memfd', 'anonymous'), { options: opts(['anonymous', 'Anonymous'], ['memfd', 'memfd'], ['file', 'File']), optionsFrom: { caps: 'memorySourceTypes' } }),
  ],
  check: (_v, _el, dom) => {
    const max = dom.memoryKiB;
    const cur = dom.currentMemoryKiB;
    if (max === undefined || cur === undefined || cur <= max) return [];
    // libvirt accepts this and lowers the current memory to the maximum: a warning, not an error.
    return [{ field: 'currentMemory', code: 'memory-current-above-max', severity: 'warning', message: `Current memory (${formatKiB(cur)}) is more than the maximum (${formatKiB(max)}); libvirt lowers it to the maximum`, fix: { title: 'Set current memory to the maximum', edit: (d) => (d.currentMemoryKiB = max) } }];
  },
};

/** Kernel, initrd and DTB: a path picked from the host's pool volumes, or typed. */
const BOOT_FILE = { widget: 'select', allowCustom: true, optionsFrom: { list: 'volumes' }, placeholder: '/var/lib/libvirt/boot/vmlinuz' } as const;

export const boot: SectionDescription = {
  id: 'boot',
  title: 'Boot Options',
  icon: 'rocket',
  describe: (dom, v) => {
    const fw = dom.get('firmware') ?? (dom.get('loader') !== undefined ? 'custom loader' : 'BIOS');
    // Per-device orders by the devices' names in the tree; the old <os><boot dev> list as libvirt words it.
    const titles = new Map(bootableDevices(dom).map((d) => [d.id, d.description.title(d.values, d.nth, d.element)]));
    const order = dom.bootDevices.join(', ') || (v.bootOrder !== undefined ? str(v.bootOrder).split('\n').map((id) => titles.get(id) ?? id).join(', ') : '');
    return `${fw === 'efi' ? 'UEFI' : fw}${order ? ` · ${order}` : ''}`;
  },
  fields: [
    field('autostart', 'Start on host boot', 'Start the VM when the host starts.', none, exempt('a host value (virDomainSetAutostart), not in the XML'), { widget: 'checkbox', hostValue: 'autostart', apply: 'live' }),
    field('bootMenu', 'Boot menu', 'Show the firmware\'s boot menu at start.', D.bootMenu, samples(true, false)),
    field('bootMenuTimeout', 'Menu timeout (ms)', 'How long the boot menu waits.', D.bootMenuTimeout, samplesWith({ bootMenu: true }, 3000), { min: 0, max: 65535, when: eq('bootMenu', true) }),
    field('bootOrder', 'Boot order', 'Check the devices to boot from and drag them (or use Alt+Up/Down) into the order to try them: disks, NICs and host devices.', bootOrder, samples('disk:vda'), { widget: 'order' }),
    field('kernel', 'Kernel path', 'Boot this kernel directly instead of through the firmware.', D.kernel, samples('/var/lib/libvirt/boot/forms-vmlinuz'), BOOT_FILE),
    field('initrd', 'Initrd path', 'The initial ramdisk for the kernel.', D.initrd, samplesWith({ kernel: '/var/lib/libvirt/boot/forms-vmlinuz' }, '/var/lib/libvirt/boot/forms-initrd'), { ...BOOT_FILE, when: { field: 'kernel', set: true } }),
    field('cmdline', 'Kernel arguments', 'The kernel command line.', D.cmdline, samplesWith({ kernel: '/var/lib/libvirt/boot/forms-vmlinuz' }, 'console=ttyS0 root=/dev/vda1'), { when: { field: 'kernel', set: true } }),
    field('dtb', 'DTB path', 'A device tree for the kernel (ARM and other non-x86 guests).', D.dtb, samplesWith({ kernel: '/var/lib/libvirt/boot/forms-vmlinuz' }, '/var/lib/libvirt/boot/forms.dtb'), { ...BOOT_FILE, when: { field: 'kernel', set: true } }),
  ],
};

export const DOMAIN_SECTIONS: readonly SectionDescription[] = [overview, os, cpus, memory, boot];

export function sectionDescription(id: string): SectionDescription | undefined {
  return DOMAIN_SECTIONS.find((s) => s.id === id);
}

/** The topology check shared by the form and the checker: product (with clusters) vs vCPUs. */
export function topologyProduct(v: { sockets?: number; dies?: number; clusters?: number; cores?: number; threads?: number }): number {
  return (v.sockets ?? 1) * (v.dies ?? 1) * (v.clusters ?? 1) * (v.cores ?? 1) * (v.threads ?? 1);
}

