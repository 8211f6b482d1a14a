// <filesystem> (formatdomain.rst "Filesystems"): a host directory shared with the guest.

import { DEVICE_TABLE } from '../devices';
import { eq, field, opts, samples, samplesWith, str } from './define';
import type { DomainXml } from '../domainXml';
import type { DeviceDescription } from './types';

const F = DEVICE_TABLE.filesystem.fields;

export const filesystem: DeviceDescription = {
  kind: 'filesystem',
  element: 'filesystem',
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
