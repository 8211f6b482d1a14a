// <disk> (formatdomain.rst "Hard drives, floppy disks, CDROMs").

import type { Condition, FormValue } from '../../../forms/formSchema';
import { VirStorageVolCreateFlags } from '../../generated/libvirtConstants';
import { createEncryptedVolume } from '../../resources/encryptedVolume';
import { formatBytes } from '../../resources/validation';
import { buildVolumeXml, checkVolumeSpec, parseVolumeXml, volumeFileName } from '../../resources/volume';
import { allocateDiskTarget, defaultDiskBus, diskIndex, guestHasVirtio, isQ35 } from '../allocate';
import * as at from '../fields';
import type { DomainXml } from '../domainXml';
import { ADDRESS_FIELDS, eq, exempt, field, isIn, opts, samples, samplesWith, setupField, str } from './define';
import { VIRTIO_BLK } from './osDevices';
import type { AddDescription, AddHost, CheckResult, DeviceDescription, Prepared, Values } from './types';

/** The buses of <target bus>, with the names the tree and the form show. */
const BUS_LABEL = { virtio: 'VirtIO', sata: 'SATA', scsi: 'SCSI', ide: 'IDE', usb: 'USB', fdc: 'Floppy', nvme: 'NVMe', xen: 'Xen', sd: 'SD' } as const;
export type DiskBus = keyof typeof BUS_LABEL;
export const DISK_BUSES = Object.keys(BUS_LABEL) as DiskBus[];
const busLabel = (bus: string): string => (BUS_LABEL as Record<string, string>)[bus] ?? bus;
/** What the guest sees (<disk device>), with the names the form shows; the tree says CDROM as virt-manager does. */
const DEVICE_OPTIONS = { disk: 'Disk', cdrom: 'CD-ROM', floppy: 'Floppy', lun: 'LUN' } as const;
export type DiskDeviceType = keyof typeof DEVICE_OPTIONS;
export const DISK_DEVICES = Object.keys(DEVICE_OPTIONS) as DiskDeviceType[];
const DEVICE_LABEL: Record<string, string> = { ...DEVICE_OPTIONS, cdrom: 'CDROM' };

/** Where each value of the element lives (fields.ts); the fields below and DomainXml's typed views read through it. */
const F = {
  type: at.oneOf(['file', 'block', 'network', 'dir', 'volume', 'nvme', 'vhostuser'], '', 'type'),
  device: at.oneOf(DISK_DEVICES, '', 'device'),
  driverName: at.str('driver', 'name'),
  driverType: at.str('driver', 'type'),
  cache: at.oneOf(['default', 'none', 'writethrough', 'writeback', 'directsync', 'unsafe'], 'driver', 'cache'),
  io: at.oneOf(['threads', 'native', 'io_uring'], 'driver', 'io'),
  discard: at.oneOf(['unmap', 'ignore'], 'driver', 'discard'),
  detectZeroes: at.oneOf(['off', 'on', 'unmap'], 'driver', 'detect_zeroes'),
  sourceFile: at.str('source', 'file'),
  sourceDev: at.str('source', 'dev'),
  sourceProtocol: at.str('source', 'protocol'),
  sourceName: at.str('source', 'name'),
  sourceHost: at.str('source/host', 'name'),
  sourcePort: at.str('source/host', 'port'),
  sourcePool: at.str('source', 'pool'),
  sourceVolume: at.str('source', 'volume'),
  target: at.str('target', 'dev'),
  bus: at.oneOf(DISK_BUSES, 'target', 'bus'),
  removable: at.onOff('target', 'removable'),
  tray: at.oneOf(['open', 'closed'], 'target', 'tray'),
  readonly: at.presence('readonly'),
  shareable: at.presence('shareable'),
  serial: at.str('serial'),
  bootOrder: at.int('boot', 'order'),
  totalBytesSec: at.int('iotune/total_bytes_sec'),
  readBytesSec: at.int('iotune/read_bytes_sec'),
  writeBytesSec: at.int('iotune/write_bytes_sec'),
  totalIopsSec: at.int('iotune/total_iops_sec'),
  readIopsSec: at.int('iotune/read_iops_sec'),
  writeIopsSec: at.int('iotune/write_iops_sec'),
  encryptionFormat: at.oneOf(['luks', 'luks2', 'qcow'], 'source/encryption', 'format'),
  encryptionSecretType: at.oneOf(['passphrase', 'volume'], 'source/encryption/secret', 'type'),
  encryptionSecretUuid: at.str('source/encryption/secret', 'uuid'),
  ...ADDRESS_FIELDS,
};


/** The target names each bus uses (libvirt derives the drive address from them). */
const TARGET_PREFIX_OF: Partial<Record<DiskBus, RegExp>> = { virtio: /^vd[a-z]+$/, sata: /^sd[a-z]+$/, scsi: /^sd[a-z]+$/, usb: /^sd[a-z]+$/, ide: /^hd[a-z]+$/, fdc: /^fd[a-z]+$/, xen: /^xvd[a-z]+$/ };

const removable = isIn('device', ['cdrom', 'floppy']);
const IOTUNE = 'Limit enforced by QEMU; empty for no limit.';

// ---------------------------------------------------------------------------- Add Hardware: Storage

const GIB = 1024 * 1024 * 1024;
/** A new volume is made for a hard disk when "Create a new volume" is chosen. */
const newVolume: Condition = { all: [eq('device', 'disk'), eq('create', 'new')] };
const SOURCE_FIELDS = ['type', 'sourceFile', 'sourceDev', 'sourcePool', 'sourceVolume', 'sourceProtocol', 'sourceName', 'sourceHost', 'sourcePort'];

/** The bus virt-manager gives a new device of this type on this VM (a floppy on q35 gets fdc, which the checks refuse with the reason). */
function busFor(dom: DomainXml, device: string): DiskBus {
  return defaultDiskBus(dom, (DISK_DEVICES as readonly string[]).includes(device) ? (device as DiskDeviceType) : 'disk', guestHasVirtio(dom));
}

const isBus = (v: FormValue): v is DiskBus => typeof v === 'string' && (DISK_BUSES as readonly string[]).includes(v);
const defaultVolumeName = (dom: DomainXml, target: string): string => `${dom.get('name') ?? 'vm'}-${target}`;

async function volumeNames(host: AddHost, pool: string): Promise<{ names: string[]; available: number | undefined }> {
  const p = await host.conn.storagePoolLookupByName(pool);
  const [vols, info] = await Promise.all([host.conn.storagePoolListAllVolumes(p), host.conn.storagePoolGetInfo(p).catch(() => undefined)]);
  return { names: vols.map((v) => v.name), available: info?.available };
}

function volumeSpec(v: Values) {
  const format = str(v.driverType) || 'qcow2';
  const capacity = typeof v.capacity === 'number' ? Math.round(v.capacity * GIB) : NaN;
  return { name: volumeFileName(str(v.volumeName), format), format, capacity, allocation: v.preallocation === 'full' ? capacity : 0 };
}

function storageAdd(): AddDescription {
  return {
    label: 'Storage',
    icon: 'database',
    order: 1,
    sampleWith: { create: 'existing' },
    // A VirtIO disk when the OS has the driver; else SATA on q35, IDE on i440fx (the target follows through `derive`).
    osModels: [{ field: 'bus', prefer: [{ value: 'virtio', devices: VIRTIO_BLK }], otherwise: (dom) => defaultDiskBus(dom, 'disk', false) }],
    omit: ['tray'],
    alsoWhen: Object.fromEntries(SOURCE_FIELDS.map((id) => [id, { not: newVolume }])),
    overrides: {
      sourceFile: { widget: 'select', allowCustom: true, optionsFrom: { list: 'volumes' }, help: 'An existing image, ISO or file on the host (the volumes of the active pools are listed). Empty for a CD-ROM drive without media.' },
      target: { required: false, placeholder: 'the first free name for the bus' },
    },
    setup: [
      setupField('create', 'Storage', 'Create a new volume for this disk in a storage pool, or use an existing volume, file, block device or ISO.', 'select', samples('new'), {
        options: [
          { value: 'new', label: 'Create a new volume' },
          { value: 'existing', label: 'Use existing storage' },
        ],
        required: true,
        when: eq('device', 'disk'),
      }),
      setupField('pool', 'Pool', 'The storage pool the new volume is created in.', 'select', exempt('a host resource: the generated test creates every new volume in a pool of its own'), { optionsFrom: { list: 'pools' }, allowCustom: true, required: true, when: newVolume }),
      setupField('volumeName', 'Volume name', 'The new volume\'s name in the pool (the format\'s extension is added).', 'text', exempt('each sample creates its own volume; the name is checked for being taken in the pool'), { required: true, when: newVolume }),
      setupField('capacity', 'Size', 'The size the guest sees, in GiB (0.5 for 512 MiB).', 'size', samples(1, 0.25), { unit: 'GiB', min: 0, max: 1024 * 1024, required: true, when: newVolume }),
      setupField('encrypt', 'Encrypt (LUKS)', 'Encrypt the new volume with LUKS. The passphrase is kept in a libvirt secret on the host (never here), so the VM starts without asking for it.', 'checkbox', exempt('needs a libvirt secret on the host: the Add Hardware LUKS test adds one and starts a VM on it'), { when: newVolume }),
      setupField('passphrase', 'Passphrase', 'At least 8 characters. It goes only into the libvirt secret; it is not shown again.', 'password', exempt('a secret value: see the LUKS test'), { required: true, when: { all: [newVolume, eq('encrypt', true)] } }),
      setupField('passphraseRepeat', 'Repeat passphrase', 'The same passphrase again.', 'password', exempt('a secret value: see the LUKS test'), { required: true, when: { all: [newVolume, eq('encrypt', true)] } }),
      setupField('preallocation', 'Allocation', 'Sparse grows as the guest writes; metadata preallocates qcow2\'s tables; full allocates the whole size now (slower to create, no surprise when the pool fills up).', 'select', samplesWith({ capacity: 0.01 }, 'sparse', 'metadata', 'full'), {
        options: [
          { value: 'sparse', label: 'Sparse (thin)' },
          { value: 'metadata', label: 'Metadata only (qcow2)' },
          { value: 'full', label: 'Full' },
        ],
        required: true,
        when: newVolume,
      }),
    ],
    setupDefaults: (dom) => {
      const target = allocateDiskTarget(dom, busFor(dom, 'disk'));
      return { create: 'new', pool: 'default', volumeName: defaultVolumeName(dom, target), capacity: 20, preallocation: 'sparse' };
    },
    derive: (dom, v, changed) => {
      const out: Record<string, FormValue> = {};
      if (changed === 'device') {
        const device = str(v.device);
        const bus = busFor(dom, device);
        out.bus = bus;
        out.target = allocateDiskTarget(dom, bus);
        out.create = device === 'disk' ? 'new' : 'existing';
        if (device === 'cdrom' || device === 'floppy') {
          out.driverType = 'raw';
          out.readonly = device === 'cdrom';
          out.discard = undefined;
        }
        if (device === 'lun') out.type = 'block';
        if (device === 'disk') out.readonly = false;
      }
      if (changed === 'bus' && isBus(v.bus)) out.target = allocateDiskTarget(dom, v.bus);
      // The volume's default name follows the target while the user has not typed one.
      if (out.target !== undefined && v.volumeName === defaultVolumeName(dom, str(v.target))) out.volumeName = defaultVolumeName(dom, str(out.target));
      return out;
    },
    complete: (dom, v) => (v.target === undefined || v.target === '' ? { target: allocateDiskTarget(dom, isBus(v.bus) ? v.bus : busFor(dom, str(v.device))) } : {}),
    hostCheck: async (host, v) => {
      const out: CheckResult[] = [];
      if (!(v.device === 'disk' && v.create === 'new')) return out;
      if (v.preallocation === 'metadata' && v.driverType !== 'qcow2') out.push({ field: 'preallocation', code: 'prealloc-metadata-format', message: 'Metadata preallocation needs the qcow2 format.' });
      if (v.driverType !== 'qcow2' && v.driverType !== 'raw') out.push({ field: 'driverType', code: 'new-volume-format', message: 'A new volume is created as qcow2 or raw.' });
      if (v.encrypt === true) {
        const pass = str(v.passphrase);
        if (pass.length < 8) out.push({ field: 'passphrase', code: 'luks-passphrase-short', message: 'The passphrase needs at least 8 characters.' });
        else if (pass !== str(v.passphraseRepeat)) out.push({ field: 'passphraseRepeat', code: 'luks-passphrase-repeat', message: 'The two passphrases differ.' });
      }
      if (typeof v.pool !== 'string' || v.pool === '') return out;
      let pool: Awaited<ReturnType<typeof volumeNames>>;
      try {
        pool = await volumeNames(host, v.pool);
      } catch {
        return [...out, { field: 'pool', code: 'no-pool', message: `The host has no active storage pool '${v.pool}'.` }];
      }
      const spec = volumeSpec(v);
      const r = checkVolumeSpec(spec, pool.available, pool.names);
      for (const e of r.errors) out.push({ field: e.field === 'name' ? 'volumeName' : 'capacity', code: `volume-${e.field}`, message: e.message });
      for (const w of r.warnings) out.push({ field: 'capacity', code: 'volume-space', message: w, severity: 'warning' });
      return out;
    },
    planned: (v) => (v.device === 'disk' && v.create === 'new' ? { type: 'volume', sourcePool: str(v.pool), sourceVolume: str(v.volumeName) } : {}),
    prepare: async (host, v): Promise<Prepared> => {
      if (!(v.device === 'disk' && v.create === 'new')) return { values: {} };
      const pool = await host.conn.storagePoolLookupByName(str(v.pool));
      const spec = volumeSpec(v);
      if (v.encrypt === true) {
        const pass = Buffer.from(str(v.passphrase), 'utf8');
        if (pass.length < 8 || str(v.passphrase) !== str(v.passphraseRepeat)) throw new RangeError('The passphrase is too short or the two differ.');
        const made = await createEncryptedVolume(host.conn, pool, spec, { passphrase: pass });
        return {
          values: { type: 'file', sourceFile: made.path, encryptionFormat: 'luks', encryptionSecretType: 'passphrase', encryptionSecretUuid: made.secretUuid },
          done: `on a new LUKS-encrypted volume ${pool.name}/${made.vol.name} (${formatBytes(spec.capacity)} ${spec.format}; passphrase in libvirt secret ${made.secretUuid})`,
          undo: async () => {
            await host.conn.storageVolDelete(made.vol);
            if (made.secretCreated) await host.conn.secretUndefine(await host.conn.secretLookupByUuid(made.secretUuid));
          },
        };
      }
      const flags = v.preallocation === 'metadata' ? VirStorageVolCreateFlags.PREALLOC_METADATA : 0;
      const vol = await host.conn.storageVolCreateXml(pool, buildVolumeXml(spec), flags);
      const desc = parseVolumeXml(await host.conn.storageVolGetXmlDesc(vol));
      const path = desc.path ?? (vol.key.startsWith('/') ? vol.key : undefined);
      return {
        // A volume with a path is used by its path, as virt-manager does; others (RBD…) by pool and name.
        values: path !== undefined ? { type: 'file', sourceFile: path } : { type: 'volume', sourcePool: pool.name, sourceVolume: vol.name },
        done: `on a new volume ${pool.name}/${vol.name} (${formatBytes(spec.capacity)} ${spec.format})`,
        undo: () => host.conn.storageVolDelete(vol),
      };
    },
  };
}

export const disk: DeviceDescription<'disk', typeof F> = {
  kind: 'disk',
  element: 'disk',
  xml: F,
  name: 'Disk',
  rank: 1,
  listed: true,
  fields: [
    field('device', 'Device type', 'What the guest sees: a hard disk, a CD-ROM, a floppy or a SCSI LUN passed through.', F.device, samplesWith({ bus: 'sata', target: 'sdb' }, 'cdrom'), {
      options: opts(...Object.entries(DEVICE_OPTIONS)),
      optionsFrom: { device: 'disk', enum: 'diskDevice' },
    }),
    field('type', 'Source type', 'Where the data comes from: an image file, a block device, a storage pool volume or a network protocol.', F.type, samplesWith({ sourceDev: '/dev/null' }, 'block'), {
      options: opts(['file', 'File'], ['block', 'Block device'], ['volume', 'Storage volume'], ['network', 'Network'], ['dir', 'Directory'], ['nvme', 'NVMe'], ['vhostuser', 'vhost-user']),
    }),
    field('sourceFile', 'Source path', 'The image file. For a CD-ROM or floppy, changing it inserts other media at once.', F.sourceFile, samples('/var/lib/libvirt/images/forms-sample.qcow2'), {
      when: eq('type', 'file'),
      apply: 'next-boot',
      liveWhen: removable,
    }),
    field('sourceDev', 'Block device', 'The host block device, e.g. /dev/sdb.', F.sourceDev, samplesWith({ type: 'block' }, '/dev/null'), { when: eq('type', 'block') }),
    field('sourcePool', 'Storage pool', 'The pool that holds the volume.', F.sourcePool, samplesWith({ type: 'volume', sourceVolume: 'forms-sample.qcow2' }, 'default'), { when: eq('type', 'volume') }),
    field('sourceVolume', 'Volume', 'The volume in the pool.', F.sourceVolume, samplesWith({ type: 'volume', sourcePool: 'default' }, 'forms-sample.qcow2'), { when: eq('type', 'volume') }),
    field('sourceProtocol', 'Protocol', 'The network protocol of the source.', F.sourceProtocol, samplesWith({ type: 'network', sourceName: 'pool/image', sourceHost: 'storage.example' }, 'rbd'), {
      widget: 'select',
      options: opts(['nbd', 'NBD'], ['iscsi', 'iSCSI'], ['rbd', 'Ceph RBD'], ['gluster', 'Gluster'], ['http', 'HTTP'], ['https', 'HTTPS'], ['ftp', 'FTP'], ['ftps', 'FTPS'], ['tftp', 'TFTP'], ['nfs', 'NFS']),
      when: eq('type', 'network'),
    }),
    field('sourceName', 'Name on the server', 'The image, export or target name on the server.', F.sourceName, samplesWith({ type: 'network', sourceProtocol: 'rbd', sourceHost: 'storage.example' }, 'pool/other'), { when: eq('type', 'network') }),
    field('sourceHost', 'Server', 'Host name or address of the server.', F.sourceHost, samplesWith({ type: 'network', sourceProtocol: 'nbd', sourceName: 'export' }, 'storage.example'), { when: eq('type', 'network') }),
    field('sourcePort', 'Port', 'TCP port of the server; empty for the protocol default.', F.sourcePort, samplesWith({ type: 'network', sourceProtocol: 'nbd', sourceName: 'export', sourceHost: 'storage.example' }, '10809'), { when: eq('type', 'network') }),
    field('target', 'Target device', 'The device name in the guest (vda, sda, hdc…); it also identifies the disk.', F.target, samples('vdc'), { required: true }),
    field('bus', 'Bus', 'How the disk is attached: VirtIO is fastest, SATA or IDE for guests without VirtIO drivers.', F.bus, samplesWith({ target: 'sdb' }, 'sata'), {
      // NVMe is left out: QEMU 7.2 (Debian 12) has no NVMe disk bus for libvirt 9.
      options: opts(...Object.entries(BUS_LABEL).filter(([bus]) => bus !== 'nvme')),
      optionsFrom: { device: 'disk', enum: 'bus' },
    }),
    field('removable', 'Removable', 'Whether a USB disk is reported as removable media.', F.removable, samplesWith({ bus: 'usb', target: 'sdc' }, true), { when: eq('bus', 'usb') }),
    field('tray', 'Tray', 'Whether the tray of a CD-ROM or floppy is open (shown while running).', F.tray, exempt('libvirt reports the tray state only in the live XML'), { widget: 'readonly', when: removable }),
    field('driverName', 'Driver', 'The hypervisor driver; QEMU uses "qemu".', F.driverName, samples('qemu'), { widget: 'select', options: opts(['qemu', 'qemu']) }),
    field('driverType', 'Format', 'The image format; qcow2 supports snapshots and thin provisioning, raw is fastest.', F.driverType, samples('raw', 'qcow2'), {
      widget: 'select',
      allowCustom: true,
      options: opts(['qcow2', 'qcow2'], ['raw', 'raw'], ['vmdk', 'vmdk'], ['vdi', 'vdi'], ['vpc', 'vpc'], ['qed', 'qed'], ['iso', 'iso']),
    }),
    field('cache', 'Cache mode', 'How the host caches guest I/O; "none" is the usual choice for performance and safety.', F.cache, samples('none', 'writeback')),
    field('io', 'I/O mode', 'How QEMU submits I/O to the host.', F.io, samples('threads', 'io_uring')),
    field('discard', 'Discard', 'Whether the guest may discard (TRIM) unused blocks to free space in the image.', F.discard, samples('unmap', 'ignore')),
    field('detectZeroes', 'Detect zeroes', 'Turn writes of zeroes into cheaper operations.', F.detectZeroes, samples('on', 'off')),
    field('readonly', 'Read-only', 'The guest cannot write to the disk.', F.readonly, samples(true)),
    field('shareable', 'Shareable', 'The disk may be used by several VMs at once (needs a cluster file system in the guests).', F.shareable, samplesWith({ driverType: 'raw' }, true)),
    field('serial', 'Serial number', 'The serial number the guest sees.', F.serial, samples('FORMS-0001')),
    field('totalBytesSec', 'Total bytes/s', IOTUNE, F.totalBytesSec, samples(10485760), { min: 0 }),
    field('readBytesSec', 'Read bytes/s', IOTUNE, F.readBytesSec, samples(10485760), { min: 0 }),
    field('writeBytesSec', 'Write bytes/s', IOTUNE, F.writeBytesSec, samples(10485760), { min: 0 }),
    field('totalIopsSec', 'Total IOPS', IOTUNE, F.totalIopsSec, samples(1000), { min: 0 }),
    field('readIopsSec', 'Read IOPS', IOTUNE, F.readIopsSec, samples(1000), { min: 0 }),
    field('writeIopsSec', 'Write IOPS', IOTUNE, F.writeIopsSec, samples(1000), { min: 0 }),
    field('encryptionFormat', 'Encryption', 'The image is encrypted (LUKS); QEMU opens it with the passphrase in the libvirt secret below.', F.encryptionFormat, exempt('needs an encrypted image and its secret: the Add Hardware LUKS test adds one and starts a VM on it'), {
      options: opts(['luks', 'LUKS'], ['luks2', 'LUKS2'], ['qcow', 'qcow (legacy)']),
    }),
    field('encryptionSecretType', 'Secret type', 'What the secret holds: the passphrase.', F.encryptionSecretType, exempt('needs an encrypted image and its secret: see the Add Hardware LUKS test'), { widget: 'readonly', when: { field: 'encryptionFormat', set: true } }),
    field('encryptionSecretUuid', 'Encryption secret', 'The UUID of the libvirt secret that holds the passphrase.', F.encryptionSecretUuid, exempt('needs an encrypted image and its secret: see the Add Hardware LUKS test'), { when: { field: 'encryptionFormat', set: true } }),
  ],
  identity: (v) => `disk:${str(v.target)}`,
  title: (v, nth) => {
    const bus = str(v.bus) || 'ide';
    const dev = str(v.device) || 'disk';
    return `${busLabel(bus)} ${DEVICE_LABEL[dev] ?? dev} ${diskIndex(str(v.target)) || nth}`;
  },
  describe: (v) => {
    const src = v.sourceFile ?? v.sourceDev ?? (v.sourcePool !== undefined ? `${str(v.sourcePool)}/${str(v.sourceVolume)}` : undefined) ?? v.sourceName;
    return src !== undefined ? str(src) : v.device === 'cdrom' ? 'empty' : '';
  },
  icon: (v) => (v.device === 'cdrom' ? 'circle-large-outline' : 'database'),
  defaults: (dom) => {
    const bus: DiskBus = defaultDiskBus(dom, 'disk', guestHasVirtio(dom));
    return { type: 'file', device: 'disk', driverName: 'qemu', driverType: 'qcow2', discard: 'unmap', bus, target: allocateDiskTarget(dom, bus) };
  },
  add: storageAdd(),
  sample: { sourceFile: '/var/lib/libvirt/images/formsrt-new.qcow2' },
  companions: [
    {
      reason: 'A SCSI disk needs a SCSI controller',
      needed: eq('bus', 'scsi'),
      present: (dom) => dom.devicesOf('controller').some((c) => c.get('type') === 'scsi'),
      add: { kind: 'controller', values: { type: 'scsi', index: 0, model: 'virtio-scsi' } },
    },
  ],
  check: (v, el, dom) => {
    const out: CheckResult[] = [];
    const bus = str(v.bus) as DiskBus;
    // The bus as written, also one the form does not offer (uml, ...).
    const rawBus = el.child('target')?.attr('bus');
    const target = str(v.target);
    const qemu = ['qemu', 'kvm'].includes(dom.element.attr('type') ?? '');
    if (target !== '' && bus in TARGET_PREFIX_OF && !TARGET_PREFIX_OF[bus]!.test(target)) {
      out.push({
        field: 'target',
        code: 'target-bus-mismatch',
        severity: 'warning',
        message: `Target '${target}' is not a name for the ${busLabel(bus)} bus (the guest may name the disk differently)`,
        fix: { title: `Use a free ${busLabel(bus)} target name`, edit: (d, e) => at.writeField(d.doc, e, F.target, allocateDiskTarget(d, bus), 'target') },
      });
    }
    if (isQ35(dom) && v.bus === 'ide') out.push({ field: 'bus', code: 'ide-on-q35', message: 'The q35 machine type has no IDE controller: use SATA or SCSI.' });
    if (v.device === 'cdrom' && rawBus === 'virtio') out.push({ field: 'bus', code: 'cdrom-on-virtio', message: 'A CD-ROM cannot use the VirtIO bus: use SATA, SCSI or IDE.' });
    // libvirt's QEMU driver: an SD card slot takes no removable media either.
    else if (v.device === 'cdrom' && rawBus === 'sd' && qemu) out.push({ field: 'bus', code: 'cdrom-bus', message: 'A CD-ROM cannot use the SD bus (no removable media there): use SATA, SCSI, IDE or USB.' });
    // libvirt's QEMU driver: IDE and SATA disks cannot be read-only (a CD-ROM there can). Without a
    // bus, libvirt takes IDE for an hd* target.
    const busRead = rawBus ?? (target.startsWith('hd') ? 'ide' : undefined);
    if ((v.device ?? 'disk') === 'disk' && v.readonly === true && (busRead === 'ide' || busRead === 'sata') && qemu) {
      out.push({ field: 'readonly', code: 'readonly-disk-bus', message: `A read-only disk cannot use the ${busLabel(busRead)} bus: use SCSI or VirtIO, or make it a CD-ROM.` });
    }
    if (v.device === 'floppy' && rawBus !== undefined && rawBus !== 'fdc') out.push({ field: 'bus', code: 'floppy-bus', message: 'A floppy disk needs the floppy (fdc) bus.' });
    // libvirt reads type='aio' as raw (an old Xen spelling).
    const raw = v.driverType === undefined || v.driverType === 'raw' || v.driverType === 'aio';
    if (v.shareable === true && v.readonly !== true && !raw) out.push({ field: 'shareable', code: 'shareable-format', message: 'A shareable disk that the guest writes needs the raw format (libvirt refuses shared access to a qcow2 image).' });
    if (v.device === 'lun' && !raw) out.push({ field: 'driverType', code: 'lun-format', message: `A LUN passthrough disk uses the raw format, not '${str(v.driverType)}'.` });
    // A LUN passes SCSI commands through: a block device, an iSCSI LUN, or a pool volume (resolved
    // to one when the VM starts); libvirt refuses the other sources at define (probed on 9.0).
    if (v.device === 'lun' && v.type === 'network' && v.sourceProtocol !== undefined && v.sourceProtocol !== 'iscsi') out.push({ field: 'sourceProtocol', code: 'lun-source', message: `A LUN passthrough disk cannot use the '${String(v.sourceProtocol)}' protocol: only iSCSI.` });
    else if (v.device === 'lun' && !['block', 'network', 'volume'].includes(String(v.type ?? 'file'))) out.push({ field: 'type', code: 'lun-source', message: 'A LUN passthrough disk needs a block device, an iSCSI or a storage pool volume source.' });
    return out;
  },
};
