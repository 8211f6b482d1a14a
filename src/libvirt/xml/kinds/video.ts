// <video> (formatdomain.rst "Video devices").

import { formatKiB } from '../units';
import { DEVICE_TABLE } from '../devices';
import { eq, exempt, field, opts, samples, samplesWith, str } from './define';
import type { DeviceDescription } from './types';

const F = DEVICE_TABLE.video.fields;
const LABEL: Record<string, string> = { qxl: 'QXL', vga: 'VGA', virtio: 'Virtio', cirrus: 'Cirrus', bochs: 'Bochs', ramfb: 'Ramfb', vmvga: 'VMVGA', none: 'None' };

export const video: DeviceDescription = {
  kind: 'video',
  element: 'video',
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
};
