// <serial>, <parallel>, <console>, <channel> (formatdomain.rst "Consoles, serial, parallel &
// channel devices"): one set of fields, four kinds.

import * as at from '../fields';
import { ADDRESS_FIELDS, eq, exempt, field, isIn, joined, opts, samples, samplesWith, str } from './define';
import { SPICE_GRAPHICS } from './misc';
import type { AddDescription, Companion, DeviceDescription, FieldDescription } from './types';

/** Where each value of the element lives (fields.ts); the fields below and DomainXml's typed views read through it. */
const F = {
  type: at.oneOf(['pty', 'dev', 'file', 'pipe', 'unix', 'tcp', 'udp', 'null', 'stdio', 'vc', 'spicevmc', 'spiceport', 'qemu-vdagent', 'nmdm', 'dbus'], '', 'type'),
  sourcePath: at.str('source', 'path'),
  sourceChannel: at.str('source', 'channel'),
  sourceMode: at.oneOf(['bind', 'connect'], 'source', 'mode'),
  sourceHost: at.str('source', 'host'),
  sourceService: at.str('source', 'service'),
  protocolType: at.oneOf(['raw', 'telnet', 'telnets', 'tls'], 'protocol', 'type'),
  targetType: at.str('target', 'type'),
  targetPort: at.int('target', 'port'),
  targetName: at.str('target', 'name'),
  targetModel: at.str('target/model', 'name'),
  logFile: at.str('log', 'file'),
  ...ADDRESS_FIELDS,
};
const CHANNEL_LABEL: Record<string, string> = { 'org.qemu.guest_agent.0': 'qemu-ga', 'com.redhat.spice.0': 'spice', 'org.libguestfs.channel.0': 'libguestfs' };
const socket = isIn('type', ['unix']);
const net = isIn('type', ['tcp', 'udp']);

function charFields(kind: 'serial' | 'parallel' | 'console' | 'channel'): FieldDescription[] {
  const isChannel = kind === 'channel';
  return [
    field('type', 'Device type', 'Where the host end goes: a pseudo terminal (pty), a file, a UNIX socket, TCP…', F.type, isChannel ? samplesWith({ targetName: 'org.forms.test.0' }, 'pty') : samplesWith({ sourcePath: '/var/log/libvirt/qemu/forms-type.log' }, 'file'), {
      options: opts(['pty', 'Pseudo TTY'], ['file', 'Output to a file'], ['unix', 'UNIX socket'], ['tcp', 'TCP'], ['udp', 'UDP'], ['dev', 'Host device'], ['pipe', 'Named pipe'], ['null', 'Null'], ['stdio', 'stdio'], ['vc', 'Virtual console'], ['spicevmc', 'SPICE agent'], ['spiceport', 'SPICE port'], ['qemu-vdagent', 'QEMU vdagent'], ['nmdm', 'nmdm'], ['dbus', 'D-Bus']),
      optionsFrom: isChannel ? { device: 'channel', enum: 'type' } : undefined,
    }),
    field('sourcePath', 'Path', 'The file, device, pipe or socket path on the host.', F.sourcePath, samplesWith({ type: 'file' }, '/var/log/libvirt/qemu/forms-sample.log'), { when: isIn('type', ['file', 'dev', 'pipe', 'unix']) }),
    field('sourceMode', 'Mode', 'Whether the host end listens (bind) or connects.', F.sourceMode, samplesWith({ type: 'tcp', sourceHost: '127.0.0.1', sourceService: '4555' }, 'connect', 'bind'), { when: { any: [socket, net] } }),
    field('sourceHost', 'Host', 'The TCP/UDP host.', F.sourceHost, samplesWith({ type: 'tcp', sourceMode: 'bind', sourceService: '4555' }, '127.0.0.1'), { when: net }),
    field('sourceService', 'Port', 'The TCP/UDP port.', F.sourceService, samplesWith({ type: 'tcp', sourceMode: 'bind', sourceHost: '127.0.0.1' }, '4556'), { when: net }),
    field('sourceChannel', 'SPICE port name', 'The name the SPICE client sees for this port, e.g. org.qemu.console.serial.0.', F.sourceChannel, exempt('libvirt needs a SPICE display for it, which only Add Hardware brings along (its own test adds a SPICE port)'), { when: eq('type', 'spiceport') }),
    field('protocolType', 'Protocol', 'The TCP protocol: raw or telnet.', F.protocolType, samplesWith({ type: 'tcp', sourceMode: 'bind', sourceHost: '127.0.0.1', sourceService: '4555' }, 'telnet'), { when: eq('type', 'tcp') }),
    ...(kind === 'channel'
      ? [
          field('targetType', 'Target type', 'virtio for agents (qemu-ga, SPICE), guestfwd to forward a guest TCP port.', F.targetType, samplesWith({ targetName: 'org.forms.test.0' }, 'virtio'), { widget: 'select', options: opts(['virtio', 'VirtIO'], ['guestfwd', 'Guest forwarding'], ['xen', 'Xen']) }),
          field('targetName', 'Name', 'The port name the guest agent looks for (org.qemu.guest_agent.0 for the QEMU guest agent).', F.targetName, samples('org.forms.test.1'), {
            widget: 'select',
            allowCustom: true,
            options: opts(['org.qemu.guest_agent.0', 'QEMU guest agent'], ['com.redhat.spice.0', 'SPICE agent'], ['org.libguestfs.channel.0', 'libguestfs']),
          }),
        ]
      : kind === 'console'
        ? [
            field('targetType', 'Target type', 'The console device the guest sees: a serial port or a virtio console.', F.targetType, samples('virtio'), { widget: 'select', options: opts(['serial', 'Serial port'], ['virtio', 'VirtIO'], ['xen', 'Xen'], ['lxc', 'LXC'], ['openvz', 'OpenVZ'], ['sclp', 'SCLP'], ['sclplm', 'SCLP line mode']) }),
            field('targetPort', 'Port', 'The console number.', F.targetPort, exempt('libvirt renumbers console ports'), { widget: 'readonly' }),
          ]
        : [
            field('targetPort', 'Port', 'The port number in the guest (ttyS0 is port 0).', F.targetPort, samples(1), { min: 0 }),
            ...(kind === 'serial'
              ? [
                  field('targetType', 'Target type', 'The kind of serial port the guest sees.', F.targetType, samples('isa-serial'), { widget: 'select', options: opts(['isa-serial', 'ISA'], ['usb-serial', 'USB'], ['pci-serial', 'PCI'], ['spapr-vio-serial', 'sPAPR VIO'], ['system-serial', 'System'], ['sclp-serial', 'SCLP']) }),
                ]
              : []),
          ]),
    field('logFile', 'Log file', 'Also write the output to this file on the host.', F.logFile, isChannel ? samplesWith({ targetName: 'org.forms.test.0', type: 'pty' }, '/var/log/libvirt/qemu/forms-chan.log') : samples('/var/log/libvirt/qemu/forms-char.log')),
  ];
}

/**
 * A virtio channel or console port needs a virtio-serial controller. libvirt adds one itself at
 * define time, but not to a running VM, so Add Hardware brings it (and hot-plugs it first).
 */
const VIRTIO_SERIAL: Companion = {
  reason: 'A virtio port needs a virtio-serial controller',
  needed: eq('targetType', 'virtio'),
  present: (dom) => dom.devicesOf('controller').some((c) => c.get('type') === 'virtio-serial'),
  add: { kind: 'controller', values: { type: 'virtio-serial', index: 0, model: undefined } },
};

/** The host ends Add Hardware offers for a serial, parallel or console device (virt-manager's list). */
const HOST_ENDS = opts(['pty', 'Pseudo TTY'], ['file', 'Output to a file'], ['unix', 'UNIX socket'], ['tcp', 'TCP'], ['udp', 'UDP'], ['null', 'Null'], ['spiceport', 'SPICE port']);

function charAdd(label: string, order: number, extra: Partial<AddDescription> = {}): AddDescription {
  return { label, icon: 'terminal', order, overrides: { type: { options: HOST_ENDS } }, ...extra };
}

const common = {
  listed: true,
  rank: 8,
  describe: (v: Record<string, unknown>) => joined(v.type as string, v.targetType as string),
  icon: () => 'terminal',
};

export const serial: DeviceDescription<'serial', typeof F> = {
  ...common,
  kind: 'serial',
  element: 'serial',
  xml: F,
  name: 'Serial port',
  fields: charFields('serial'),
  identity: (v) => `serial:${str(v.targetPort ?? 0)}`,
  title: (v, nth) => `Serial ${(typeof v.targetPort === 'number' ? v.targetPort : nth - 1) + 1}`,
  defaults: () => ({ type: 'pty' }),
  companions: [SPICE_GRAPHICS],
  add: charAdd('Serial', 8, { overrides: { type: { options: HOST_ENDS }, targetPort: { placeholder: 'the next free port' } } }),
};

export const parallel: DeviceDescription<'parallel', typeof F> = {
  ...common,
  kind: 'parallel',
  element: 'parallel',
  xml: F,
  name: 'Parallel port',
  fields: charFields('parallel'),
  identity: (v) => `parallel:${str(v.targetPort ?? 0)}`,
  title: (v, nth) => `Parallel ${(typeof v.targetPort === 'number' ? v.targetPort : nth - 1) + 1}`,
  defaults: () => ({ type: 'pty' }),
  companions: [SPICE_GRAPHICS],
  add: charAdd('Parallel', 8.1, { overrides: { type: { options: HOST_ENDS }, targetPort: { placeholder: 'the next free port' } }, hotplug: false }),
};

export const console: DeviceDescription<'console', typeof F> = {
  ...common,
  kind: 'console',
  element: 'console',
  xml: F,
  name: 'Console',
  fields: charFields('console'),
  identity: (v) => `console:${str(v.targetType)}`,
  title: (_v, nth) => (nth === 1 ? 'Console' : `Console ${nth}`),
  defaults: () => ({ type: 'pty', targetType: 'virtio' }),
  companions: [SPICE_GRAPHICS, VIRTIO_SERIAL],
  add: charAdd('Console', 8.2, { omit: ['targetPort'] }),
};

export const channel: DeviceDescription<'channel', typeof F> = {
  ...common,
  kind: 'channel',
  element: 'channel',
  xml: F,
  name: 'Channel',
  fields: charFields('channel'),
  identity: (v) => `channel:${str(v.targetName ?? v.type)}`,
  title: (v) => `Channel ${CHANNEL_LABEL[str(v.targetName)] ?? (str(v.targetName) || str(v.type))}`.trim(),
  defaults: () => ({ type: 'unix', targetType: 'virtio', targetName: 'org.qemu.guest_agent.0' }),
  companions: [SPICE_GRAPHICS, VIRTIO_SERIAL],
  add: {
    label: 'Channel',
    icon: 'terminal',
    order: 8.3,
    overrides: {
      type: { options: opts(['unix', 'UNIX socket'], ['pty', 'Pseudo TTY'], ['spicevmc', 'SPICE agent channel'], ['spiceport', 'SPICE port'], ['qemu-vdagent', 'QEMU vdagent']) },
      targetName: { help: 'QEMU guest agent, SPICE agent, or the name of a custom virtio port the guest opens (/dev/virtio-ports/NAME).' },
    },
    // The SPICE agent talks over a spicevmc channel; the guest agent over a UNIX socket libvirt makes.
    derive: (_dom, v, changed) => (changed !== 'targetName' ? {} : v.targetName === 'com.redhat.spice.0' ? { type: 'spicevmc', targetType: 'virtio' } : v.targetName === 'org.qemu.guest_agent.0' ? { type: 'unix', targetType: 'virtio' } : {}),
  },
};
