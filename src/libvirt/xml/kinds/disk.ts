// <disk> (formatdomain.rst "Hard drives, floppy disks, CDROMs").

import { allocateDiskTarget, chooseDiskBus, diskIndex } from '../builders';
import { DEVICE_TABLE, DiskBus } from '../devices';
import { eq, exempt, field, isIn, opts, samples, samplesWith, str } from './define';
import type { CheckResult, DeviceDescription } from './types';

const F = DEVICE_TABLE.disk.fields;

const BUS_LABEL: Record<string, string> = { virtio: 'VirtIO', sata: 'SATA', scsi: 'SCSI', ide: 'IDE', usb: 'USB', fdc: 'Floppy', nvme: 'NVMe', xen: 'Xen', sd: 'SD' };
const DEVICE_LABEL: Record<string, string> = { disk: 'Disk', cdrom: 'CDROM', floppy: 'Floppy', lun: 'LUN' };

const removable = isIn('device', ['cdrom', 'floppy']);
const IOTUNE = 'Limit enforced by QEMU; empty for no limit.';

export const disk: DeviceDescription = {
  kind: 'disk',
  element: 'disk',
  name: 'Disk',
  rank: 1,
  listed: true,
  fields: [
    field('device', 'Device type', 'What the guest sees: a hard disk, a CD-ROM, a floppy or a SCSI LUN passed through.', F.device, samplesWith({ bus: 'sata', target: 'sdb' }, 'cdrom'), {
      options: opts(['disk', 'Disk'], ['cdrom', 'CD-ROM'], ['floppy', 'Floppy'], ['lun', 'LUN']),
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
      options: opts(['virtio', 'VirtIO'], ['sata', 'SATA'], ['scsi', 'SCSI'], ['ide', 'IDE'], ['usb', 'USB'], ['fdc', 'Floppy'], ['xen', 'Xen'], ['sd', 'SD']),
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
  ],
  identity: (v) => `disk:${str(v.target)}`,
  title: (v, nth) => {
    const bus = str(v.bus) || 'ide';
    const dev = str(v.device) || 'disk';
    return `${BUS_LABEL[bus] ?? bus} ${DEVICE_LABEL[dev] ?? dev} ${diskIndex(str(v.target)) || nth}`;
  },
  describe: (v) => {
    const src = v.sourceFile ?? v.sourceDev ?? (v.sourcePool !== undefined ? `${str(v.sourcePool)}/${str(v.sourceVolume)}` : undefined) ?? v.sourceName;
    return src !== undefined ? str(src) : v.device === 'cdrom' ? 'empty' : '';
  },
  icon: (v) => (v.device === 'cdrom' ? 'circle-large-outline' : 'database'),
  defaults: (dom) => {
    const bus: DiskBus = chooseDiskBus(dom, {});
    return { type: 'file', device: 'disk', driverName: 'qemu', driverType: 'qcow2', discard: 'unmap', bus, target: allocateDiskTarget(dom, bus) };
  },
  sample: { sourceFile: '/var/lib/libvirt/images/formsrt-new.qcow2' },
  companions: [
    {
      reason: 'A SCSI disk needs a SCSI controller',
      needed: eq('bus', 'scsi'),
      present: (dom) => dom.devicesOf('controller').some((c) => c.get('type') === 'scsi'),
      add: { kind: 'controller', values: { type: 'scsi', index: 0, model: 'virtio-scsi' } },
    },
  ],
  check: (v) => {
    const out: CheckResult[] = [];
    if (v.device === 'cdrom' && v.bus === 'virtio') out.push({ field: 'bus', code: 'cdrom-on-virtio', message: 'A CD-ROM cannot use the VirtIO bus: use SATA, SCSI or IDE.' });
    if (v.device === 'floppy' && v.bus !== undefined && v.bus !== 'fdc') out.push({ field: 'bus', code: 'floppy-bus', message: 'A floppy disk needs the floppy (fdc) bus.' });
    if (v.shareable === true && v.driverType !== undefined && v.driverType !== 'raw') out.push({ field: 'shareable', code: 'shareable-format', message: 'A shareable disk needs the raw format (libvirt refuses shared access to a qcow2 image).' });
    if (v.device === 'lun' && v.type !== 'block') out.push({ field: 'type', code: 'lun-source', message: 'A LUN passthrough disk needs a block device source.' });
    return out;
  },
};
