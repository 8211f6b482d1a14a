// The small device kinds: watchdog, smartcard, USB redirection, panic notifier, vsock, IOMMU,
// memory balloon, the emulator path (part of Overview) and elements this product does not know.

import * as at from '../fields';
import { ADDRESS_FIELDS, eq, exempt, field, opts, samples, samplesWith, str } from './define';
import { userAlias } from './interface';
import type { CheckResult, Companion, DeviceDescription } from './types';

/** spicevmc channels (smartcard, USB redirection, the SPICE agent) and SPICE ports need SPICE graphics. */
export const SPICE_GRAPHICS: Companion = {
  reason: 'A SPICE channel needs a SPICE display',
  needed: { field: 'type', in: ['spicevmc', 'spiceport'] },
  present: (dom) => dom.devicesOf('graphics').some((g) => g.get('type') === 'spice'),
  add: { kind: 'graphics', values: { type: 'spice' } },
};

/** Where each value of the element lives (fields.ts); the fields below and DomainXml's typed views read through it. */
const W = {
  model: at.oneOf(['i6300esb', 'ib700', 'diag288', 'itco'], '', 'model'),
  action: at.oneOf(['reset', 'shutdown', 'poweroff', 'pause', 'none', 'dump', 'inject-nmi'], '', 'action'),
  ...ADDRESS_FIELDS,
};
export const watchdog: DeviceDescription<'watchdog', typeof W> = {
  kind: 'watchdog',
  element: 'watchdog',
  xml: W,
  name: 'Watchdog',
  rank: 14,
  listed: true,
  fields: [
    field('model', 'Model', 'The emulated watchdog; i6300esb is a PCI device that suits most guests.', W.model, samples('ib700', 'i6300esb'), { options: opts(['i6300esb', 'i6300esb'], ['ib700', 'ib700'], ['diag288', 'diag288']) }),
    field('action', 'Action', 'What happens when the guest stops feeding the watchdog.', W.action, samples('poweroff', 'pause'), {
      options: opts(['reset', 'Reset the VM'], ['shutdown', 'Shut down gracefully'], ['poweroff', 'Power off'], ['pause', 'Pause'], ['dump', 'Dump memory'], ['inject-nmi', 'Inject an NMI'], ['none', 'Nothing']),
    }),
  ],
  identity: (v) => `watchdog:${str(v.model)}`,
  title: () => 'Watchdog',
  describe: (v) => `${str(v.model)} · ${str(v.action ?? 'reset')}`,
  icon: () => 'eye',
  defaults: () => ({ model: 'i6300esb', action: 'reset' }),
  add: { label: 'Watchdog', icon: 'eye', order: 14, overrides: { model: { options: opts(['i6300esb', 'i6300esb (PCI)'], ['ib700', 'ib700 (ISA)'], ['diag288', 'diag288 (s390)']) } } },
};

/** Where each value of the element lives (fields.ts); the fields below and DomainXml's typed views read through it. */
const SC = {
  mode: at.oneOf(['host', 'host-certificates', 'passthrough'], '', 'mode'),
  type: at.str('', 'type'),
  ...ADDRESS_FIELDS,
};
export const smartcard: DeviceDescription<'smartcard', typeof SC> = {
  kind: 'smartcard',
  element: 'smartcard',
  xml: SC,
  name: 'Smartcard',
  rank: 11,
  listed: true,
  fields: [
    field('mode', 'Mode', 'Passthrough forwards a reader through SPICE; host uses the host\'s reader.', SC.mode, samplesWith({ type: undefined }, 'host'), { options: opts(['passthrough', 'Passthrough'], ['host', 'Host reader'], ['host-certificates', 'Host certificates']) }),
    field('type', 'Channel type', 'For passthrough: the channel to the reader (spicevmc through the SPICE client).', SC.type, samplesWith({ mode: 'passthrough' }, 'spicevmc'), { widget: 'select', options: opts(['spicevmc', 'SPICE'], ['tcp', 'TCP']), when: eq('mode', 'passthrough') }),
  ],
  identity: (v) => `smartcard:${str(v.mode)}`,
  title: () => 'Smartcard',
  describe: (v) => str(v.mode),
  icon: () => 'credit-card',
  defaults: () => ({ mode: 'passthrough', type: 'spicevmc' }),
  add: { label: 'Smartcard', icon: 'credit-card', order: 11, hotplug: false },
  companions: [SPICE_GRAPHICS],
};

/** Where each value of the element lives (fields.ts); the fields below and DomainXml's typed views read through it. */
const R = {
  bus: at.oneOf(['usb'], '', 'bus'),
  type: at.oneOf(['spicevmc', 'tcp'], '', 'type'),
  sourceHost: at.str('source', 'host'),
  sourceService: at.str('source', 'service'),
  bootOrder: at.int('boot', 'order'),
  ...ADDRESS_FIELDS,
};
export const redirdev: DeviceDescription<'redirdev', typeof R> = {
  kind: 'redirdev',
  element: 'redirdev',
  xml: R,
  name: 'USB redirector',
  rank: 10,
  listed: true,
  fields: [
    field('type', 'Type', 'Redirect USB devices from the SPICE client (spicevmc) or a usbredir TCP server.', R.type, samplesWith({ sourceHost: 'usb.example', sourceService: '4000' }, 'tcp'), { options: opts(['spicevmc', 'SPICE channel'], ['tcp', 'TCP']) }),
    field('bus', 'Bus', 'The bus the redirected devices appear on (USB).', R.bus, samples('usb'), { optionsFrom: { device: 'redirdev', enum: 'bus' } }),
    field('sourceHost', 'Host', 'The usbredir server.', R.sourceHost, samplesWith({ type: 'tcp', sourceService: '4000' }, 'usb.example'), { when: eq('type', 'tcp') }),
    field('sourceService', 'Port', 'The usbredir server\'s port.', R.sourceService, samplesWith({ type: 'tcp', sourceHost: 'usb.example' }, '4001'), { when: eq('type', 'tcp') }),
  ],
  identity: (v, el) => (v.sourceHost !== undefined ? `redirdev:${str(v.sourceHost)}:${str(v.sourceService)}` : userAlias('redirdev', el.child('alias')?.attr('name'))),
  title: (_v, nth) => `USB Redirector ${nth}`,
  describe: (v) => str(v.type),
  icon: () => 'plug',
  defaults: () => ({ bus: 'usb', type: 'spicevmc' }),
  add: { label: 'USB Redirection', icon: 'plug', order: 10.5 },
  companions: [SPICE_GRAPHICS],
};

/** Where each value of the element lives (fields.ts); the fields below and DomainXml's typed views read through it. */
const P = {
  model: at.oneOf(['isa', 'pseries', 'hyperv', 's390', 'pvpanic'], '', 'model'),
  ...ADDRESS_FIELDS,
};
export const panic: DeviceDescription<'panic', typeof P> = {
  kind: 'panic',
  element: 'panic',
  xml: P,
  name: 'Panic notifier',
  rank: 15,
  listed: true,
  fields: [field('model', 'Model', 'How the guest reports a crash to the host: ISA (pvpanic) on x86, hyperv for Windows.', P.model, samples('hyperv', 'isa'), { options: opts(['isa', 'ISA'], ['hyperv', 'Hyper-V'], ['pseries', 'pSeries'], ['s390', 's390']) })],
  identity: (v) => `panic:${str(v.model)}`,
  title: () => 'Panic Notifier',
  describe: (v) => str(v.model),
  icon: () => 'warning',
  defaults: () => ({ model: 'isa' }),
  add: { label: 'Panic Notifier', icon: 'warning', order: 15, hotplug: false },
};

/** Where each value of the element lives (fields.ts); the fields below and DomainXml's typed views read through it. */
const V = {
  model: at.str('', 'model'),
  cidAuto: at.yesNo('cid', 'auto'),
  cidAddress: at.int('cid', 'address'),
  ...ADDRESS_FIELDS,
};
export const vsock: DeviceDescription<'vsock', typeof V> = {
  kind: 'vsock',
  element: 'vsock',
  xml: V,
  name: 'VirtIO VSOCK',
  rank: 15,
  listed: true,
  fields: [
    field('cidAuto', 'Automatic CID', 'Let libvirt pick a free context id when the VM starts.', V.cidAuto, samplesWith({ cidAddress: undefined }, true)),
    field('cidAddress', 'Guest CID', 'The guest\'s vsock address (3 and up).', V.cidAddress, samplesWith({ cidAuto: false }, 42), { min: 3, when: { not: eq('cidAuto', true) } }),
    field('model', 'Model', 'The device the guest sees.', V.model, samples('virtio-non-transitional', 'virtio'), { widget: 'select', options: opts(['virtio', 'virtio'], ['virtio-transitional', 'virtio-transitional'], ['virtio-non-transitional', 'virtio-non-transitional']) }),
  ],
  identity: () => 'vsock',
  title: () => 'VirtIO VSOCK',
  describe: (v) => (v.cidAuto === true ? 'auto CID' : v.cidAddress !== undefined ? `CID ${str(v.cidAddress)}` : ''),
  icon: () => 'link',
  defaults: () => ({ model: 'virtio', cidAuto: true }),
  add: {
    label: 'VirtIO VSOCK',
    icon: 'link',
    order: 16,
    // A fixed CID must be unique on the host: another VM with it fails to start (or this one does).
    hostCheck: async (host, v) => {
      if (v.cidAuto === true || typeof v.cidAddress !== 'number') return [];
      const users = (await host.otherDomains()).filter((d) => d.devicesOf('vsock').some((s) => s.get('cidAddress') === v.cidAddress));
      return users.map((d): CheckResult => ({ field: 'cidAddress', code: 'vsock-cid-used', message: `CID ${String(v.cidAddress)} is used by VM ${d.get('name') ?? '?'} on this host.` }));
    },
  },
};

/** Where each value of the element lives (fields.ts); the fields below and DomainXml's typed views read through it. */
const I = {
  model: at.oneOf(['intel', 'smmuv3', 'virtio'], '', 'model'),
  driverIntremap: at.onOff('driver', 'intremap'),
  driverCachingMode: at.onOff('driver', 'caching_mode'),
  driverIotlb: at.onOff('driver', 'iotlb'),
  ...ADDRESS_FIELDS,
};
export const iommu: DeviceDescription<'iommu', typeof I> = {
  kind: 'iommu',
  element: 'iommu',
  xml: I,
  name: 'IOMMU',
  rank: 15,
  listed: true,
  fields: [
    field('model', 'Model', 'The emulated IOMMU: intel on x86 q35, smmuv3 on ARM, virtio anywhere.', I.model, samples('virtio', 'intel'), { options: opts(['intel', 'Intel'], ['virtio', 'VirtIO'], ['smmuv3', 'SMMUv3']) }),
    field('driverIntremap', 'Interrupt remapping', 'Needs the split I/O APIC (Overview: features).', I.driverIntremap, exempt('libvirt requires <ioapic driver="qemu"/> with it, which is a different section'), { when: eq('model', 'intel') }),
    field('driverCachingMode', 'Caching mode', 'Needed for assigned devices behind the vIOMMU.', I.driverCachingMode, samplesWith({ model: 'intel' }, true), { when: eq('model', 'intel') }),
    field('driverIotlb', 'Device IOTLB', 'Device TLB support.', I.driverIotlb, samplesWith({ model: 'intel' }, true), { when: eq('model', 'intel') }),
  ],
  identity: () => 'iommu',
  title: () => 'IOMMU',
  describe: (v) => str(v.model),
  icon: () => 'shield',
  defaults: () => ({ model: 'intel' }),
};

/** Where each value of the element lives (fields.ts); the fields below and DomainXml's typed views read through it. */
const M = {
  model: at.oneOf(['virtio', 'xen', 'none', 'virtio-transitional', 'virtio-non-transitional'], '', 'model'),
  autodeflate: at.onOff('', 'autodeflate'),
  freePageReporting: at.onOff('', 'freePageReporting'),
  statsPeriod: at.int('stats', 'period'),
  ...ADDRESS_FIELDS,
};
export const memballoon: DeviceDescription<'memballoon', typeof M> = {
  kind: 'memballoon',
  element: 'memballoon',
  xml: M,
  name: 'Memory balloon',
  rank: 16,
  listed: true,
  fields: [
    field('model', 'Model', 'virtio lets the host change the guest\'s memory while it runs (Memory: current allocation); none removes the balloon.', M.model, samples('virtio-non-transitional', 'virtio'), { options: opts(['virtio', 'virtio'], ['virtio-transitional', 'virtio-transitional'], ['virtio-non-transitional', 'virtio-non-transitional'], ['xen', 'xen'], ['none', 'None']) }),
    field('autodeflate', 'Deflate on OOM', 'Give memory back to the guest before its OOM killer runs.', M.autodeflate, samples(true)),
    field('freePageReporting', 'Free page reporting', 'The guest reports freed pages so the host can reclaim them.', M.freePageReporting, samples(true)),
    field('statsPeriod', 'Statistics period (s)', 'How often the guest reports memory statistics; 0 turns them off.', M.statsPeriod, samples(10), { min: 0 }),
  ],
  identity: () => 'memballoon',
  title: () => 'Memory Balloon',
  describe: (v) => str(v.model),
  icon: () => 'dashboard',
  defaults: () => ({ model: 'virtio' }),
};

/** Where each value of the element lives (fields.ts); the fields below and DomainXml's typed views read through it. */
const E = { path: at.str('') };
export const emulator: DeviceDescription<'emulator', typeof E> = {
  kind: 'emulator',
  element: 'emulator',
  xml: E,
  name: 'Emulator',
  rank: 0,
  listed: false,
  fields: [field('path', 'Emulator', 'The QEMU binary; shown in Overview.', E.path, exempt('edited in Overview (its emulator field is tested there)'), { widget: 'readonly' })],
  identity: () => 'emulator',
  title: () => 'Emulator',
  describe: (v) => str(v.path),
  icon: () => 'gear',
  defaults: () => ({}),
};

/** An element this product has no description for (shown by name, edited in XML). */
export const other: DeviceDescription<'other', typeof ADDRESS_FIELDS> = {
  kind: 'other',
  element: '',
  xml: ADDRESS_FIELDS,
  name: 'Device',
  rank: 20,
  listed: true,
  fields: [],
  identity: (_v, el) => userAlias(el.name, el.child('alias')?.attr('name')),
  title: (_v, _nth, el) => el.name,
  describe: () => '',
  icon: () => 'symbol-misc',
  defaults: () => ({}),
};
