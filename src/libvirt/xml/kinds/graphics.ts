// <graphics> (formatdomain.rst "Graphical framebuffers").

import * as at from '../fields';
import { eq, exempt, field, isIn, opts, samples, samplesWith, str } from './define';
import type { DeviceDescription } from './types';

/** Where each value of the element lives (fields.ts); the fields below and DomainXml's typed views read through it. */
const F = {
  type: at.oneOf(['vnc', 'spice', 'sdl', 'rdp', 'desktop', 'egl-headless', 'dbus'], '', 'type'),
  port: at.int('', 'port'),
  tlsPort: at.int('', 'tlsPort'),
  autoport: at.yesNo('', 'autoport'),
  listen: at.str('', 'listen'),
  passwd: at.str('', 'passwd'),
  keymap: at.str('', 'keymap'),
  listenType: at.oneOf(['address', 'network', 'socket', 'none'], 'listen', 'type'),
  listenAddress: at.str('listen', 'address'),
  listenNetwork: at.str('listen', 'network'),
  listenSocket: at.str('listen', 'socket'),
  glEnable: at.yesNo('gl', 'enable'),
  glRenderNode: at.str('gl', 'rendernode'),
  imageCompression: at.str('image', 'compression'),
};
const remote = isIn('type', ['vnc', 'spice']);

export const graphics: DeviceDescription<'graphics', typeof F> = {
  kind: 'graphics',
  element: 'graphics',
  xml: F,
  name: 'Display',
  rank: 4,
  listed: true,
  fields: [
    field('type', 'Type', 'VNC works with every viewer (and the console tab); SPICE adds USB redirection, audio and clipboard sharing.', F.type, samples('spice'), {
      options: opts(['vnc', 'VNC server'], ['spice', 'SPICE server'], ['sdl', 'SDL window'], ['egl-headless', 'EGL headless'], ['dbus', 'D-Bus'], ['rdp', 'RDP'], ['desktop', 'Desktop']),
      optionsFrom: { device: 'graphics', enum: 'type' },
    }),
    field('autoport', 'Automatic port', 'Let libvirt pick a free port when the VM starts.', F.autoport, samplesWith({ port: undefined }, true), { when: remote }),
    field('port', 'Port', 'A fixed TCP port (5900 and up for VNC).', F.port, samplesWith({ autoport: false }, 5977), { min: 1, max: 65535, when: { all: [remote, { not: eq('autoport', true) }] } }),
    field('listenType', 'Listen type', 'Listen on an address, on a virtual network\'s address, on a UNIX socket, or not at all.', F.listenType, samples('none', 'address'), {
      options: opts(['address', 'Address'], ['network', 'Virtual network'], ['socket', 'UNIX socket'], ['none', 'None']),
      when: remote,
    }),
    field('listenAddress', 'Address', 'The address to listen on; 127.0.0.1 keeps the display local to the host.', F.listenAddress, samplesWith({ listenType: 'address' }, '0.0.0.0'), { when: { all: [remote, eq('listenType', 'address')] } }),
    field('listenNetwork', 'Network', 'The virtual network whose address to listen on.', F.listenNetwork, exempt('libvirt resolves the network to an address only when the VM starts, and needs the network to exist at define time'), { when: eq('listenType', 'network') }),
    field('listenSocket', 'Socket', 'Path of the UNIX socket; libvirt treats paths in its own directories as generated and replaces them.', F.listenSocket, samplesWith({ listenType: 'socket', listenAddress: undefined }, '/run/forms-sample.sock'), { when: eq('listenType', 'socket') }),
    field('passwd', 'Password', 'A password viewers must give; empty for none. Stored in the VM\'s XML.', F.passwd, samples('s3cret'), { when: remote }),
    field('keymap', 'Keymap', 'The keyboard layout for VNC; empty to let the guest decide (recommended).', F.keymap, samples('de'), { when: remote }),
    field('glEnable', 'OpenGL', 'Hardware-accelerated rendering on the host (SPICE and egl-headless, with a virtio GPU).', F.glEnable, exempt('needs a host GPU render node'), { when: isIn('type', ['spice', 'egl-headless', 'sdl', 'dbus']) }),
    field('imageCompression', 'Image compression', 'SPICE image compression.', F.imageCompression, samplesWith({ type: 'spice' }, 'glz'), {
      widget: 'select',
      options: opts(['auto_glz', 'auto_glz'], ['auto_lz', 'auto_lz'], ['quic', 'quic'], ['glz', 'glz'], ['lz', 'lz'], ['off', 'off']),
      when: eq('type', 'spice'),
    }),
  ],
  identity: (v) => `graphics:${str(v.type)}`,
  title: (v) => {
    const t = str(v.type);
    return `Display ${t === 'vnc' ? 'VNC' : t === 'spice' ? 'Spice' : t.toUpperCase()}`;
  },
  describe: (v) => {
    const port = typeof v.port === 'number' ? v.port : undefined;
    const listen = str(v.listenAddress ?? '');
    return port !== undefined && port > 0 ? `${listen}:${port}` : v.autoport === true ? 'auto port' : listen;
  },
  icon: () => 'device-desktop',
  defaults: () => ({ type: 'vnc', autoport: true, listenType: 'address', listenAddress: '127.0.0.1' }),
  add: {
    label: 'Graphics',
    icon: 'device-desktop',
    order: 4,
    overrides: {
      type: { options: opts(['vnc', 'VNC server'], ['spice', 'SPICE server'], ['egl-headless', 'EGL headless'], ['dbus', 'D-Bus']) },
      passwd: { help: 'A password viewers must give; empty for none. libvirt keeps it in the VM\'s definition (shown only to clients allowed to see secrets), where the console reads it.' },
    },
    // QEMU cannot add a display to a running VM.
    hotplug: false,
  },
};
