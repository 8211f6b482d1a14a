// <filesystem> (formatdomain.rst "Filesystems"): a host directory shared with the guest.

import * as at from '../fields';
import { ADDRESS_FIELDS, eq, field, opts, samples, samplesWith, str } from './define';
import type { DomainXml } from '../domainXml';
import type { DeviceDescription } from './types';

/** Where each value of the element lives (fields.ts); the fields below and DomainXml's typed views read through it. */
const F = {
  type: at.oneOf(['mount', 'block', 'file', 'template', 'ram', 'bind', 'volume'], '', 'type'),
  accessmode: at.oneOf(['passthrough', 'mapped', 'squash'], '', 'accessmode'),
  driverType: at.oneOf(['path', 'handle', 'loop', 'nbd', 'ploop', 'virtiofs'], 'driver', 'type'),
  sourceDir: at.str('source', 'dir'),
  sourceFile: at.str('source', 'file'),
  target: at.str('target', 'dir'),
  readonly: at.presence('readonly'),
  ...ADDRESS_FIELDS,
};

export const filesystem: DeviceDescription<'filesystem', typeof F> = {
  kind: 'filesystem',
  element: 'filesystem',
  xml: F,
  name: 'Filesystem',
  rank: 2,
  listed: true,
  fields: [
    field('driverType', 'Driver', 'virtiofs is fast and needs shared memory; 9p (the default "path" driver) works without it.', F.driverType, samplesWith({ accessmode: 'mapped' }, 'path'), {
      options: opts(['virtiofs', 'virtiofs'], ['path', '9p (path)'], ['handle', '9p (handle)'], ['loop', 'loop'], ['nbd', 'nbd'], ['ploop', 'ploop']),
      optionsFrom: { device: 'filesystem', enum: 'driverType' },
    }),
    field('type', 'Type', 'A host directory (mount) or another source.', F.type, samples('mount'), { options: opts(['mount', 'Directory'], ['block', 'Block device'], ['file', 'File'], ['template', 'Template'], ['ram', 'RAM'], ['bind', 'Bind']) }),
    field('accessmode', 'Access mode', 'How guest file ownership maps to the host (9p): passthrough, mapped or squash. virtiofs needs passthrough.', F.accessmode, samplesWith({ driverType: undefined }, 'mapped', 'squash'), { when: { not: eq('driverType', 'virtiofs') } }),
    field('sourceDir', 'Source path', 'The directory on the host.', F.sourceDir, samples('/srv/forms-share'), { when: eq('type', 'mount'), required: true }),
    field('target', 'Target path', 'The mount tag the guest uses: mount -t virtiofs TAG /mnt.', F.target, samples('forms-tag'), { required: true }),
    field('readonly', 'Export read-only', 'The guest cannot write to the share.', F.readonly, samplesWith({ driverType: undefined, accessmode: 'mapped' }, true)),
  ],
  identity: (v) => `filesystem:${str(v.target)}`,
  title: (v) => `Filesystem ${str(v.target)}`.trim(),
  describe: (v) => str(v.sourceDir),
  icon: () => 'folder',
  defaults: () => ({ type: 'mount', accessmode: 'passthrough', driverType: 'virtiofs' }),
  add: {
    label: 'Filesystem',
    icon: 'folder',
    order: 2,
    overrides: { type: { options: opts(['mount', 'Directory']) }, sourceDir: { placeholder: '/srv/share' }, target: { placeholder: 'a mount tag, e.g. share' } },
    derive: (_dom, v, changed) => (changed === 'driverType' ? { accessmode: v.driverType === 'virtiofs' ? 'passthrough' : 'mapped' } : {}),
    // virtiofs needs the shared memory backing, which only a boot sets up; 9p cannot be hot-plugged.
    hotplug: false,
  },
  sample: { sourceDir: '/srv/forms-share', target: 'forms-tag' },
  companions: [
    {
      reason: 'virtiofs needs shared memory (Memory: shared access)',
      needed: eq('driverType', 'virtiofs'),
      present: (dom) => dom.get('memoryAccess') === 'shared',
      add: { kind: 'memory', values: { memoryAccess: 'shared', memorySource: 'memfd' } },
    },
  ],
  check: (v, _el, dom) => [
    ...(v.driverType === 'virtiofs' && v.accessmode !== undefined && v.accessmode !== 'passthrough' ? [{ field: 'accessmode', code: 'virtiofs-accessmode', message: 'virtiofs supports only the passthrough access mode' }] : []),
    ...(v.driverType === 'virtiofs' && dom.get('memoryAccess') !== 'shared'
      ? [{ field: 'driverType', code: 'virtiofs-needs-shared-memory', message: 'virtiofs needs shared memory: set Memory > Shared memory to Shared', fix: { title: 'Use shared memory', edit: (d: DomainXml) => { d.set('memoryAccess', 'shared'); if (d.get('memorySource') === undefined) d.set('memorySource', 'memfd'); } } }]
      : []),
  ],
};
