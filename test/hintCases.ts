// Domains built to trigger each optimization hint (src/forms/hints.ts), shared by the analyzer's
// unit tests and the integration test that defines them on a real libvirtd. `baseDomain` is a VM
// no hint fires on (with the facts of `baseFacts`); each case mutates it so that one rule fires.

import type { HintCode, HintFacts, OsHintFacts } from '../src/forms/hints';
import { APP_METADATA_NS } from '../src/libvirt/xml/domainXml';

export const DEBIAN: OsHintFacts = { windows: false, virtio: true, q35: true };
export const WINDOWS: OsHintFacts = { windows: true, virtio: false, q35: true };

export interface BaseOptions {
  readonly name: string;
  readonly type?: 'kvm' | 'qemu';
  readonly osinfo?: string;
  readonly memoryMiB?: number;
  readonly vcpus?: number;
}

/** A VM as this project would make it: Q35, VirtIO, discard on its qcow2, the agent, a tablet, host-passthrough on KVM. */
export function baseDomain(o: BaseOptions): string {
  const type = o.type ?? 'kvm';
  return `<domain type='${type}'>
  <name>${o.name}</name>
  <metadata>
    <libosinfo:libosinfo xmlns:libosinfo="http://libosinfo.org/xmlns/libvirt/domain/1.0">
      <libosinfo:os id="${o.osinfo ?? 'http://debian.org/debian/11'}"/>
    </libosinfo:libosinfo>
  </metadata>
  <memory unit='MiB'>${o.memoryMiB ?? 256}</memory>
  <vcpu placement='static'>${o.vcpus ?? 1}</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
  </os>
  <features>
    <acpi/>
    <apic/>
  </features>
  ${type === 'kvm' ? "<cpu mode='host-passthrough'/>" : "<cpu mode='maximum'/>"}
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2' discard='unmap'/>
      <source file='/var/lib/libvirt/images/${o.name}.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <interface type='network'>
      <source network='default'/>
      <model type='virtio'/>
    </interface>
    <channel type='unix'>
      <target type='virtio' name='org.qemu.guest_agent.0'/>
    </channel>
    <input type='tablet' bus='usb'/>
    <graphics type='vnc' autoport='yes' listen='127.0.0.1'/>
    <memballoon model='none'/>
  </devices>
</domain>
`;
}

/** The facts the base domain is free of hints under (host numbers are placeholders the integration test replaces with the real host's). */
export function baseFacts(host: { hostCpus: number; hostMemoryKiB: number }): HintFacts {
  return { hostCpus: host.hostCpus, hostMemoryKiB: host.hostMemoryKiB, hostHugePagesKiB: 0, os: DEBIAN, running: false };
}

export interface HintCase {
  readonly code: HintCode;
  /** What the case is about (a code has several cases: cache modes, TPM missing or 1.2). */
  readonly label: string;
  readonly base?: Omit<BaseOptions, 'name'>;
  /** Turns the base domain into one that triggers the hint. */
  mutate(xml: string, host: { hostCpus: number }): string;
  /** Facts over the base facts. */
  readonly facts?: Partial<HintFacts>;
  /** The fix asks first (confirm) or is one click (auto). */
  readonly apply: 'auto' | 'confirm';
}

const replaceOnce = (xml: string, from: string | RegExp, to: string): string => {
  const out = xml.replace(from, to);
  if (out === xml) throw new Error(`the mutation does not apply: ${String(from)}`);
  return out;
};
const addDevice = (xml: string, dev: string): string => replaceOnce(xml, '    <memballoon', `    ${dev}\n    <memballoon`);

/** One case per hint (and per variant of a hint), each a real domain. */
export const HINT_CASES: readonly HintCase[] = [
  {
    code: 'machine-i440fx',
    label: 'i440FX with an IDE CD-ROM',
    mutate: (x) => addDevice(replaceOnce(x, "machine='q35'", "machine='pc'"), "<disk type='file' device='cdrom'><driver name='qemu' type='raw'/><target dev='hdc' bus='ide'/><readonly/></disk>"),
    apply: 'confirm',
  },
  { code: 'disk-not-virtio', label: 'a SATA disk', mutate: (x) => replaceOnce(x, "<target dev='vda' bus='virtio'/>", "<target dev='sda' bus='sata'/>"), apply: 'confirm' },
  { code: 'nic-not-virtio', label: 'an e1000e NIC', mutate: (x) => replaceOnce(x, "<model type='virtio'/>", "<model type='e1000e'/>"), apply: 'confirm' },
  { code: 'disk-cache-io', label: "cache='unsafe'", mutate: (x) => replaceOnce(x, "discard='unmap'/>", "cache='unsafe' discard='unmap'/>"), apply: 'auto' },
  {
    code: 'disk-cache-io',
    label: 'a raw block device with the default cache',
    mutate: (x) => addDevice(x, "<disk type='block' device='disk'><driver name='qemu' type='raw'/><source dev='/dev/null'/><target dev='vdb' bus='virtio'/></disk>"),
    apply: 'auto',
  },
  { code: 'disk-no-discard', label: 'qcow2 without discard', mutate: (x) => replaceOnce(x, " discard='unmap'", ''), apply: 'auto' },
  { code: 'cpu-not-passthrough', label: 'host-model on KVM', mutate: (x) => replaceOnce(x, "<cpu mode='host-passthrough'/>", "<cpu mode='host-model'/>"), apply: 'confirm' },
  { code: 'no-guest-agent', label: 'no agent channel', mutate: (x) => replaceOnce(x, /\s*<channel type='unix'>[\s\S]*?<\/channel>/, ''), apply: 'auto' },
  { code: 'no-tablet', label: 'VNC without a tablet', mutate: (x) => replaceOnce(x, /\s*<input type='tablet' bus='usb'\/>/, ''), apply: 'auto' },
  { code: 'memory-no-hugepages', label: '16 GiB without huge pages', base: { memoryMiB: 16 * 1024 }, mutate: (x) => x, facts: { hostHugePagesKiB: 32 * 1024 * 1024 }, apply: 'confirm' },
  {
    code: 'vcpus-over-host',
    label: 'more vCPUs than host CPUs, with a topology',
    mutate: (x, h) => replaceOnce(replaceOnce(x, "<vcpu placement='static'>1</vcpu>", `<vcpu placement='static'>${h.hostCpus + 2}</vcpu>`), "<cpu mode='host-passthrough'/>", `<cpu mode='host-passthrough'><topology sockets='1' dies='1' cores='${h.hostCpus + 2}' threads='1'/></cpu>`),
    apply: 'confirm',
  },
  { code: 'windows-no-hyperv', label: 'Windows 10 on KVM', base: { osinfo: 'http://microsoft.com/win/10' }, mutate: (x) => x, facts: { os: WINDOWS }, apply: 'auto' },
  {
    code: 'win11-needs-uefi',
    label: 'Windows 11 on BIOS',
    base: { osinfo: 'http://microsoft.com/win/11', type: 'qemu' },
    mutate: (x) => addDevice(x, "<tpm model='tpm-crb'><backend type='emulator' version='2.0'/></tpm>"),
    facts: { os: WINDOWS },
    apply: 'confirm',
  },
  {
    code: 'win11-needs-tpm',
    label: 'Windows 11 without a TPM',
    base: { osinfo: 'http://microsoft.com/win/11', type: 'qemu' },
    mutate: (x) => replaceOnce(x, '<os>', "<os firmware='efi'>"),
    facts: { os: WINDOWS },
    apply: 'auto',
  },
  {
    code: 'win11-needs-tpm',
    label: 'Windows 11 with TPM 1.2',
    base: { osinfo: 'http://microsoft.com/win/11', type: 'qemu' },
    mutate: (x) => addDevice(replaceOnce(x, '<os>', "<os firmware='efi'>"), "<tpm model='tpm-tis'><backend type='emulator' version='1.2'/></tpm>"),
    facts: { os: WINDOWS },
    apply: 'confirm',
  },
  {
    code: 'performance-no-pinning',
    label: 'tagged "performance", not pinned',
    base: { vcpus: 2 },
    mutate: (x) => replaceOnce(x, '  </metadata>', `    <vmm:data xmlns:vmm="${APP_METADATA_NS}">\n      <vmm:tag>performance</vmm:tag>\n    </vmm:data>\n  </metadata>`),
    apply: 'confirm',
  },
];
