// <rng> (formatdomain.rst "Random number generator device").

import * as at from '../fields';
import { ADDRESS_FIELDS, eq, field, joined, opts, samples, samplesWith, str } from './define';
import type { DeviceDescription } from './types';

/** Where each value of the element lives (fields.ts); the fields below and DomainXml's typed views read through it. */
const F = {
  model: at.oneOf(['virtio', 'virtio-transitional', 'virtio-non-transitional'], '', 'model'),
  backendModel: at.oneOf(['random', 'egd', 'builtin'], 'backend', 'model'),
  backend: at.str('backend'),
  rateBytes: at.int('rate', 'bytes'),
  ratePeriod: at.int('rate', 'period'),
  ...ADDRESS_FIELDS,
};

export const rng: DeviceDescription<'rng', typeof F> = {
  kind: 'rng',
  element: 'rng',
  xml: F,
  name: 'RNG',
  rank: 13,
  listed: true,
  fields: [
    field('model', 'Model', 'The device the guest sees.', F.model, samples('virtio-non-transitional', 'virtio'), { optionsFrom: { device: 'rng', enum: 'model' } }),
    field('backendModel', 'Backend', 'Where the entropy comes from: a host device, the built-in generator, or an EGD daemon.', F.backendModel, samplesWith({ backend: undefined }, 'builtin'), { options: opts(['random', 'Host device'], ['builtin', 'Built-in'], ['egd', 'EGD']), optionsFrom: { device: 'rng', enum: 'backendModel' } }),
    field('backend', 'Host device', 'The host entropy source, /dev/urandom normally.', F.backend, samplesWith({ backendModel: 'random' }, '/dev/random'), { when: eq('backendModel', 'random'), widget: 'select', allowCustom: true, options: opts(['/dev/urandom', '/dev/urandom'], ['/dev/random', '/dev/random'], ['/dev/hwrng', '/dev/hwrng']) }),
    field('rateBytes', 'Rate limit (bytes)', 'At most this many bytes per period; empty for no limit.', F.rateBytes, samples(1024), { min: 1 }),
    field('ratePeriod', 'Rate period (ms)', 'The period of the rate limit.', F.ratePeriod, samplesWith({ rateBytes: 1024 }, 2000), { min: 1, when: { field: 'rateBytes', set: true } }),
  ],
  identity: (v) => `rng:${str(v.backendModel)}`,
  title: (v) => `RNG ${str(v.backend).trim() || str(v.backendModel)}`.trim(),
  describe: (v) => joined(v.model, v.backendModel),
  icon: () => 'symbol-misc',
  defaults: () => ({ model: 'virtio', backendModel: 'random', backend: '/dev/urandom' }),
  add: { label: 'RNG', icon: 'symbol-misc', order: 13 },
};
