// <sound> and <audio> (formatdomain.rst "Sound devices", "Audio backends").

import { DEVICE_TABLE } from '../devices';
import { field, opts, samples, samplesWith, str } from './define';
import type { DeviceDescription } from './types';

const S = DEVICE_TABLE.sound.fields;
const A = DEVICE_TABLE.audio.fields;

export const sound: DeviceDescription = {
  kind: 'sound',
  element: 'sound',
  name: 'Sound device',
  rank: 6,
  listed: true,
  fields: [
    field('model', 'Model', 'The emulated sound card; ICH9 (HDA) suits q35 guests, ICH6 older ones.', S.model, samples('ich6', 'ac97'), {
      options: opts(['ich9', 'HDA (ICH9)'], ['ich6', 'HDA (ICH6)'], ['ich7', 'HDA (ICH7)'], ['ac97', 'AC97'], ['es1370', 'ES1370'], ['sb16', 'Sound Blaster 16'], ['pcspk', 'PC speaker'], ['usb', 'USB audio']),
    }),
    field('codecType', 'Codec', 'The HDA codec: duplex (line in/out), micro (speaker/mic) or output only.', S.codecType, samplesWith({ model: 'ich9' }, 'micro'), {
      widget: 'select',
      options: opts(['duplex', 'Duplex'], ['micro', 'Micro'], ['output', 'Output']),
      when: { field: 'model', in: ['ich6', 'ich7', 'ich9'] },
    }),
  ],
  identity: () => 'sound',
  title: (v) => `Sound ${str(v.model)}`.trim(),
  describe: (v) => str(v.codecType),
  icon: () => 'unmute',
  defaults: () => ({ model: 'ich9' }),
};

export const audio: DeviceDescription = {
  kind: 'audio',
  element: 'audio',
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
  title: (v) => `Audio ${str(v.type)}`.trim(),
  describe: (v) => `id ${str(v.id)}`,
  icon: () => 'unmute',
  defaults: (dom) => ({ id: Math.max(0, ...dom.devicesOf('audio').map((a) => a.get('id') ?? 0)) + 1, type: 'none' }),
};
