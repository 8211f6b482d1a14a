// <sound> and <audio> (formatdomain.rst "Sound devices", "Audio backends").

import { isQ35 } from '../allocate';
import type { DomainXml } from '../domainXml';
import * as at from '../fields';
import { readField, writeField } from '../fields';
import type { XmlElement } from '../xmlDocument';
import { accessor } from './access';
import { AC97, ICH6_HDA, ICH9_HDA } from './osDevices';
import { ADDRESS_FIELDS, field, opts, samples, samplesWith, str } from './define';
import type { DeviceDescription } from './types';

/** Where each value of the element lives (fields.ts); the fields below and DomainXml's typed views read through it. */
const S = {
  model: at.oneOf(['sb16', 'es1370', 'pcspk', 'ac97', 'ich6', 'ich7', 'ich9', 'usb', 'ich10', 'virtio'], '', 'model'),
  codecType: at.str('codec', 'type'),
  audioId: at.int('audio', 'id'),
  ...ADDRESS_FIELDS,
};
/** Where each value of the element lives (fields.ts); the fields below and DomainXml's typed views read through it. */
const A = {
  id: at.int('', 'id'),
  type: at.oneOf(['none', 'alsa', 'coreaudio', 'jack', 'oss', 'pulseaudio', 'sdl', 'spice', 'file', 'dbus', 'pipewire'], '', 'type'),
};

/** The host audio backends a sound card can play through (formatdomain.rst "Audio backends", libvirt 9.0). */
const AUDIO_TYPES = opts(['none', 'None (silent)'], ['spice', 'SPICE client'], ['pulseaudio', 'PulseAudio'], ['alsa', 'ALSA'], ['sdl', 'SDL'], ['oss', 'OSS'], ['jack', 'JACK'], ['dbus', 'D-Bus'], ['file', 'File']);

const audioElements = (dom: DomainXml): XmlElement[] => (dom.devicesElement?.elements() ?? []).filter((e) => e.name === 'audio');
const audioId = (dom: DomainXml, el: XmlElement): number | undefined => readField(dom.doc, el, A.id);
/** The `<audio id>` a sound card names; undefined: it plays through the first backend (libvirt's default). */
const linkOf = (dom: DomainXml, sound: XmlElement): number | undefined => readField(dom.doc, sound, S.audioId);

/** The backend a sound card plays through: the one it names, else the first (what libvirt uses). */
function backendOf(dom: DomainXml, sound: XmlElement): XmlElement | undefined {
  const all = audioElements(dom);
  const id = linkOf(dom, sound);
  return id === undefined ? all[0] : all.find((a) => audioId(dom, a) === id);
}

/**
 * "Audio backend" of a sound card, as a type (virt-manager keeps the backend implicit; the issue
 * asks for the choice). Writing a type links the card to an existing backend of that type or to a
 * new `<audio id type>`; a backend the card used before that nothing else uses goes away (a
 * sound card's switch from PulseAudio to ALSA leaves no orphan). Clearing unlinks the card: libvirt
 * then uses its default backend.
 */
const audioBackend = accessor(
  (dom, el) => {
    const a = backendOf(dom, el);
    return a === undefined ? undefined : readField(dom.doc, a, A.type);
  },
  (dom, el, value) => {
    const before = linkOf(dom, el) === undefined ? undefined : backendOf(dom, el);
    if (value === undefined) {
      writeField(dom.doc, el, S.audioId, undefined, 'audio');
    } else {
      const type = String(value);
      const current = backendOf(dom, el);
      let target = current !== undefined && readField(dom.doc, current, A.type) === type ? current : audioElements(dom).find((a) => readField(dom.doc, a, A.type) === type);
      if (target === undefined) {
        const id = Math.max(0, ...audioElements(dom).map((a) => audioId(dom, a) ?? 0)) + 1;
        target = dom.addDeviceXml(`<audio id='${id}'/>`).element;
        // Set through its field: a type libvirt does not know throws here, like any enumerated field.
        writeField(dom.doc, target, A.type, type, 'audioBackend');
      }
      writeField(dom.doc, el, S.audioId, audioId(dom, target), 'audio');
    }
    // The backend left behind goes when no device names it (a sound card, a VNC or D-Bus display)
    // and it is not the first: that one is libvirt's default for everything that names none.
    if (before !== undefined && before !== backendOf(dom, el) && audioElements(dom)[0] !== before) {
      const id = audioId(dom, before);
      const named = (dom.devicesElement?.elements() ?? []).some((d) => d.name !== 'audio' && d.child('audio')?.attr('id') === String(id));
      if (!named) dom.doc.removeElement(before);
    }
  },
  ['audio'],
);

export const sound: DeviceDescription<'sound', typeof S> = {
  kind: 'sound',
  element: 'sound',
  xml: S,
  name: 'Sound device',
  rank: 6,
  listed: true,
  fields: [
    field('model', 'Model', 'The emulated sound card; ICH9 (HDA) suits q35 guests, ICH6 older ones.', S.model, samples('ich6', 'ac97'), {
      options: opts(['ich9', 'HDA (ICH9)'], ['ich6', 'HDA (ICH6)'], ['ac97', 'AC97'], ['es1370', 'ES1370'], ['sb16', 'Sound Blaster 16'], ['pcspk', 'PC speaker'], ['usb', 'USB audio']),
    }),
    field('codecType', 'Codec', 'The HDA codec: duplex (line in/out), micro (speaker/mic) or output only.', S.codecType, samplesWith({ model: 'ich9' }, 'micro'), {
      widget: 'select',
      options: opts(['duplex', 'Duplex'], ['micro', 'Micro'], ['output', 'Output']),
      when: { field: 'model', in: ['ich6', 'ich7', 'ich9'] },
    }),
    field(
      'audioBackend',
      'Audio backend',
      "Where the host plays the card's sound: none (silent), the SPICE client (needs a SPICE display), PulseAudio, ALSA… A backend of that type the VM already has is shared; otherwise one is added.",
      audioBackend,
      samples('none', 'pulseaudio'),
      { widget: 'select', options: AUDIO_TYPES },
    ),
  ],
  identity: () => 'sound',
  title: (v) => `Sound ${str(v.model)}`.trim(),
  describe: (v) => str(v.codecType),
  icon: () => 'unmute',
  // The backend: the one the VM has, else what libvirt would pick (SPICE with a SPICE display, none otherwise).
  defaults: (dom) => ({ model: isQ35(dom) ? 'ich9' : 'ich6', audioBackend: defaultBackend(dom) }),
  check: (v, _el, dom) =>
    v.audioBackend === 'spice' && !dom.devicesOf('graphics').some((g) => g.get('type') === 'spice')
      ? [{ field: 'audioBackend', code: 'spice-audio-needs-spice', message: 'SPICE audio needs a SPICE display: add one (Graphics) or pick another backend' }]
      : [],
  add: {
    label: 'Sound',
    icon: 'unmute',
    order: 6,
    overrides: { model: { options: opts(['ich9', 'HDA (ICH9)'], ['ich6', 'HDA (ICH6)'], ['ac97', 'AC97'], ['sb16', 'Sound Blaster 16'], ['es1370', 'ES1370'], ['usb', 'USB audio']) } },
    hotplug: false,
    // The card the guest OS has a driver for, newest first (osinfo-db lists ich9, ich6 and ac97
    // per OS: Windows 7 and Linux of the last decade have ICH9, Windows Vista/2008 only ICH6, older
    // Fedora/Windows 9x only AC'97). An OS listing none of them keeps the machine's default.
    osModels: [{ field: 'model', prefer: [{ value: 'ich9', devices: ICH9_HDA }, { value: 'ich6', devices: ICH6_HDA }, { value: 'ac97', devices: AC97 }] }],
  },
};

function defaultBackend(dom: DomainXml): string {
  const first = audioElements(dom)[0];
  const type = first === undefined ? undefined : readField(dom.doc, first, A.type);
  if (type !== undefined) return type;
  return dom.devicesOf('graphics').some((g) => g.get('type') === 'spice') ? 'spice' : 'none';
}

export const audio: DeviceDescription<'audio', typeof A> = {
  kind: 'audio',
  element: 'audio',
  xml: A,
  name: 'Audio backend',
  rank: 6,
  listed: true,
  fields: [
    field('id', 'Id', 'Sound devices refer to their backend by this number.', A.id, samples(2), { min: 1, required: true }),
    field('type', 'Backend', 'Where the host plays the sound: none, the SPICE client, PulseAudio, PipeWire…', A.type, samples('pulseaudio', 'none'), {
      options: opts(['none', 'None'], ['spice', 'SPICE client'], ['pulseaudio', 'PulseAudio'], ['alsa', 'ALSA'], ['sdl', 'SDL'], ['oss', 'OSS'], ['jack', 'JACK'], ['coreaudio', 'CoreAudio'], ['file', 'File'], ['dbus', 'D-Bus']),
    }),
  ],
  identity: (v) => `audio:${str(v.id)}`,
  title: (v) => (v.type === undefined ? 'Audio backend' : `Audio backend (${str(v.type)})`),
  describe: (v) => `id ${str(v.id)}`,
  icon: () => 'unmute',
  defaults: (dom) => ({ id: Math.max(0, ...dom.devicesOf('audio').map((a) => a.get('id') ?? 0)) + 1, type: 'none' }),
};
