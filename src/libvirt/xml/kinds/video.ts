// <video> (formatdomain.rst "Video devices").

import { formatKiB } from '../units';
import * as at from '../fields';
import { ADDRESS_FIELDS, eq, exempt, field, opts, samples, samplesWith, str } from './define';
import { QXL, VIRTIO_GPU } from './osDevices';
import type { DeviceDescription } from './types';

/** Where each value of the element lives (fields.ts); the fields below and DomainXml's typed views read through it. */
const F = {
  model: at.oneOf(['vga', 'cirrus', 'vmvga', 'xen', 'vbox', 'qxl', 'virtio', 'gop', 'bochs', 'ramfb', 'none'], 'model', 'type'),
  heads: at.int('model', 'heads'),
  vram: at.int('model', 'vram'),
  ram: at.int('model', 'ram'),
  vgamem: at.int('model', 'vgamem'),
  primary: at.yesNo('model', 'primary'),
  accel3d: at.yesNo('model/acceleration', 'accel3d'),
  ...ADDRESS_FIELDS,
};
const LABEL: Record<string, string> = { qxl: 'QXL', vga: 'VGA', virtio: 'Virtio', cirrus: 'Cirrus', bochs: 'Bochs', ramfb: 'Ramfb', vmvga: 'VMVGA', none: 'None' };

export const video: DeviceDescription<'video', typeof F> = {
  kind: 'video',
  element: 'video',
  xml: F,
  name: 'Video',
  rank: 5,
  listed: true,
  fields: [
    field('model', 'Model', 'The emulated graphics card; Virtio suits modern guests, QXL suits SPICE, VGA is the most compatible.', F.model, samples('vga', 'bochs'), {
      options: opts(['virtio', 'Virtio'], ['qxl', 'QXL'], ['vga', 'VGA'], ['bochs', 'Bochs'], ['ramfb', 'Ramfb'], ['cirrus', 'Cirrus'], ['vmvga', 'VMware SVGA'], ['xen', 'Xen'], ['vbox', 'VirtualBox'], ['gop', 'GOP'], ['none', 'None']),
      optionsFrom: { device: 'video', enum: 'modelType' },
    }),
    field('heads', 'Heads', 'Number of monitors.', F.heads, samples(2), { min: 1, max: 16 }),
    field('vram', 'Video RAM (KiB)', 'Video memory; QXL and VGA-compatible models.', F.vram, samplesWith({ model: 'qxl' }, 32768), { min: 0, when: { field: 'model', in: ['qxl', 'vga', 'cirrus', 'vmvga', 'xen', 'vbox'] } }),
    field('ram', 'RAM (KiB)', 'QXL\'s secondary memory bar.', F.ram, samplesWith({ model: 'qxl' }, 65536), { min: 0, when: eq('model', 'qxl') }),
    field('vgamem', 'VGA memory (KiB)', 'QXL\'s VGA framebuffer size.', F.vgamem, samplesWith({ model: 'qxl' }, 16384), { min: 0, when: eq('model', 'qxl') }),
    field('primary', 'Primary', 'The primary video device (the first one).', F.primary, exempt('libvirt sets it on the first video device itself'), { widget: 'readonly' }),
    field('accel3d', '3D acceleration', 'virgl 3D acceleration (needs OpenGL on the display).', F.accel3d, exempt('needs a host GPU render node'), { when: eq('model', 'virtio') }),
  ],
  identity: () => 'video',
  title: (v) => `Video ${LABEL[str(v.model)] ?? str(v.model)}`.trim(),
  describe: (v) => (typeof v.vram === 'number' && v.vram > 0 ? formatKiB(v.vram) : ''),
  icon: () => 'screen-full',
  defaults: () => ({ model: 'virtio', heads: 1 }),
  add: {
    label: 'Video',
    icon: 'screen-full',
    order: 5,
    omit: ['primary'],
    hotplug: false,
    // virtio-gpu when the OS has its driver, QXL next; an OS with neither gets VGA, which every OS
    // can drive, as its first video device. libvirt takes only QXL or virtio-gpu as a second one.
    osModels: [{ field: 'model', prefer: [{ value: 'virtio', devices: VIRTIO_GPU }, { value: 'qxl', devices: QXL }], otherwise: (dom) => (dom.devicesOf('video').length > 0 ? 'qxl' : 'vga') }],
  },
};
