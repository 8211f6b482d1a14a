// Typed views of the devices under <domain><devices> (libvirt formatdomain.rst, "Devices").
// One field table per kind; a view reads and writes its element through the document's
// surgical edits. Kinds without a table of their own still get a generic view (`other`).

import { FieldView, int, oneOf, onOff, presence, str, yesNo } from './fields';
import { XmlDocument, XmlElement } from './xmlDocument';

export const DISK_BUSES = ['virtio', 'sata', 'scsi', 'ide', 'usb', 'fdc', 'nvme', 'xen', 'sd'] as const;
export type DiskBus = (typeof DISK_BUSES)[number];
export const DISK_DEVICES = ['disk', 'cdrom', 'floppy', 'lun'] as const;
export type DiskDeviceType = (typeof DISK_DEVICES)[number];

const address = {
  addressType: str('address', 'type'),
  addressDomain: str('address', 'domain'),
  addressBus: str('address', 'bus'),
  addressSlot: str('address', 'slot'),
  addressFunction: str('address', 'function'),
  addressController: str('address', 'controller'),
  addressTarget: str('address', 'target'),
  addressUnit: str('address', 'unit'),
  alias: str('alias', 'name'),
};

const diskFields = {
  type: oneOf(['file', 'block', 'network', 'dir', 'volume', 'nvme', 'vhostuser'], '', 'type'),
  device: oneOf(DISK_DEVICES, '', 'device'),
  driverName: str('driver', 'name'),
  driverType: str('driver', 'type'),
  cache: oneOf(['default', 'none', 'writethrough', 'writeback', 'directsync', 'unsafe'], 'driver', 'cache'),
  io: oneOf(['threads', 'native', 'io_uring'], 'driver', 'io'),
  discard: oneOf(['unmap', 'ignore'], 'driver', 'discard'),
  detectZeroes: oneOf(['off', 'on', 'unmap'], 'driver', 'detect_zeroes'),
  sourceFile: str('source', 'file'),
  sourceDev: str('source', 'dev'),
  sourceProtocol: str('source', 'protocol'),
  sourceName: str('source', 'name'),
  sourceHost: str('source/host', 'name'),
  sourcePort: str('source/host', 'port'),
  sourcePool: str('source', 'pool'),
  sourceVolume: str('source', 'volume'),
  target: str('target', 'dev'),
  bus: oneOf(DISK_BUSES, 'target', 'bus'),
  removable: onOff('target', 'removable'),
  tray: oneOf(['open', 'closed'], 'target', 'tray'),
  readonly: presence('readonly'),
  shareable: presence('shareable'),
  serial: str('serial'),
  bootOrder: int('boot', 'order'),
  totalBytesSec: int('iotune/total_bytes_sec'),
  readBytesSec: int('iotune/read_bytes_sec'),
  writeBytesSec: int('iotune/write_bytes_sec'),
  totalIopsSec: int('iotune/total_iops_sec'),
  readIopsSec: int('iotune/read_iops_sec'),
  writeIopsSec: int('iotune/write_iops_sec'),
  encryptionFormat: oneOf(['luks', 'luks2', 'luks-any', 'qcow'], 'source/encryption', 'format'),
  encryptionSecretUuid: str('source/encryption/secret', 'uuid'),
  ...address,
};

const controllerFields = {
  type: oneOf(['ide', 'fdc', 'scsi', 'sata', 'usb', 'ccid', 'virtio-serial', 'pci', 'xenbus', 'isa'], '', 'type'),
  index: int('', 'index'),
  model: str('', 'model'),
  ports: int('', 'ports'),
  vectors: int('', 'vectors'),
  ...address,
};

const interfaceFields = {
  type: oneOf(['network', 'bridge', 'direct', 'user', 'ethernet', 'vhostuser', 'hostdev', 'mcast', 'server', 'client', 'udp', 'vdpa', 'null', 'vds'], '', 'type'),
  mac: str('mac', 'address'),
  sourceNetwork: str('source', 'network'),
  sourceBridge: str('source', 'bridge'),
  sourceDev: str('source', 'dev'),
  sourceMode: oneOf(['vepa', 'bridge', 'private', 'passthrough'], 'source', 'mode'),
  model: str('model', 'type'),
  backendType: oneOf(['default', 'passt'], 'backend', 'type'),
  linkState: oneOf(['up', 'down'], 'link', 'state'),
  bootOrder: int('boot', 'order'),
  inboundAverage: int('bandwidth/inbound', 'average'),
  inboundPeak: int('bandwidth/inbound', 'peak'),
  inboundBurst: int('bandwidth/inbound', 'burst'),
  outboundAverage: int('bandwidth/outbound', 'average'),
  outboundPeak: int('bandwidth/outbound', 'peak'),
  outboundBurst: int('bandwidth/outbound', 'burst'),
  vlanTag: int('vlan/tag', 'id'),
  targetDev: str('target', 'dev'),
  ...address,
};

const inputFields = {
  type: oneOf(['mouse', 'tablet', 'keyboard', 'passthrough', 'evdev'], '', 'type'),
  bus: oneOf(['ps2', 'usb', 'xen', 'virtio', 'none'], '', 'bus'),
  sourceDev: str('source', 'dev'),
  sourceEvdev: str('source', 'evdev'),
  grab: oneOf(['all'], 'source', 'grab'),
  repeat: onOff('source', 'repeat'),
  ...address,
};

const graphicsFields = {
  type: oneOf(['vnc', 'spice', 'sdl', 'rdp', 'desktop', 'egl-headless', 'dbus'], '', 'type'),
  port: int('', 'port'),
  tlsPort: int('', 'tlsPort'),
  autoport: yesNo('', 'autoport'),
  listen: str('', 'listen'),
  passwd: str('', 'passwd'),
  keymap: str('', 'keymap'),
  listenType: oneOf(['address', 'network', 'socket', 'none'], 'listen', 'type'),
  listenAddress: str('listen', 'address'),
  listenNetwork: str('listen', 'network'),
  listenSocket: str('listen', 'socket'),
  glEnable: yesNo('gl', 'enable'),
  glRenderNode: str('gl', 'rendernode'),
  imageCompression: str('image', 'compression'),
};

const soundFields = {
  model: oneOf(['sb16', 'es1370', 'pcspk', 'ac97', 'ich6', 'ich7', 'ich9', 'usb', 'ich10', 'virtio'], '', 'model'),
  codecType: str('codec', 'type'),
  audioId: int('audio', 'id'),
  ...address,
};

const audioFields = {
  id: int('', 'id'),
  type: oneOf(['none', 'alsa', 'coreaudio', 'jack', 'oss', 'pulseaudio', 'sdl', 'spice', 'file', 'dbus', 'pipewire'], '', 'type'),
};

const videoFields = {
  model: oneOf(['vga', 'cirrus', 'vmvga', 'xen', 'vbox', 'qxl', 'virtio', 'gop', 'bochs', 'ramfb', 'none'], 'model', 'type'),
  heads: int('model', 'heads'),
  vram: int('model', 'vram'),
  ram: int('model', 'ram'),
  vgamem: int('model', 'vgamem'),
  primary: yesNo('model', 'primary'),
  accel3d: yesNo('model/acceleration', 'accel3d'),
  ...address,
};

const charFields = {
  type: oneOf(['pty', 'dev', 'file', 'pipe', 'unix', 'tcp', 'udp', 'null', 'stdio', 'vc', 'spicevmc', 'spiceport', 'qemu-vdagent', 'nmdm', 'dbus'], '', 'type'),
  sourcePath: str('source', 'path'),
  sourceMode: oneOf(['bind', 'connect'], 'source', 'mode'),
  sourceHost: str('source', 'host'),
  sourceService: str('source', 'service'),
  protocolType: oneOf(['raw', 'telnet', 'telnets', 'tls'], 'protocol', 'type'),
  targetType: str('target', 'type'),
  targetPort: int('target', 'port'),
  targetName: str('target', 'name'),
  targetModel: str('target/model', 'name'),
  logFile: str('log', 'file'),
  ...address,
};

const hostdevFields = {
  mode: oneOf(['subsystem', 'capabilities'], '', 'mode'),
  type: oneOf(['pci', 'usb', 'scsi', 'scsi_host', 'mdev', 'storage', 'misc', 'net'], '', 'type'),
  managed: yesNo('', 'managed'),
  model: str('', 'model'),
  display: onOff('', 'display'),
  sourceDomain: str('source/address', 'domain'),
  sourceBus: str('source/address', 'bus'),
  sourceSlot: str('source/address', 'slot'),
  sourceFunction: str('source/address', 'function'),
  sourceDevice: str('source/address', 'device'),
  vendorId: str('source/vendor', 'id'),
  productId: str('source/product', 'id'),
  mdevUuid: str('source/address', 'uuid'),
  romBar: onOff('rom', 'bar'),
  romFile: str('rom', 'file'),
  bootOrder: int('boot', 'order'),
  ...address,
};

const redirdevFields = {
  bus: oneOf(['usb'], '', 'bus'),
  type: oneOf(['spicevmc', 'tcp'], '', 'type'),
  sourceHost: str('source', 'host'),
  sourceService: str('source', 'service'),
  bootOrder: int('boot', 'order'),
  ...address,
};

const smartcardFields = {
  mode: oneOf(['host', 'host-certificates', 'passthrough'], '', 'mode'),
  type: str('', 'type'),
  ...address,
};

const watchdogFields = {
  model: oneOf(['i6300esb', 'ib700', 'diag288', 'itco'], '', 'model'),
  action: oneOf(['reset', 'shutdown', 'poweroff', 'pause', 'none', 'dump', 'inject-nmi'], '', 'action'),
  ...address,
};

const filesystemFields = {
  type: oneOf(['mount', 'block', 'file', 'template', 'ram', 'bind', 'volume'], '', 'type'),
  accessmode: oneOf(['passthrough', 'mapped', 'squash'], '', 'accessmode'),
  driverType: oneOf(['path', 'handle', 'loop', 'nbd', 'ploop', 'virtiofs'], 'driver', 'type'),
  sourceDir: str('source', 'dir'),
  sourceFile: str('source', 'file'),
  target: str('target', 'dir'),
  readonly: presence('readonly'),
  ...address,
};

const tpmFields = {
  model: oneOf(['tpm-tis', 'tpm-crb', 'tpm-spapr', 'spapr-tpm-proxy'], '', 'model'),
  backendType: oneOf(['passthrough', 'emulator', 'external'], 'backend', 'type'),
  version: oneOf(['1.2', '2.0'], 'backend', 'version'),
  devicePath: str('backend/device', 'path'),
  persistentState: yesNo('backend', 'persistent_state'),
  ...address,
};

const rngFields = {
  model: oneOf(['virtio', 'virtio-transitional', 'virtio-non-transitional'], '', 'model'),
  backendModel: oneOf(['random', 'egd', 'builtin'], 'backend', 'model'),
  backend: str('backend'),
  rateBytes: int('rate', 'bytes'),
  ratePeriod: int('rate', 'period'),
  ...address,
};

const panicFields = {
  model: oneOf(['isa', 'pseries', 'hyperv', 's390', 'pvpanic'], '', 'model'),
  ...address,
};

const vsockFields = {
  model: str('', 'model'),
  cidAuto: yesNo('cid', 'auto'),
  cidAddress: int('cid', 'address'),
  ...address,
};

const memballoonFields = {
  model: oneOf(['virtio', 'xen', 'none', 'virtio-transitional', 'virtio-non-transitional'], '', 'model'),
  autodeflate: onOff('', 'autodeflate'),
  freePageReporting: onOff('', 'freePageReporting'),
  statsPeriod: int('stats', 'period'),
  ...address,
};

const iommuFields = {
  model: oneOf(['intel', 'smmuv3', 'virtio'], '', 'model'),
  driverIntremap: onOff('driver', 'intremap'),
  driverCachingMode: onOff('driver', 'caching_mode'),
  driverIotlb: onOff('driver', 'iotlb'),
  ...address,
};

const emulatorFields = { path: str('') };
const otherFields = { ...address };

/** Device kind -> (element name, field table). Table order is libvirt's device order. */
export const DEVICE_TABLE = {
  emulator: { element: 'emulator', fields: emulatorFields },
  disk: { element: 'disk', fields: diskFields },
  controller: { element: 'controller', fields: controllerFields },
  filesystem: { element: 'filesystem', fields: filesystemFields },
  interface: { element: 'interface', fields: interfaceFields },
  smartcard: { element: 'smartcard', fields: smartcardFields },
  serial: { element: 'serial', fields: charFields },
  parallel: { element: 'parallel', fields: charFields },
  console: { element: 'console', fields: charFields },
  channel: { element: 'channel', fields: charFields },
  input: { element: 'input', fields: inputFields },
  tpm: { element: 'tpm', fields: tpmFields },
  graphics: { element: 'graphics', fields: graphicsFields },
  sound: { element: 'sound', fields: soundFields },
  audio: { element: 'audio', fields: audioFields },
  video: { element: 'video', fields: videoFields },
  hostdev: { element: 'hostdev', fields: hostdevFields },
  redirdev: { element: 'redirdev', fields: redirdevFields },
  watchdog: { element: 'watchdog', fields: watchdogFields },
  memballoon: { element: 'memballoon', fields: memballoonFields },
  rng: { element: 'rng', fields: rngFields },
  panic: { element: 'panic', fields: panicFields },
  vsock: { element: 'vsock', fields: vsockFields },
  iommu: { element: 'iommu', fields: iommuFields },
} as const;

export type KnownDeviceKind = keyof typeof DEVICE_TABLE;
export type DeviceKind = KnownDeviceKind | 'other';

const KIND_BY_ELEMENT = new Map<string, KnownDeviceKind>(
  (Object.keys(DEVICE_TABLE) as KnownDeviceKind[]).map((k) => [DEVICE_TABLE[k].element, k]),
);

export class DeviceView<K extends DeviceKind, S extends Record<string, import('./fields').Field<unknown>>> extends FieldView<S> {
  constructor(
    readonly kind: K,
    doc: XmlDocument,
    element: XmlElement,
    fields: S,
  ) {
    super(doc, element, fields);
  }
  /** Source text of the device element. */
  xml(): string {
    return this.doc.source(this.element);
  }
  remove(): void {
    this.doc.removeElement(this.element);
  }
}

type TableView<K extends KnownDeviceKind> = DeviceView<K, (typeof DEVICE_TABLE)[K]['fields']>;

export type DiskDevice = TableView<'disk'>;
export type ControllerDevice = TableView<'controller'>;
export type InterfaceDevice = TableView<'interface'>;
export type InputDevice = TableView<'input'>;
export type GraphicsDevice = TableView<'graphics'>;
export type SoundDevice = TableView<'sound'>;
export type AudioDevice = TableView<'audio'>;
export type VideoDevice = TableView<'video'>;
export type SerialDevice = TableView<'serial'>;
export type ParallelDevice = TableView<'parallel'>;
export type ConsoleDevice = TableView<'console'>;
export type ChannelDevice = TableView<'channel'>;
export type HostdevDevice = TableView<'hostdev'>;
export type RedirdevDevice = TableView<'redirdev'>;
export type SmartcardDevice = TableView<'smartcard'>;
export type WatchdogDevice = TableView<'watchdog'>;
export type FilesystemDevice = TableView<'filesystem'>;
export type TpmDevice = TableView<'tpm'>;
export type RngDevice = TableView<'rng'>;
export type PanicDevice = TableView<'panic'>;
export type VsockDevice = TableView<'vsock'>;
export type MemballoonDevice = TableView<'memballoon'>;
export type IommuDevice = TableView<'iommu'>;
export type EmulatorDevice = TableView<'emulator'>;
export type OtherDevice = DeviceView<'other', typeof otherFields>;

/** Discriminated union of all device views (switch on `kind`). */
export type Device = { [K in KnownDeviceKind]: TableView<K> }[KnownDeviceKind] | OtherDevice;

export function deviceView(doc: XmlDocument, el: XmlElement): Device {
  const kind = KIND_BY_ELEMENT.get(el.name);
  if (!kind) return new DeviceView('other', doc, el, otherFields);
  return new DeviceView(kind, doc, el, DEVICE_TABLE[kind].fields) as Device;
}

export function deviceElementName(kind: KnownDeviceKind): string {
  return DEVICE_TABLE[kind].element;
}
