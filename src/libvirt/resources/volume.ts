// Storage volumes: reading volume XML, building it for "new volume", and the checks done before
// create and resize (formatstorage.rst "Storage volume XML").

import { formatBytes, nameProblem, ResourceInputError, type CheckResult } from './validation';
import { attr, attrs, bytesOf, child, escapeXml, parseXmlElement, textOf } from './xmlElement';

export interface VolumeDescription {
  readonly name: string;
  readonly key: string;
  readonly type: string;
  readonly path?: string;
  readonly format?: string;
  readonly capacity?: number;
  readonly allocation?: number;
  readonly backingPath?: string;
  readonly backingFormat?: string;
  /** `<encryption format=…>` of the volume (luks), and the secret holding its passphrase. */
  readonly encryption?: { readonly format: string; readonly secretUuid?: string };
}

export function parseVolumeXml(xml: string): VolumeDescription {
  const root = parseXmlElement(xml);
  return {
    name: textOf(root, 'name') ?? '',
    key: textOf(root, 'key') ?? '',
    type: attr(root, 'type') ?? 'file',
    path: textOf(root, 'target/path'),
    format: attr(child(root, 'target/format'), 'type'),
    capacity: bytesOf(root, 'capacity'),
    allocation: bytesOf(root, 'allocation'),
    backingPath: textOf(root, 'backingStore/path'),
    backingFormat: attr(child(root, 'backingStore/format'), 'type'),
    ...(child(root, 'target/encryption') ? { encryption: { format: attr(child(root, 'target/encryption'), 'format') ?? 'default', secretUuid: attr(child(root, 'target/encryption/secret'), 'uuid') } } : {}),
  };
}

export interface VolumeSpec {
  readonly name: string;
  /** qcow2, raw (or another format the pool supports). */
  readonly format: string;
  /** bytes */
  readonly capacity: number;
  /** bytes to allocate now; 0 or undefined = sparse (thin). */
  readonly allocation?: number;
  /** A backing volume (qcow2 only): its path and format. */
  readonly backingPath?: string;
  readonly backingFormat?: string;
  /** LUKS-encrypt the volume with the passphrase in this libvirt secret (qcow2 or raw). */
  readonly luksSecretUuid?: string;
}

export function volumeFileName(name: string, format: string): string {
  const ext = format === 'raw' ? '' : `.${format}`;
  return name.endsWith(ext) ? name : `${name}${ext}`;
}

/**
 * Checks before creating a volume. `poolAvailable` (bytes) turns "does not fit" into an error for
 * a fully allocated volume and into a warning for a sparse one (it may fill up later).
 */
export function checkVolumeSpec(spec: VolumeSpec, poolAvailable?: number, existingNames: readonly string[] = []): CheckResult {
  const errors: ResourceInputError[] = [];
  const warnings: string[] = [];
  const nameErr = nameProblem(spec.name, 'volume');
  if (nameErr) errors.push(new ResourceInputError('name', nameErr));
  if (existingNames.includes(spec.name)) errors.push(new ResourceInputError('name', `A volume named "${spec.name}" already exists in this pool.`));
  if (!Number.isSafeInteger(spec.capacity) || spec.capacity <= 0) errors.push(new ResourceInputError('capacity', 'The volume size must be more than 0 bytes.'));
  const alloc = spec.allocation ?? 0;
  if (!Number.isSafeInteger(alloc) || alloc < 0) errors.push(new ResourceInputError('allocation', 'The allocation must be 0 or more bytes.'));
  else if (alloc > spec.capacity) errors.push(new ResourceInputError('allocation', `The allocation (${formatBytes(alloc)}) is larger than the size (${formatBytes(spec.capacity)}).`));
  if (spec.backingPath !== undefined && spec.format !== 'qcow2') {
    errors.push(new ResourceInputError('backingPath', `A backing volume needs the qcow2 format, not ${spec.format}.`));
  }
  if (spec.luksSecretUuid !== undefined) {
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(spec.luksSecretUuid)) errors.push(new ResourceInputError('luksSecretUuid', `${JSON.stringify(spec.luksSecretUuid)} is not a secret UUID.`));
    if (spec.format !== 'qcow2' && spec.format !== 'raw') errors.push(new ResourceInputError('format', `LUKS encryption needs a qcow2 or raw volume, not ${spec.format}.`));
    if (spec.backingPath !== undefined) errors.push(new ResourceInputError('backingPath', 'An encrypted volume cannot have a backing volume here (its backing image would need its own secret).'));
  }
  if (poolAvailable !== undefined && errors.length === 0) {
    const sparse = alloc < spec.capacity;
    if (!sparse && spec.capacity > poolAvailable) {
      errors.push(new ResourceInputError('capacity', `The volume (${formatBytes(spec.capacity)}) is larger than the pool's free space (${formatBytes(poolAvailable)}).`));
    } else if (alloc > poolAvailable) {
      errors.push(new ResourceInputError('allocation', `The allocation (${formatBytes(alloc)}) is larger than the pool's free space (${formatBytes(poolAvailable)}).`));
    } else if (sparse && spec.capacity > poolAvailable) {
      warnings.push(`The volume can grow to ${formatBytes(spec.capacity)} but the pool has only ${formatBytes(poolAvailable)} free: the pool may fill up.`);
    }
  }
  return { errors, warnings };
}

/** Volume XML for a spec. Validates first (without the pool's free space). */
export function buildVolumeXml(spec: VolumeSpec): string {
  const first = checkVolumeSpec(spec).errors[0];
  if (first) throw first;
  const lines = [
    '<volume>',
    `  <name>${escapeXml(spec.name)}</name>`,
    `  <capacity unit="bytes">${spec.capacity}</capacity>`,
    `  <allocation unit="bytes">${spec.allocation ?? 0}</allocation>`,
    '  <target>',
    `    <format${attrs({ type: spec.format })}/>`,
    ...(spec.luksSecretUuid !== undefined ? ['    <encryption format="luks">', `      <secret${attrs({ type: 'passphrase', uuid: spec.luksSecretUuid })}/>`, '    </encryption>'] : []),
    '  </target>',
  ];
  if (spec.backingPath !== undefined) {
    lines.push('  <backingStore>', `    <path>${escapeXml(spec.backingPath)}</path>`, `    <format${attrs({ type: spec.backingFormat ?? 'qcow2' })}/>`, '  </backingStore>');
  }
  lines.push('</volume>');
  return lines.join('\n') + '\n';
}

export interface ResizePlan {
  readonly capacity: number;
  /** True when the new size is smaller: needs VIR_STORAGE_VOL_RESIZE_SHRINK and an explicit yes. */
  readonly shrink: boolean;
  readonly warnings: readonly string[];
}

/**
 * Checks a resize. Shrinking destroys data at the end of the volume and is only allowed with
 * `allowShrink`; a volume used by a running VM gets a warning (the guest does not see the new
 * size until it is told, and a raw resize under a running QEMU can corrupt a qcow2 image).
 */
export function planResize(current: number, requested: number, opts: { readonly allowShrink?: boolean; readonly runningUsers?: readonly string[] } = {}): ResizePlan {
  if (!Number.isSafeInteger(requested) || requested <= 0) throw new ResourceInputError('capacity', 'The new size must be more than 0 bytes.');
  if (requested === current) throw new ResourceInputError('capacity', `The volume is already ${formatBytes(current)}.`);
  const shrink = requested < current;
  if (shrink && !opts.allowShrink) {
    throw new ResourceInputError('capacity', `Shrinking from ${formatBytes(current)} to ${formatBytes(requested)} destroys the data past the new end; confirm the shrink to proceed.`);
  }
  const warnings: string[] = [];
  const running = opts.runningUsers ?? [];
  if (running.length > 0) {
    warnings.push(
      `The volume is in use by the running VM${running.length > 1 ? 's' : ''} ${running.join(', ')}. Resizing it underneath QEMU can corrupt the image; ` +
        'resize it through the VM (block resize) or shut the VM down first.',
    );
  }
  if (shrink) warnings.push(`Shrinking from ${formatBytes(current)} to ${formatBytes(requested)} destroys the data past the new end.`);
  return { capacity: requested, shrink, warnings };
}
