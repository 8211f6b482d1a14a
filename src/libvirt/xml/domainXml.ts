// Typed, lossless access to a libvirt domain XML document (libvirt formatdomain.rst).
// Every setter edits the original text surgically through XmlDocument: an untouched document
// serialises byte-identical and a one-value change is a one-value diff.

import { Device, DeviceKind, deviceOrder, deviceView, KnownDeviceKind, knownDeviceKinds } from './devices';
import { Field, FieldValue, FieldView, int, oneOf, onOff, presence, readField, str, writeField, XmlValueError, yesNo } from './fields';
import { XmlDocument, XmlElement, escapeAttr } from './xmlDocument';

/** Namespace of this project's own metadata element inside <metadata> (stable; never change it). */
export const APP_METADATA_NS = 'https://libvirt-vms.dev/xmlns/domain/1';
export const APP_METADATA_PREFIX = 'vmm';
export const APP_METADATA_ELEMENT = 'data';
/** libosinfo's namespace, as written by virt-install / virt-manager. */
export const LIBOSINFO_NS = 'http://libosinfo.org/xmlns/libvirt/domain/1.0';

export const LIFECYCLE_ACTIONS = ['destroy', 'restart', 'preserve', 'rename-restart', 'coredump-destroy', 'coredump-restart'] as const;

/** Fields of <domain> below the root, addressed as paths (see fields.ts). */
export const DOMAIN_FIELDS = {
  type: oneOf(['qemu', 'kvm', 'xen', 'lxc', 'test', 'hvf', 'vmware', 'bhyve', 'vz', 'hyperv', 'openvz', 'uml', 'phyp', 'vbox', 'none'], '', 'type'),
  name: str('name'),
  uuid: str('uuid'),
  title: str('title'),
  description: str('description'),
  // memory (raw values; see memoryKiB() for unit-aware access)
  hugepages: presence('memoryBacking/hugepages'),
  memoryAccess: oneOf(['shared', 'private'], 'memoryBacking/access', 'mode'),
  memorySource: oneOf(['file', 'anonymous', 'memfd'], 'memoryBacking/source', 'type'),
  // vcpus
  vcpus: int('vcpu'),
  vcpuCurrent: int('vcpu', 'current'),
  vcpuPlacement: oneOf(['static', 'auto'], 'vcpu', 'placement'),
  vcpuCpuset: str('vcpu', 'cpuset'),
  cpuMode: oneOf(['custom', 'host-model', 'host-passthrough', 'maximum'], 'cpu', 'mode'),
  cpuMatch: oneOf(['minimum', 'exact', 'strict'], 'cpu', 'match'),
  cpuCheck: oneOf(['none', 'partial', 'full'], 'cpu', 'check'),
  cpuMigratable: onOff('cpu', 'migratable'),
  cpuModel: str('cpu/model'),
  cpuModelFallback: oneOf(['allow', 'forbid'], 'cpu/model', 'fallback'),
  cpuVendor: str('cpu/vendor'),
  topologySockets: int('cpu/topology', 'sockets'),
  topologyDies: int('cpu/topology', 'dies'),
  topologyCores: int('cpu/topology', 'cores'),
  topologyThreads: int('cpu/topology', 'threads'),
  // os
  osType: oneOf(['hvm', 'linux', 'xen', 'xenpvh', 'exe'], 'os/type'),
  arch: str('os/type', 'arch'),
  machine: str('os/type', 'machine'),
  firmware: oneOf(['bios', 'efi'], 'os', 'firmware'),
  loader: str('os/loader'),
  loaderReadonly: yesNo('os/loader', 'readonly'),
  loaderType: oneOf(['rom', 'pflash'], 'os/loader', 'type'),
  loaderSecure: yesNo('os/loader', 'secure'),
  nvram: str('os/nvram'),
  nvramTemplate: str('os/nvram', 'template'),
  bootMenu: yesNo('os/bootmenu', 'enable'),
  bootMenuTimeout: int('os/bootmenu', 'timeout'),
  biosUseSerial: yesNo('os/bios', 'useserial'),
  kernel: str('os/kernel'),
  initrd: str('os/initrd'),
  cmdline: str('os/cmdline'),
  dtb: str('os/dtb'),
  smbiosMode: oneOf(['emulate', 'host', 'sysinfo'], 'os/smbios', 'mode'),
  // features
  acpi: presence('features/acpi'),
  apic: presence('features/apic'),
  pae: presence('features/pae'),
  hap: presence('features/hap'),
  smm: presence('features/smm'),
  smmState: onOff('features/smm', 'state'),
  vmport: onOff('features/vmport', 'state'),
  pvspinlock: onOff('features/pvspinlock', 'state'),
  ioapicDriver: oneOf(['qemu', 'kvm'], 'features/ioapic', 'driver'),
  gicVersion: str('features/gic', 'version'),
  hypervMode: oneOf(['custom', 'passthrough'], 'features/hyperv', 'mode'),
  kvmHidden: onOff('features/kvm/hidden', 'state'),
  // clock and lifecycle
  clockOffset: oneOf(['utc', 'localtime', 'timezone', 'variable', 'absolute'], 'clock', 'offset'),
  clockTimezone: str('clock', 'timezone'),
  onPoweroff: oneOf(LIFECYCLE_ACTIONS, 'on_poweroff'),
  onReboot: oneOf(LIFECYCLE_ACTIONS, 'on_reboot'),
  onCrash: oneOf(LIFECYCLE_ACTIONS, 'on_crash'),
  suspendToMem: yesNo('pm/suspend-to-mem', 'enabled'),
  suspendToDisk: yesNo('pm/suspend-to-disk', 'enabled'),
  emulator: str('devices/emulator'),
};
export type DomainFieldName = keyof typeof DOMAIN_FIELDS;

const UNIT_FACTORS: Record<string, number> = {
  b: 1,
  bytes: 1,
  kb: 1000,
  k: 1024,
  kib: 1024,
  mb: 1e6,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  gb: 1e9,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  tb: 1e12,
  t: 1024 ** 4,
  tib: 1024 ** 4,
};

/** Converts a libvirt scaled integer (value + unit, default KiB) to KiB. */
export function toKiB(value: number, unit: string | undefined): number {
  const f = UNIT_FACTORS[(unit ?? 'KiB').toLowerCase()];
  if (f === undefined) throw new XmlValueError(`unknown unit '${unit}'`, 'unit');
  return Math.floor((value * f) / 1024);
}

export type BootDevice = 'hd' | 'cdrom' | 'network' | 'fd';
export type FeaturePolicy = 'force' | 'require' | 'optional' | 'disable' | 'forbid';

/** The order libvirt writes these children in (virDomainDefFormat); new elements follow it. */
const CHILD_ORDER: Record<string, readonly string[]> = {
  domain: ['name', 'uuid', 'genid', 'title', 'description', 'metadata', 'maxMemory', 'memory', 'currentMemory', 'blkiotune', 'memtune', 'memoryBacking', 'vcpu', 'vcpus', 'iothreads', 'cputune', 'numatune', 'resource', 'sysinfo', 'bootloader', 'bootloader_args', 'os', 'idmap', 'features', 'cpu', 'clock', 'on_poweroff', 'on_reboot', 'on_crash', 'on_lockfailure', 'pm', 'perf', 'devices', 'seclabel'],
  os: ['type', 'firmware', 'loader', 'nvram', 'kernel', 'initrd', 'cmdline', 'dtb', 'acpi', 'boot', 'bootmenu', 'smbios', 'bios'],
  cpu: ['model', 'vendor', 'topology', 'cache', 'maxphysaddr', 'feature', 'numa'],
  disk: ['driver', 'source', 'backingStore', 'target', 'iotune', 'boot', 'readonly', 'shareable', 'serial', 'encryption', 'address'],
  interface: ['mac', 'source', 'vlan', 'virtualport', 'target', 'model', 'driver', 'link', 'mtu', 'bandwidth', 'boot', 'alias', 'address'],
};

/** Attribute order of libvirt's formatter for elements whose attributes we add. */
const ATTRIBUTE_ORDER: Record<string, readonly string[]> = {
  driver: ['name', 'type', 'cache', 'error_policy', 'rerror_policy', 'io', 'ioeventfd', 'event_idx', 'copy_on_read', 'discard', 'iothread', 'detect_zeroes', 'queues', 'queue_size'],
  target: ['dev', 'bus', 'tray', 'removable', 'rotation_rate'],
  vcpu: ['placement', 'cpuset', 'current'],
  cpu: ['mode', 'match', 'check', 'migratable'],
  graphics: ['type', 'port', 'autoport', 'tlsPort', 'websocket', 'listen', 'passwd', 'passwdValidTo', 'connected', 'keymap', 'sharePolicy'],
  model: ['type', 'ram', 'vram', 'vram64', 'vgamem', 'heads', 'primary'],
  inbound: ['average', 'peak', 'floor', 'burst'],
  outbound: ['average', 'peak', 'burst'],
  loader: ['readonly', 'secure', 'type', 'format'],
  bootmenu: ['enable', 'timeout'],
  topology: ['sockets', 'dies', 'clusters', 'cores', 'threads'],
  disk: ['type', 'device', 'model', 'snapshot'],
  controller: ['type', 'index', 'model', 'ports', 'vectors'],
  filesystem: ['type', 'accessmode', 'model', 'multidevs'],
  hostdev: ['mode', 'type', 'managed', 'model', 'display'],
  input: ['type', 'bus', 'model'],
  smartcard: ['mode', 'type'],
  redirdev: ['bus', 'type'],
  watchdog: ['model', 'action'],
  memballoon: ['model', 'autodeflate', 'freePageReporting'],
  audio: ['id', 'type'],
  backend: ['type', 'version', 'persistent_state', 'model'],
  source: ['file', 'dev', 'dir', 'protocol', 'name', 'pool', 'volume', 'network', 'bridge', 'mode', 'path', 'host', 'service'],
};

export class DomainXml extends FieldView<typeof DOMAIN_FIELDS> {
  private constructor(doc: XmlDocument) {
    if (doc.root.name !== 'domain') throw new XmlValueError(`root element is <${doc.root.name}>, expected <domain>`, 'root');
    super(doc, doc.root, DOMAIN_FIELDS);
    for (const [k, v] of Object.entries(CHILD_ORDER)) doc.childOrder.set(k, v);
    for (const [k, v] of Object.entries(ATTRIBUTE_ORDER)) doc.attributeOrder.set(k, v);
  }

  static parse(text: string): DomainXml {
    return new DomainXml(XmlDocument.parse(text));
  }

  static fromDocument(doc: XmlDocument): DomainXml {
    return new DomainXml(doc);
  }

  override toString(): string {
    return this.doc.text;
  }

  /** Generic field access relative to the root (for fields not in DOMAIN_FIELDS). */
  read<T>(f: Field<T>): T | undefined {
    return readField(this.doc, this.element, f);
  }
  write<T>(f: Field<T>, value: T | undefined): void {
    writeField(this.doc, this.element, f, value, f.path.join('/'));
  }

  // ---------------------------------------------------------------- memory

  private scaled(name: 'memory' | 'currentMemory' | 'maxMemory'): number | undefined {
    const el = this.element.child(name);
    if (!el) return undefined;
    const v = int('').codec.decode(this.doc.textContent(el));
    return v === undefined ? undefined : toKiB(v, el.attr('unit'));
  }
  private setScaled(name: 'memory' | 'currentMemory', kib: number | undefined): void {
    if (kib === undefined) {
      const el = this.element.child(name);
      if (el) this.doc.removeElement(el);
      return;
    }
    if (!Number.isSafeInteger(kib) || kib < 0) throw new XmlValueError(`${name}: ${kib} is not a non-negative integer`, name);
    const el = this.doc.ensurePath(this.element, [name]);
    const unit = el.attr('unit');
    const f = UNIT_FACTORS[(unit ?? 'KiB').toLowerCase()];
    // Keep the document's unit when the value is a whole number in it (a one-value diff).
    if (f !== undefined && (kib * 1024) % f === 0) {
      this.doc.setTextContent(el, String((kib * 1024) / f));
    } else {
      this.doc.setAttribute(el, 'unit', 'KiB');
      this.doc.setTextContent(el, String(kib));
    }
  }
  /** Maximum (boot-time) memory in KiB: <memory>. */
  get memoryKiB(): number | undefined {
    return this.scaled('memory');
  }
  set memoryKiB(v: number | undefined) {
    this.setScaled('memory', v);
  }
  /** Current (balloon) memory in KiB: <currentMemory>; defaults to <memory> when absent. */
  get currentMemoryKiB(): number | undefined {
    return this.scaled('currentMemory') ?? this.memoryKiB;
  }
  set currentMemoryKiB(v: number | undefined) {
    this.setScaled('currentMemory', v);
  }

  // ---------------------------------------------------------------- boot

  /** <os><boot dev=.../> in order. */
  get bootDevices(): BootDevice[] {
    return (this.element.find(['os'])?.elements('boot') ?? []).map((b) => b.attr('dev') as BootDevice).filter((d) => d !== undefined);
  }
  set bootDevices(devs: BootDevice[]) {
    const os = this.doc.ensurePath(this.element, ['os']);
    const existing = os.elements('boot');
    const same = existing.length === devs.length && existing.every((b, i) => b.attr('dev') === devs[i]);
    if (same) return;
    for (let i = 0; i < Math.min(existing.length, devs.length); i++) this.doc.setAttribute(existing[i]!, 'dev', devs[i]!);
    for (let i = devs.length; i < existing.length; i++) this.doc.removeElement(existing[i]!);
    let after = existing[Math.min(existing.length, devs.length) - 1] ?? os.child('type');
    for (let i = existing.length; i < devs.length; i++) {
      const q = this.quote();
      after = this.doc.insertElement(os, `<boot dev=${q}${escapeAttr(devs[i]!, q)}${q}/>`, after ? { after } : {})[0]!;
    }
  }

  private quote(): '"' | "'" {
    const a = this.element.attributes[0];
    return a && this.doc.text[a.valueStart - 1] === '"' ? '"' : "'";
  }

  private setNamedChild(parentPath: readonly string[], childName: string, keyAttr: string, key: string, attrs: Record<string, string> | undefined): void {
    const parent = this.element.find(parentPath);
    const existing = parent?.elements(childName).find((e) => e.attr(keyAttr) === key);
    if (attrs === undefined) {
      if (existing) this.doc.removeElementAndEmptyAncestors(existing, this.element);
      return;
    }
    if (existing) {
      for (const [k, v] of Object.entries(attrs)) this.doc.setAttribute(existing, k, v);
      return;
    }
    const q = this.quote();
    const all = { [keyAttr]: key, ...attrs };
    const text = `<${childName}${Object.entries(all)
      .map(([k, v]) => ` ${k}=${q}${escapeAttr(v, q)}${q}`)
      .join('')}/>`;
    const p = this.doc.ensurePath(this.element, parentPath);
    this.doc.insertElement(p, text);
  }

  // ---------------------------------------------------------------- cpu

  get cpuFeatures(): { name: string; policy: FeaturePolicy }[] {
    return (this.element.find(['cpu'])?.elements('feature') ?? []).map((f) => ({ name: f.attr('name') ?? '', policy: (f.attr('policy') ?? 'require') as FeaturePolicy }));
  }
  setCpuFeature(name: string, policy: FeaturePolicy | undefined): void {
    this.setNamedChild(['cpu'], 'feature', 'name', name, policy === undefined ? undefined : { policy });
  }

  /** <cputune><vcpupin vcpu= cpuset=/> */
  get vcpuPins(): { vcpu: number; cpuset: string }[] {
    return (this.element.find(['cputune'])?.elements('vcpupin') ?? []).map((p) => ({ vcpu: Number(p.attr('vcpu')), cpuset: p.attr('cpuset') ?? '' }));
  }
  setVcpuPin(vcpu: number, cpuset: string | undefined): void {
    if (cpuset !== undefined && !/^\^?\d+(-\d+)?(,\^?\d+(-\d+)?)*$/.test(cpuset)) throw new XmlValueError(`cpuset '${cpuset}' is not a CPU list like 0-3,5`, 'cpuset');
    this.setNamedChild(['cputune'], 'vcpupin', 'vcpu', String(vcpu), cpuset === undefined ? undefined : { cpuset });
  }

  // ---------------------------------------------------------------- firmware and features

  /** <os><firmware><feature name= enabled=/> (e.g. secure-boot, enrolled-keys). */
  firmwareFeature(name: string): boolean | undefined {
    const f = this.element.find(['os', 'firmware'])?.elements('feature').find((e) => e.attr('name') === name);
    return f === undefined ? undefined : f.attr('enabled') === 'yes';
  }
  setFirmwareFeature(name: string, enabled: boolean | undefined): void {
    this.setNamedChild(['os', 'firmware'], 'feature', 'name', name, enabled === undefined ? undefined : { enabled: enabled ? 'yes' : 'no' });
  }

  /** Hyper-V enlightenments: <features><hyperv><NAME state=on|off .../> */
  get hypervFeatures(): Record<string, boolean> {
    const out: Record<string, boolean> = {};
    for (const e of this.element.find(['features', 'hyperv'])?.elements() ?? []) out[e.name] = e.attr('state') === 'on';
    return out;
  }
  setHypervFeature(name: string, state: boolean | undefined, extra: Record<string, string> = {}): void {
    if (!/^[a-z_]+$/.test(name)) throw new XmlValueError(`'${name}' is not a Hyper-V feature name`, 'hyperv');
    const hv = this.element.find(['features', 'hyperv']);
    const existing = hv?.child(name);
    if (state === undefined) {
      if (existing) this.doc.removeElementAndEmptyAncestors(existing, this.element);
      return;
    }
    const attrs = { state: state ? 'on' : 'off', ...extra };
    if (existing) {
      for (const [k, v] of Object.entries(attrs)) this.doc.setAttribute(existing, k, v);
      return;
    }
    const q = this.quote();
    const p = this.doc.ensurePath(this.element, ['features', 'hyperv']);
    this.doc.insertElement(p, `<${name}${Object.entries(attrs).map(([k, v]) => ` ${k}=${q}${escapeAttr(v, q)}${q}`).join('')}/>`);
  }

  /** <clock><timer name= present= tickpolicy=/> */
  get timers(): { name: string; present?: boolean; tickpolicy?: string }[] {
    return (this.element.find(['clock'])?.elements('timer') ?? []).map((t) => {
      const p = t.attr('present');
      const tp = t.attr('tickpolicy');
      return { name: t.attr('name') ?? '', ...(p !== undefined ? { present: p === 'yes' } : {}), ...(tp !== undefined ? { tickpolicy: tp } : {}) };
    });
  }
  setTimer(name: string, attrs: { present?: boolean; tickpolicy?: string } | undefined): void {
    const a: Record<string, string> = {};
    if (attrs?.present !== undefined) a.present = attrs.present ? 'yes' : 'no';
    if (attrs?.tickpolicy !== undefined) a.tickpolicy = attrs.tickpolicy;
    this.setNamedChild(['clock'], 'timer', 'name', name, attrs === undefined ? undefined : a);
  }

  // ---------------------------------------------------------------- metadata

  /** The child of <metadata> in namespace `uri`. */
  metadataElement(uri: string): XmlElement | undefined {
    return this.element.find(['metadata'])?.elements().find((e) => e.namespaceUri === uri);
  }

  /** libosinfo OS id (e.g. http://microsoft.com/win/11) from <metadata>. */
  get osinfoId(): string | undefined {
    const el = this.metadataElement(LIBOSINFO_NS);
    const os = el?.elements().find((e) => e.localName === 'os');
    return os?.attr('id');
  }
  set osinfoId(id: string | undefined) {
    const el = this.metadataElement(LIBOSINFO_NS);
    if (id === undefined) {
      if (el) this.doc.removeElementAndEmptyAncestors(el, this.element);
      return;
    }
    const os = el?.elements().find((e) => e.localName === 'os');
    if (os) {
      this.doc.setAttribute(os, 'id', id);
      return;
    }
    const q = this.quote();
    const frag = `<libosinfo:libosinfo xmlns:libosinfo=${q}${LIBOSINFO_NS}${q}>\n${this.doc.indentUnit()}<libosinfo:os id=${q}${escapeAttr(id, q)}${q}/>\n</libosinfo:libosinfo>`;
    if (el) this.doc.replaceElement(el, frag);
    else this.doc.insertElement(this.doc.ensurePath(this.element, ['metadata']), frag);
  }

  /** This project's metadata element (<vmm:data xmlns:vmm="APP_METADATA_NS">), if present. */
  get appMetadata(): XmlElement | undefined {
    return this.metadataElement(APP_METADATA_NS);
  }

  /** Inner XML of the app metadata element (children use the `vmm:` prefix). */
  appMetadataInner(): string | undefined {
    const el = this.appMetadata;
    return el ? this.doc.innerSource(el) : undefined;
  }

  /**
   * Replaces the app metadata element's content with `innerXml` (elements prefixed `vmm:`);
   * undefined removes the element.
   */
  setAppMetadata(innerXml: string | undefined): void {
    const el = this.appMetadata;
    if (innerXml === undefined) {
      if (el) this.doc.removeElementAndEmptyAncestors(el, this.element);
      return;
    }
    if (el && this.doc.innerSource(el).trim() === innerXml.trim()) return;
    const q = this.quote();
    const unit = this.doc.indentUnit();
    const body = innerXml.trim();
    const inner = body === '' ? '' : `\n${body.split('\n').map((l) => unit + l).join('\n')}\n`;
    const frag = `<${APP_METADATA_PREFIX}:${APP_METADATA_ELEMENT} xmlns:${APP_METADATA_PREFIX}=${q}${APP_METADATA_NS}${q}>${inner}</${APP_METADATA_PREFIX}:${APP_METADATA_ELEMENT}>`;
    XmlDocument.parse(frag); // rejects malformed content before touching the document
    if (el) {
      // Keep the existing start tag (its prefix and quoting); replace only the content.
      const indent = this.doc.indentOf(el);
      const nl = this.doc.eol;
      this.doc.replaceContent(el, inner.replace(/\n(?=.)/g, `${nl}${indent}`).replace(/\n$/, `${nl}${indent}`));
    } else this.doc.insertElement(this.doc.ensurePath(this.element, ['metadata']), frag);
  }

  // ---------------------------------------------------------------- devices

  get devicesElement(): XmlElement | undefined {
    return this.element.child('devices');
  }

  devices(): Device[] {
    return (this.devicesElement?.elements() ?? []).map((el) => deviceView(this.doc, el));
  }

  devicesOf<K extends DeviceKind>(kind: K): Extract<Device, { kind: K }>[] {
    return this.devices().filter((d): d is Extract<Device, { kind: K }> => d.kind === kind);
  }

  /**
   * Inserts a device element (XML text) after the last device of the same kind, or after the
   * last device of an earlier kind in libvirt's order. Returns its view.
   */
  addDeviceXml(xml: string): Device {
    const frag = XmlDocument.parse(xml).root;
    const devices = this.doc.ensurePath(this.element, ['devices']);
    const existing = devices.elements();
    const order = deviceOrder();
    const rank = (name: string): number => {
      const i = order.indexOf(name);
      return i < 0 ? order.length : i;
    };
    const r = rank(frag.name);
    let after: XmlElement | undefined;
    for (const e of existing) if (rank(e.name) <= r) after = e;
    const before = after ? undefined : existing[0];
    const [el] = this.doc.insertElement(devices, xml, after ? { after } : before ? { before } : {});
    return deviceView(this.doc, el!);
  }

  removeDevice(device: Device): void {
    device.remove();
  }

  deviceKinds(): KnownDeviceKind[] {
    return knownDeviceKinds();
  }
}

export type DomainFieldValue<K extends DomainFieldName> = FieldValue<(typeof DOMAIN_FIELDS)[K]>;
