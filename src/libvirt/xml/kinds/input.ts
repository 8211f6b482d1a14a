// <input> (formatdomain.rst "Input devices").

import * as at from '../fields';
import { ADDRESS_FIELDS, eq, field, opts, samples, samplesWith, str } from './define';
import type { DeviceDescription } from './types';

/** Where each value of the element lives (fields.ts); the fields below and DomainXml's typed views read through it. */
const F = {
  type: at.oneOf(['mouse', 'tablet', 'keyboard', 'passthrough', 'evdev'], '', 'type'),
  bus: at.oneOf(['ps2', 'usb', 'xen', 'virtio', 'none'], '', 'bus'),
  sourceDev: at.str('source', 'dev'),
  sourceEvdev: at.str('source', 'evdev'),
  grab: at.oneOf(['all'], 'source', 'grab'),
  repeat: at.onOff('source', 'repeat'),
  ...ADDRESS_FIELDS,
};

export const input: DeviceDescription<'input', typeof F> = {
  kind: 'input',
  element: 'input',
  xml: F,
  name: 'Input device',
  rank: 7,
  listed: true,
  fields: [
    field('type', 'Type', 'A tablet gives an absolute pointer that follows the host cursor; mouse and keyboard are relative devices.', F.type, samples('mouse', 'keyboard'), {
      options: opts(['tablet', 'Tablet'], ['mouse', 'Mouse'], ['keyboard', 'Keyboard'], ['passthrough', 'Passthrough'], ['evdev', 'Evdev']),
    }),
    field('bus', 'Bus', 'How the device is attached to the guest.', F.bus, samples('virtio', 'usb'), { options: opts(['usb', 'USB'], ['virtio', 'VirtIO'], ['ps2', 'PS/2'], ['xen', 'Xen']) }),
    field('sourceEvdev', 'Host event device', 'The host /dev/input device passed to the guest.', F.sourceEvdev, samplesWith({ type: 'passthrough', bus: 'virtio' }, '/dev/input/event9'), { when: eq('type', 'passthrough') }),
    field('sourceDev', 'Host device', 'The host evdev device (keyboard or mouse) shared with the guest.', F.sourceDev, samplesWith({ type: 'evdev', bus: undefined }, '/dev/input/event8'), { when: eq('type', 'evdev') }),
    field('grab', 'Grab', 'Grab all input devices of the host while the guest has focus.', F.grab, samplesWith({ type: 'evdev', bus: undefined, sourceDev: '/dev/input/event8' }, 'all'), { when: eq('type', 'evdev') }),
    field('repeat', 'Key repeat', 'Let the host repeat held keys.', F.repeat, samplesWith({ type: 'evdev', bus: undefined, sourceDev: '/dev/input/event8' }, true), { when: eq('type', 'evdev') }),
  ],
  identity: (v) => `input:${str(v.type)}:${str(v.bus)}`,
  title: (v) => {
    const t = str(v.type) || 'mouse';
    const base = t === 'evdev' ? 'Evdev' : t.charAt(0).toUpperCase() + t.slice(1);
    return v.bus === 'virtio' ? `Virtio ${base}` : base;
  },
  describe: (v) => str(v.bus),
  icon: (v) => (v.type === 'keyboard' ? 'keyboard' : 'inspect'),
  defaults: () => ({ type: 'tablet', bus: 'usb' }),
  add: {
    label: 'Input',
    icon: 'inspect',
    order: 7,
    overrides: { sourceDev: { placeholder: '/dev/input/by-id/…-event-kbd' } },
    derive: (_dom, v, changed) => (changed === 'type' && v.type === 'evdev' ? { bus: undefined } : changed === 'type' && v.bus === undefined ? { bus: 'usb' } : {}),
  },
};
