// <tpm> (formatdomain.rst "TPM device").

import { DEVICE_TABLE } from '../devices';
import { eq, exempt, field, HOST_RESOURCE, joined, opts, samples, samplesWith, str } from './define';
import type { DeviceDescription } from './types';

const F = DEVICE_TABLE.tpm.fields;

export const tpm: DeviceDescription = {
  kind: 'tpm',
  element: 'tpm',
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
  defaults: () => ({ model: 'tpm-crb', backendType: 'emulator', version: '2.0' }),
};
