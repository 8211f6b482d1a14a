// The CPUs section's tuning values: vCPU pinning, the emulator's pinning, NUMA cells and CPU
// features. Each is one line of compact text in the form (serialisable, and typed as easily as
// read), with a parser that says clearly what does not fit:
//   pinning   `0:0-1; 1:2-3`        vCPU 0 on host CPUs 0-1, vCPU 1 on host CPUs 2-3 (<cputune><vcpupin>)
//   NUMA      `0-1:512; 2-3:512`    cell 0 holds vCPUs 0-1 and 512 MiB, cell 1 vCPUs 2-3 (<cpu><numa><cell>)
//   features  `vmx:require; svm:disable`  (<cpu><feature name policy>); a bare name means require
// Entries are separated by ';' or new lines. Checks: pinning and cells against the vCPU count,
// cells against the memory, and (with the host's facts) CPU lists against the host's CPUs.

import type { FormValue } from '../../../forms/formSchema';
import { toKiB, type DomainXml, type FeaturePolicy } from '../domainXml';
import { str, XmlValueError } from '../fields';
import { formatKiB } from '../units';
import type { XmlElement } from '../xmlDocument';
import { accessor } from './access';
import type { Accessor, CheckResult, Values } from './types';

/** More CPUs than any host has; bounds what a typed range can make us enumerate. */
const MAX_CPU = 8191;
const FEATURE_POLICIES: readonly FeaturePolicy[] = ['force', 'require', 'optional', 'disable', 'forbid'];

const entries = (text: string): string[] =>
  text
    .split(/[;\n]/)
    .map((s) => s.trim())
    .filter((s) => s !== '');

/**
 * The CPUs of a libvirt CPU list (`0-3,6,^2`: ranges, single CPUs, exclusions), sorted.
 * Throws XmlValueError (on `field`) for anything else.
 */
export function parseCpuset(text: string, field: string, what = 'CPU list'): number[] {
  const set = new Set<number>();
  const parts = text.split(',').map((p) => p.trim());
  for (const p of parts) {
    const m = /^(\^)?(\d+)(?:-(\d+))?$/.exec(p);
    if (!m) throw new XmlValueError(`'${text}' is not a ${what} like 0-3,6`, field);
    const a = Number(m[2]);
    const b = m[3] === undefined ? a : Number(m[3]);
    if (b < a) throw new XmlValueError(`${what} '${text}': the range ${p} runs backwards`, field);
    if (b > MAX_CPU) throw new XmlValueError(`${what} '${text}': CPU ${b} is beyond ${MAX_CPU}`, field);
    for (let i = a; i <= b; i++) {
      if (m[1]) set.delete(i);
      else set.add(i);
    }
  }
  if (set.size === 0) throw new XmlValueError(`${what} '${text}' selects no CPU`, field);
  return [...set].sort((x, y) => x - y);
}

/** `0-3,6` for a sorted list of CPUs. */
export function formatCpus(cpus: readonly number[]): string {
  const out: string[] = [];
  for (let i = 0; i < cpus.length; ) {
    let j = i;
    while (j + 1 < cpus.length && cpus[j + 1] === cpus[j]! + 1) j++;
    out.push(j > i ? `${cpus[i]}-${cpus[j]}` : String(cpus[i]));
    i = j + 1;
  }
  return out.join(',');
}

// ---------------------------------------------------------------- vCPU pinning

export interface VcpuPin {
  readonly vcpu: number;
  readonly cpuset: string;
}

/** `0:0-1; 1:2-3` -> pins; each vCPU at most once. */
export function parsePinning(text: string, field = 'vcpuPin'): VcpuPin[] {
  const out: VcpuPin[] = [];
  for (const e of entries(text)) {
    const m = /^(\d+)\s*:\s*(\S+)$/.exec(e);
    if (!m) throw new XmlValueError(`'${e}' is not "vCPU:host CPUs" (like 0:0-1)`, field);
    const vcpu = Number(m[1]);
    if (out.some((p) => p.vcpu === vcpu)) throw new XmlValueError(`vCPU ${vcpu} is pinned twice`, field);
    parseCpuset(m[2]!, field, `host CPU list of vCPU ${vcpu}`);
    out.push({ vcpu, cpuset: m[2]! });
  }
  return out;
}

export const formatPinning = (pins: readonly VcpuPin[]): string => [...pins].sort((a, b) => a.vcpu - b.vcpu).map((p) => `${p.vcpu}:${p.cpuset}`).join('; ');

/** `<cputune><vcpupin>` as pinning text; writing replaces every vcpupin. */
export const vcpuPinning: Accessor = accessor(
  (dom) => {
    const pins = dom.vcpuPins;
    return pins.length > 0 ? formatPinning(pins) : undefined;
  },
  (dom, _el, v) => {
    const wanted = parsePinning(v === undefined ? '' : String(v));
    for (const p of dom.vcpuPins) if (!wanted.some((w) => w.vcpu === p.vcpu)) dom.setVcpuPin(p.vcpu, undefined);
    for (const p of wanted) dom.setVcpuPin(p.vcpu, p.cpuset);
  },
  ['cputune'],
);

/** `<cputune><emulatorpin cpuset>`: host CPUs of the emulator's own threads. */
export const EMULATOR_PIN = str('cputune/emulatorpin', 'cpuset');

// ---------------------------------------------------------------- NUMA cells

export interface NumaCell {
  /** The cell's vCPUs as written (a CPU list). */
  readonly cpus: string;
  readonly memoryKiB: number;
}

const SIZE_UNITS: Record<string, number> = { k: 1, kib: 1, m: 1024, mib: 1024, g: 1024 ** 2, gib: 1024 ** 2 };

/** `0-1:512; 2-3:1GiB` -> cells (memory in MiB unless a unit follows: KiB, MiB, GiB). */
export function parseNuma(text: string, field = 'numaCells'): NumaCell[] {
  return entries(text).map((e, i) => {
    const m = /^([\d,^-]+)\s*:\s*(\d+)\s*([A-Za-z]*)$/.exec(e);
    if (!m) throw new XmlValueError(`NUMA cell ${i}: '${e}' is not "vCPUs:memory" (like 0-1:512 for 512 MiB)`, field);
    parseCpuset(m[1]!, field, `vCPU list of NUMA cell ${i}`);
    const unit = m[3] === '' ? 1024 : SIZE_UNITS[m[3]!.toLowerCase()];
    if (unit === undefined) throw new XmlValueError(`NUMA cell ${i}: unknown unit '${m[3]}' (use KiB, MiB or GiB)`, field);
    const kib = Number(m[2]) * unit;
    if (!Number.isSafeInteger(kib) || kib <= 0) throw new XmlValueError(`NUMA cell ${i}: the memory must be more than 0`, field);
    return { cpus: m[1]!, memoryKiB: kib };
  });
}

export const formatNuma = (cells: readonly NumaCell[]): string => cells.map((c) => `${c.cpus}:${c.memoryKiB % 1024 === 0 ? c.memoryKiB / 1024 : `${c.memoryKiB}KiB`}`).join('; ');

function numaCells(dom: DomainXml): XmlElement[] {
  return dom.element.find(['cpu', 'numa'])?.elements('cell') ?? [];
}

/** The NUMA cells of a domain (cell ids are their order, as libvirt requires). */
export function readNumaCells(dom: DomainXml): NumaCell[] {
  return numaCells(dom).map((c) => ({ cpus: c.attr('cpus') ?? '', memoryKiB: toKiB(Number(c.attr('memory') ?? 0), c.attr('unit')) }));
}

/** `<cpu><numa><cell id cpus memory unit>`; writing keeps each kept cell's other settings (memAccess, distances). */
export const numaTopology: Accessor = accessor(
  (dom) => {
    const cells = readNumaCells(dom);
    return cells.length > 0 ? formatNuma(cells) : undefined;
  },
  (dom, _el, v) => {
    const wanted = parseNuma(v === undefined ? '' : String(v));
    const have = numaCells(dom);
    if (wanted.length === 0) {
      const numa = dom.element.find(['cpu', 'numa']);
      if (numa) dom.doc.removeElementAndEmptyAncestors(numa, dom.element);
      return;
    }
    for (const extra of have.slice(wanted.length)) dom.doc.removeElement(extra);
    wanted.forEach((c, i) => {
      const attrs: Record<string, string> = { id: String(i), cpus: c.cpus, memory: String(c.memoryKiB), unit: 'KiB' };
      const cell = have[i];
      if (cell) for (const [k, x] of Object.entries(attrs)) dom.doc.setAttribute(cell, k, x);
      else {
        const q = "'";
        const numa = dom.doc.ensurePath(dom.element, ['cpu', 'numa']);
        dom.doc.insertElement(numa, `<cell${Object.entries(attrs).map(([k, x]) => ` ${k}=${q}${x}${q}`).join('')}/>`);
      }
    });
  },
  ['cpu', 'numa'],
);

// ---------------------------------------------------------------- CPU features

export interface CpuFeature {
  readonly name: string;
  readonly policy: FeaturePolicy;
}

/** `vmx:require; svm:disable` -> features (a bare name means require). */
export function parseFeatures(text: string, field = 'cpuFeatures'): CpuFeature[] {
  const out: CpuFeature[] = [];
  for (const e of entries(text)) {
    const m = /^([A-Za-z0-9_.-]+)\s*(?::\s*([a-z]+))?$/.exec(e);
    if (!m) throw new XmlValueError(`'${e}' is not "feature:policy" (like vmx:require)`, field);
    const policy = (m[2] ?? 'require') as FeaturePolicy;
    if (!FEATURE_POLICIES.includes(policy)) throw new XmlValueError(`'${m[2]}' is not a feature policy (${FEATURE_POLICIES.join(', ')})`, field);
    if (out.some((f) => f.name === m[1])) throw new XmlValueError(`The feature ${m[1]} is listed twice`, field);
    out.push({ name: m[1]!, policy });
  }
  return out;
}

export const formatFeatures = (features: readonly CpuFeature[]): string => features.map((f) => `${f.name}:${f.policy}`).join('; ');

export const cpuFeatures: Accessor = accessor(
  (dom) => {
    const fs = dom.cpuFeatures;
    return fs.length > 0 ? formatFeatures(fs) : undefined;
  },
  (dom, _el, v) => {
    const wanted = parseFeatures(v === undefined ? '' : String(v));
    for (const f of dom.cpuFeatures) if (!wanted.some((w) => w.name === f.name)) dom.setCpuFeature(f.name, undefined);
    for (const f of wanted) dom.setCpuFeature(f.name, f.policy);
  },
  ['cpu'],
);

// ---------------------------------------------------------------- "Copy host CPU configuration"

/** virt-manager's checkbox: on sets mode host-model (dropping a named model); off drops host-model. */
export const copyHostCpu: Accessor = accessor(
  (dom) => dom.get('cpuMode') === 'host-model',
  (dom, _el, v) => {
    if (v === true) {
      const model = dom.element.find(['cpu', 'model']);
      if (model) dom.doc.removeElement(model);
      dom.set('cpuMode', 'host-model');
    } else if (dom.get('cpuMode') === 'host-model') dom.set('cpuMode', undefined);
  },
  ['cpu'],
);

// ---------------------------------------------------------------- checks

/** `a-b` or `a` for a list of numbers in words. */
const cpusText = (cpus: readonly number[]): string => formatCpus(cpus);

function tryParse<T>(parse: () => T): T | undefined {
  try {
    return parse();
  } catch (e) {
    if (XmlValueError.is(e)) return undefined;
    throw e;
  }
}

/** Pinning and NUMA cells against the maximum vCPUs; cells against the memory. */
export function checkCpuTuning(v: Values, dom: DomainXml): CheckResult[] {
  const out: CheckResult[] = [];
  const max = typeof v.vcpus === 'number' ? v.vcpus : undefined;
  if (max === undefined) return out;
  const beyond = dom.vcpuPins.filter((p) => p.vcpu >= max).map((p) => p.vcpu);
  if (beyond.length > 0) {
    out.push({
      field: 'vcpuPin',
      code: 'vcpupin-beyond-vcpus',
      message: `vCPU ${cpusText(beyond)} ${beyond.length > 1 ? 'are' : 'is'} pinned but the VM has ${max} vCPU${max > 1 ? 's' : ''} (0-${max - 1})`,
      fix: { title: `Remove the pinning of vCPU ${cpusText(beyond)}`, edit: (d) => beyond.forEach((n) => d.setVcpuPin(n, undefined)) },
    });
  }
  const cells = readNumaCells(dom);
  if (cells.length === 0) return out;
  // The cells as libvirt 9.0 keeps them: a cell repeating an earlier id (accepted when that one
  // has no memory, see checks.ts) replaces it, so the earlier one's vCPUs are not counted.
  const byId = new Map<string, XmlElement>();
  numaCells(dom).forEach((c, i) => byId.set(c.attr('id') ?? `#${i}`, c));
  const effective = [...byId.values()].map((c) => ({ cpus: c.attr('cpus') ?? '' }));
  const seen = new Map<number, number>();
  const overlap: number[] = [];
  const outside: number[] = [];
  effective.forEach((c, i) => {
    for (const n of tryParse(() => parseCpuset(c.cpus, 'numaCells')) ?? []) {
      if (n >= max) outside.push(n);
      if (seen.has(n)) overlap.push(n);
      seen.set(n, i);
    }
  });
  if (outside.length > 0) out.push({ field: 'numaCells', code: 'numa-beyond-vcpus', message: `NUMA cells name vCPU ${cpusText(outside)} but the VM has ${max} vCPU${max > 1 ? 's' : ''} (0-${max - 1})` });
  if (overlap.length > 0) out.push({ field: 'numaCells', code: 'numa-overlap', message: `vCPU ${cpusText(overlap)} ${overlap.length > 1 ? 'are' : 'is'} in more than one NUMA cell` });
  const missing = Array.from({ length: max }, (_, i) => i).filter((n) => !seen.has(n));
  // libvirt 9.0 accepts this and puts the vCPUs left out into a cell itself: a warning.
  if (missing.length > 0) out.push({ field: 'numaCells', code: 'numa-uncovered', severity: 'warning', message: `vCPU ${cpusText(missing)} ${missing.length > 1 ? 'are' : 'is'} in no NUMA cell; libvirt puts ${missing.length > 1 ? 'them' : 'it'} into a cell itself` });
  const total = cells.reduce((a, c) => a + c.memoryKiB, 0);
  const memory = dom.memoryKiB;
  if (memory !== undefined && total !== memory) {
    out.push({
      field: 'numaCells',
      code: 'numa-memory-sum',
      // libvirt accepts this and sets the maximum memory to the cells' sum: a warning.
      severity: 'warning',
      message: `The NUMA cells hold ${formatKiB(total)} but the maximum memory is ${formatKiB(memory)}; libvirt sets the maximum to the cells' sum`,
      fix: { title: `Set the maximum memory to ${formatKiB(total)}`, edit: (d) => (d.memoryKiB = total) },
    });
  }
  return out;
}

/** What the host says about its CPUs (nodeGetInfo, the domain capabilities). */
export interface CpuHostFacts {
  /** The host's CPU count (nodeGetInfo's cpus). */
  readonly hostCpus?: number;
  /** Feature names the host's CPU model lists (the domain capabilities' host-model mode). */
  readonly knownFeatures?: readonly string[];
}

/** CPU lists (pinning, the emulator's pinning, allowed host CPUs) against the host's CPUs; feature names against the host's. */
export function checkCpusOnHost(v: Values, facts: CpuHostFacts): CheckResult[] {
  const out: CheckResult[] = [];
  const n = facts.hostCpus;
  const lists: [string, FormValue, (text: string) => number[]][] = [
    ['vcpuPin', v.vcpuPin, (t) => parsePinning(t).flatMap((p) => parseCpuset(p.cpuset, 'vcpuPin'))],
    ['emulatorPin', v.emulatorPin, (t) => parseCpuset(t, 'emulatorPin')],
    ['vcpuCpuset', v.vcpuCpuset, (t) => parseCpuset(t, 'vcpuCpuset')],
  ];
  if (n !== undefined && n > 0) {
    for (const [field, value, cpusOf] of lists) {
      if (typeof value !== 'string') continue;
      const bad = (tryParse(() => cpusOf(value)) ?? []).filter((c) => c >= n);
      if (bad.length > 0) out.push({ field, code: 'cpu-beyond-host', message: `The host has ${n} CPU${n > 1 ? 's' : ''} (0-${n - 1}); there is no host CPU ${cpusText([...new Set(bad)].sort((a, b) => a - b))}` });
    }
  }
  const known = facts.knownFeatures;
  if (known && known.length > 0 && typeof v.cpuFeatures === 'string') {
    const unknown = (tryParse(() => parseFeatures(String(v.cpuFeatures))) ?? []).filter((f) => !known.includes(f.name)).map((f) => f.name);
    if (unknown.length > 0) {
      out.push({ field: 'cpuFeatures', code: 'cpu-feature-unknown', severity: 'warning', message: `This host's CPU does not list ${unknown.join(', ')} (it lists ${known.slice(0, 12).join(', ')}${known.length > 12 ? ', …' : ''})` });
    }
  }
  return out;
}
