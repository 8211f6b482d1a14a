// <tpm> (formatdomain.rst "TPM device").

import { isQ35 } from '../allocate';
import * as at from '../fields';
import { ADDRESS_FIELDS, eq, exempt, field, HOST_RESOURCE, joined, opts, samples, samplesWith, str } from './define';
import type { DeviceDescription } from './types';

/** Where each value of the element lives (fields.ts); the fields below and DomainXml's typed views read through it. */
const F = {
  model: at.oneOf(['tpm-tis', 'tpm-crb', 'tpm-spapr', 'spapr-tpm-proxy'], '', 'model'),
  backendType: at.oneOf(['passthrough', 'emulator', 'external'], 'backend', 'type'),
  version: at.oneOf(['1.2', '2.0'], 'backend', 'version'),
  devicePath: at.str('backend/device', 'path'),
  persistentState: at.yesNo('backend', 'persistent_state'),
  ...ADDRESS_FIELDS,
};

export const tpm: DeviceDescription<'tpm', typeof F> = {
  kind: 'tpm',
  element: 'tpm',
  xml: F,
  name: 'TPM',
  rank: 12,
  listed: true,
  fields: [
    field('model', 'Model', 'CRB suits TPM 2.0 on q35; TIS is the most compatible.', F.model, samples('tpm-tis', 'tpm-crb'), { optionsFrom: { device: 'tpm', enum: 'model' }, options: opts(['tpm-crb', 'CRB'], ['tpm-tis', 'TIS'], ['tpm-spapr', 'sPAPR'], ['spapr-tpm-proxy', 'sPAPR proxy']) }),
    field('backendType', 'Backend', 'Emulated (swtpm keeps the state per VM) or the host\'s own TPM passed through.', F.backendType, samples('emulator'), { optionsFrom: { device: 'tpm', enum: 'backendModel' }, options: opts(['emulator', 'Emulated'], ['passthrough', 'Passthrough'], ['external', 'External']) }),
    field('version', 'Version', 'TPM 2.0 for Windows 11 and current guests.', F.version, samplesWith({ model: 'tpm-tis' }, '1.2', '2.0'), { optionsFrom: { device: 'tpm', enum: 'backendVersion' }, when: eq('backendType', 'emulator') }),
    field('devicePath', 'Host TPM', 'The host TPM device, e.g. /dev/tpm0.', F.devicePath, exempt(`${HOST_RESOURCE}: a host TPM`), { when: eq('backendType', 'passthrough') }),
    field('persistentState', 'Keep state', 'Keep the TPM state when the VM is undefined.', F.persistentState, samples(true), { when: eq('backendType', 'emulator') }),
  ],
  identity: (v) => `tpm:${str(v.model)}`,
  title: (v) => `TPM v${str(v.version ?? (v.backendType === 'emulator' ? '2.0' : '1.2'))}`,
  describe: (v) => joined(v.model, v.backendType),
  icon: () => 'lock',
  defaults: (dom) => ({ model: isQ35(dom) ? 'tpm-crb' : 'tpm-tis', backendType: 'emulator', version: '2.0' }),
  add: {
    label: 'TPM',
    icon: 'lock',
    order: 12,
    overrides: { devicePath: { placeholder: '/dev/tpm0' }, backendType: { options: opts(['emulator', 'Emulated (swtpm)'], ['passthrough', 'Host TPM passthrough']) } },
    hotplug: false,
  },
};
