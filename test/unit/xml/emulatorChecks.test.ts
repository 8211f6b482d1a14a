import * as assert from 'node:assert/strict';
import { parseCapabilities, type HostCapabilities } from '../../../src/libvirt/xml/capabilities';
import { checkDomain } from '../../../src/libvirt/xml/checks';
import { applyEdits } from '../../../src/libvirt/xml/diagnostics';
import { DomainXml } from '../../../src/libvirt/xml/domainXml';

/** A host's capabilities in libvirt 9.0's shape: QEMU for x86_64, i686 and aarch64; KVM when asked. */
function hostCaps(kvm: boolean): HostCapabilities {
  const domains = `<domain type='qemu'/>${kvm ? "<domain type='kvm'/>" : ''}`;
  return parseCapabilities(`<capabilities>
  <host><cpu><arch>x86_64</arch></cpu></host>
  <guest><os_type>hvm</os_type><arch name='i686'><wordsize>32</wordsize><emulator>/usr/bin/qemu-system-i386</emulator>
    <machine maxCpus='255'>pc-i440fx-7.2</machine><machine canonical='pc-i440fx-7.2' maxCpus='255'>pc</machine>${domains}</arch></guest>
  <guest><os_type>hvm</os_type><arch name='x86_64'><wordsize>64</wordsize><emulator>/usr/bin/qemu-system-x86_64</emulator>
    <machine maxCpus='255'>pc-i440fx-7.2</machine><machine canonical='pc-i440fx-7.2' maxCpus='255'>pc</machine>
    <machine maxCpus='288'>pc-q35-7.2</machine><machine canonical='pc-q35-7.2' maxCpus='288'>q35</machine>
    <machine maxCpus='1'>isapc</machine>${domains}</arch></guest>
  <guest><os_type>hvm</os_type><arch name='aarch64'><wordsize>64</wordsize><emulator>/usr/bin/qemu-system-aarch64</emulator>
    <machine maxCpus='512'>virt-7.2</machine><machine canonical='virt-7.2' maxCpus='512'>virt</machine><domain type='qemu'/></arch></guest>
</capabilities>`);
}

function domain(o: { type?: string; arch?: string; machine?: string; emulator?: string | null; vcpus?: string }): DomainXml {
  const machine = o.machine === undefined ? " machine='pc-q35-7.2'" : o.machine === '' ? '' : ` machine='${o.machine}'`;
  const emulator = o.emulator === null ? '' : `<emulator>${o.emulator ?? '/usr/bin/qemu-system-x86_64'}</emulator>`;
  return DomainXml.parse(`<domain type='${o.type ?? 'qemu'}'>
  <name>t</name><memory unit='MiB'>256</memory><vcpu${o.vcpus ?? '>2'}</vcpu>
  <os><type arch='${o.arch ?? 'x86_64'}'${machine}>hvm</type></os>
  <devices>${emulator}</devices>
</domain>`);
}

const codes = (d: DomainXml, caps: HostCapabilities | undefined): string[] =>
  checkDomain(d, caps ? { hostCapabilities: caps } : {})
    .filter((p) => p.severity === 'error')
    .map((p) => p.code ?? '');

describe("the emulator checks against the host's capabilities (unit)", () => {
  it('refuses KVM on a host without it, with a fix to emulation that clears the problem', () => {
    const d = domain({ type: 'kvm' });
    const p = checkDomain(d, { hostCapabilities: hostCaps(false) }).find((x) => x.code === 'emulator-virt-type');
    assert.ok(p, 'expected emulator-virt-type');
    assert.match(p.message, /KVM is not available/);
    assert.deepEqual(p.target, { section: 'overview', field: 'type' });
    assert.ok(p.fix);
    const fixed = DomainXml.parse(applyEdits(d.toString(), p.fix.edits));
    assert.equal(fixed.element.attr('type'), 'qemu');
    assert.deepEqual(codes(fixed, hostCaps(false)), []);
    assert.deepEqual(codes(d, hostCaps(true)), []);
  });

  it('refuses a virtualization type QEMU never offers', () => {
    const p = checkDomain(domain({ type: 'vmware' }), { hostCapabilities: hostCaps(true) }).find((x) => x.code === 'emulator-virt-type');
    assert.ok(p);
    assert.equal(p.fix, undefined);
    assert.match(p.message, /'qemu', 'kvm'/);
  });

  it('knows which architectures each emulator runs, its own and the ones libvirt lets it run', () => {
    assert.deepEqual(codes(domain({ arch: 'ppc64' }), hostCaps(false)), ['emulator-arch']);
    assert.deepEqual(codes(domain({ arch: 'aarch64', machine: 'virt' }), hostCaps(false)), ['emulator-arch']);
    assert.deepEqual(codes(domain({ arch: 'i686', machine: 'pc' }), hostCaps(false)), []);
    assert.deepEqual(codes(domain({ arch: 'aarch64', machine: 'virt', emulator: '/usr/bin/qemu-system-aarch64' }), hostCaps(false)), []);
  });

  it("uses the host's emulator for the architecture when the document names none", () => {
    assert.deepEqual(codes(domain({ arch: 'riscv64', machine: '', emulator: null }), hostCaps(false)), ['host-arch']);
    assert.deepEqual(codes(domain({ arch: 'aarch64', machine: 'virt', emulator: null }), hostCaps(false)), []);
    assert.deepEqual(codes(domain({ arch: 'aarch64', machine: 'virt', emulator: null, type: 'kvm' }), hostCaps(true)), ['emulator-virt-type']);
  });

  it("holds the vCPUs to the machine type's limit, aliases included, with a fix", () => {
    assert.deepEqual(codes(domain({ vcpus: '>288' }), hostCaps(false)), []);
    assert.deepEqual(codes(domain({ vcpus: '>289' }), hostCaps(false)), ['machine-max-cpus']);
    assert.deepEqual(codes(domain({ machine: 'pc', vcpus: '>256' }), hostCaps(false)), ['machine-max-cpus']);
    const d = domain({ machine: 'isapc', vcpus: " current='2'>4" });
    const p = checkDomain(d, { hostCapabilities: hostCaps(false) }).find((x) => x.code === 'machine-max-cpus');
    assert.ok(p?.fix);
    assert.deepEqual(p.target, { section: 'cpus', field: 'vcpus' });
    const fixed = DomainXml.parse(applyEdits(d.toString(), p.fix.edits));
    assert.equal(fixed.get('vcpus'), 1);
    assert.equal(fixed.get('vcpuCurrent'), 1);
    assert.deepEqual(codes(fixed, hostCaps(false)), []);
  });

  it("goes by the host's default machine type when the document names none (the first listed, as libvirt gives it)", () => {
    const pcieRoot = (machine: string): DomainXml =>
      DomainXml.parse(`<domain type='qemu'><name>t</name><memory unit='MiB'>256</memory><vcpu>2</vcpu>
  <os><type arch='x86_64'${machine}>hvm</type></os>
  <devices><emulator>/usr/bin/qemu-system-x86_64</emulator><controller type='pci' index='0' model='pcie-root'/></devices>
</domain>`);
    const p = checkDomain(pcieRoot(''), { hostCapabilities: hostCaps(false) }).find((x) => x.code === 'pci-root-model');
    assert.ok(p, 'expected pci-root-model');
    assert.match(p.message, /model='pci-root' for machine type 'pc-i440fx-7\.2' \(the host's default: the definition names none\)/);
    assert.deepEqual(codes(pcieRoot(" machine='q35'"), hostCaps(false)), []);
    // Without the host's capabilities the default is unknown: no chipset rule applies.
    assert.deepEqual(codes(pcieRoot(''), undefined), []);
    // The vCPU limit is the default machine's; an unknown default is never reported as unknown.
    assert.deepEqual(codes(domain({ machine: '', vcpus: '>255' }), hostCaps(false)), []);
    assert.deepEqual(codes(domain({ machine: '', vcpus: '>256' }), hostCaps(false)), ['machine-max-cpus']);
    assert.deepEqual(codes(domain({ arch: 'aarch64', machine: '', emulator: '/usr/bin/qemu-system-aarch64', vcpus: '>512' }), hostCaps(false)), []);
    assert.deepEqual(codes(domain({ arch: 'aarch64', machine: '', emulator: '/usr/bin/qemu-system-aarch64', vcpus: '>513' }), hostCaps(false)), ['machine-max-cpus']);
  });

  it('refuses an unknown machine type, for emulation on a KVM host too (QEMU has one list for both)', () => {
    const d = domain({ machine: 'pc-q35-99.0' });
    assert.deepEqual(codes(d, hostCaps(false)), ['emulator-machine']);
    assert.deepEqual(codes(d, hostCaps(true)), ['emulator-machine']);
    assert.deepEqual(codes(domain({ machine: 'pc-q35-99.0', type: 'kvm' }), hostCaps(true)), ['emulator-machine']);
  });

  it('warns of an emulator the capabilities do not list (libvirt refuses it if the file does not exist), naming those they list', () => {
    const d = domain({ emulator: '/usr/bin/qemu-system-i686' });
    const warning = checkDomain(d, { hostCapabilities: hostCaps(false) }).find((p) => p.code === 'emulator-unknown');
    assert.equal(warning?.severity, 'warning');
    assert.match(warning!.message, /no emulator \/usr\/bin\/qemu-system-i686 \(they list \/usr\/bin\/qemu-system-i386, \/usr\/bin\/qemu-system-x86_64, \/usr\/bin\/qemu-system-aarch64\)/);
    assert.equal(checkDomain(domain({}), { hostCapabilities: hostCaps(false) }).filter((p) => p.code === 'emulator-unknown').length, 0);
  });

  it('leaves alone what it cannot know: an emulator the capabilities do not list, or no host at all', () => {
    assert.deepEqual(codes(domain({ type: 'kvm', arch: 'ppc64', emulator: '/opt/qemu/bin/qemu-system-x86_64' }), hostCaps(false)), []);
    assert.deepEqual(codes(domain({ type: 'kvm', arch: 'ppc64', vcpus: '>999' }), undefined), []);
    const lxc = parseCapabilities("<capabilities><host><cpu><arch>x86_64</arch></cpu></host><guest><os_type>exe</os_type><arch name='x86_64'><emulator>/usr/libexec/libvirt_lxc</emulator><domain type='lxc'/></arch></guest></capabilities>");
    assert.deepEqual(codes(domain({ type: 'kvm' }), lxc), []);
  });
});
