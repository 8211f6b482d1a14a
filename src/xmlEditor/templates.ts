// Minimal valid starting points for "New VM from XML" and "New Network from XML". No vscode here.

import { XmlDocument } from '../libvirt/xml/xmlDocument';

export interface VmTemplateOptions {
  readonly name: string;
  /** True when the host offers KVM (domain capabilities); else the VM is emulated (type='qemu'). */
  readonly kvm: boolean;
}

export function vmTemplate(o: VmTemplateOptions): string {
  return `<domain type='${o.kvm ? 'kvm' : 'qemu'}'>
  <name>${o.name}</name>
  <memory unit='GiB'>1</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <boot dev='hd'/>
  </os>
  <features>
    <acpi/>
    <apic/>
  </features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <graphics type='vnc' autoport='yes' listen='127.0.0.1'/>
    <video>
      <model type='virtio'/>
    </video>
    <input type='tablet' bus='usb'/>
  </devices>
</domain>
`;
}

/** The 192.168.N.0/24 subnets (and the N) that the given network XML documents already use. */
export function usedThirdOctets(networkXmls: readonly string[]): Set<number> {
  const used = new Set<number>();
  for (const xml of networkXmls) {
    let doc: XmlDocument;
    try {
      doc = XmlDocument.parse(xml);
    } catch {
      continue;
    }
    for (const ip of doc.root.elements('ip')) {
      const m = /^192\.168\.(\d{1,3})\.\d{1,3}$/.exec(ip.attr('address') ?? '');
      if (m) used.add(Number(m[1]));
    }
  }
  return used;
}

/** A free 192.168.N.0/24 (N from 100 up, then 2 up), avoiding `used` and the host's own `hostAddrs`. */
export function freeThirdOctet(used: ReadonlySet<number>, hostAddrs: readonly string[] = []): number {
  const taken = new Set(used);
  for (const a of hostAddrs) {
    const m = /^192\.168\.(\d{1,3})\./.exec(a);
    if (m) taken.add(Number(m[1]));
  }
  const order = [...Array.from({ length: 155 }, (_, i) => 100 + i), ...Array.from({ length: 98 }, (_, i) => 2 + i)];
  const n = order.find((x) => !taken.has(x));
  if (n === undefined) throw new Error('No free 192.168.x.0/24 subnet left for a new network');
  return n;
}

export interface NetworkTemplateOptions {
  readonly name: string;
  readonly thirdOctet: number;
}

export function networkTemplate(o: NetworkTemplateOptions): string {
  const net = `192.168.${o.thirdOctet}`;
  return `<network>
  <name>${o.name}</name>
  <forward mode='nat'/>
  <ip address='${net}.1' prefix='24'>
    <dhcp>
      <range start='${net}.2' end='${net}.254'/>
    </dhcp>
  </ip>
</network>
`;
}
