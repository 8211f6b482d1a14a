import * as assert from 'node:assert/strict';
import { applyChanges } from '../../../src/forms/apply';
import { ApplyRefusedError, type FieldChange } from '../../../src/forms/formSchema';
import { checkDomain } from '../../../src/libvirt/xml/checks';
import { applyEdits } from '../../../src/libvirt/xml/diagnostics';
import { DomainXml } from '../../../src/libvirt/xml/domainXml';
import { XmlValueError } from '../../../src/libvirt/xml/fields';
import { readValues } from '../../../src/libvirt/xml/kinds/access';
import { checkCpusOnHost, formatCpus, parseCpuset, parseFeatures, parseNuma, parsePinning } from '../../../src/libvirt/xml/kinds/cpuTuning';
import { cpus } from '../../../src/libvirt/xml/kinds/domain';

const domain = (inner = '', vcpus = 4, memoryMiB = 1024): string => `<domain type='qemu'>
  <name>t</name>
  <memory unit='MiB'>${memoryMiB}</memory>
  <vcpu placement='static'>${vcpus}</vcpu>
${inner}  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
  </os>
  <devices/>
</domain>
`;
const set = (xml: string, ...c: [string, string | boolean | undefined][]): DomainXml => applyChanges(xml, c.map(([field, value]): FieldChange => ({ section: 'cpus', field, value })));
const values = (d: DomainXml) => readValues(cpus.fields, d, d.element);
const refusal = (f: () => unknown): ApplyRefusedError => {
  try {
    f();
  } catch (e) {
    if (ApplyRefusedError.is(e)) return e;
    throw e;
  }
  assert.fail('expected a refusal');
};

describe('CPU pinning, NUMA cells and CPU features (unit)', () => {
  it('parses CPU lists with ranges and exclusions and refuses the rest with the reason', () => {
    assert.deepEqual(parseCpuset('0-3,^2,6', 'f'), [0, 1, 3, 6]);
    assert.equal(formatCpus([0, 1, 3, 6, 7, 8]), '0-1,3,6-8');
    assert.throws(() => parseCpuset('3-1', 'f'), /runs backwards/);
    assert.throws(() => parseCpuset('a', 'f'), /not a CPU list/);
    assert.throws(() => parseCpuset('1,^1', 'f'), /selects no CPU/);
    assert.throws(() => parseCpuset('0-99999', 'f'), (e: unknown) => XmlValueError.is(e) && e.field === 'f' && /beyond/.test(e.message));
  });

  it('parses the compact pinning, NUMA and feature texts (";" or new lines) and names what is wrong', () => {
    assert.deepEqual(parsePinning('0:0-1; 1:2-3\n2 : 4'), [{ vcpu: 0, cpuset: '0-1' }, { vcpu: 1, cpuset: '2-3' }, { vcpu: 2, cpuset: '4' }]);
    assert.throws(() => parsePinning('0:1; 0:2'), /vCPU 0 is pinned twice/);
    assert.throws(() => parsePinning('0-1'), /is not "vCPU:host CPUs"/);
    assert.deepEqual(parseNuma('0-1:512; 2-3:1GiB; 4:1024KiB'), [{ cpus: '0-1', memoryKiB: 524288 }, { cpus: '2-3', memoryKiB: 1048576 }, { cpus: '4', memoryKiB: 1024 }]);
    assert.throws(() => parseNuma('0:12parsecs'), /unknown unit 'parsecs'/);
    assert.throws(() => parseNuma('0-1'), /NUMA cell 0: '0-1' is not "vCPUs:memory"/);
    assert.deepEqual(parseFeatures('vmx; svm:disable'), [{ name: 'vmx', policy: 'require' }, { name: 'svm', policy: 'disable' }]);
    assert.throws(() => parseFeatures('vmx:maybe'), /'maybe' is not a feature policy/);
  });

  it('writes pinning as <cputune><vcpupin>, replacing the old pins, and clears it', () => {
    const before = domain(`  <cputune>\n    <vcpupin vcpu='3' cpuset='7'/>\n  </cputune>\n`);
    const d = set(before, ['vcpuPin', '0:0-1; 1:2'], ['emulatorPin', '3']);
    assert.deepEqual(d.vcpuPins, [{ vcpu: 0, cpuset: '0-1' }, { vcpu: 1, cpuset: '2' }]);
    assert.equal(d.element.find(['cputune', 'emulatorpin'])?.attr('cpuset'), '3');
    assert.equal(values(d).vcpuPin, '0:0-1; 1:2');
    const cleared = set(d.toString(), ['vcpuPin', ''], ['emulatorPin', '']);
    assert.equal(cleared.element.find(['cputune']), undefined, cleared.toString());
  });

  it('writes NUMA cells in order, keeps a kept cell\'s other settings, and removes <numa> when emptied', () => {
    const before = domain(`  <cpu>\n    <numa>\n      <cell id='0' cpus='0-3' memory='1048576' unit='KiB' memAccess='shared'/>\n    </numa>\n  </cpu>\n`);
    const d = set(before, ['numaCells', '0-1:512; 2-3:512']);
    const cells = d.element.find(['cpu', 'numa'])!.elements('cell');
    assert.deepEqual(cells.map((c) => [c.attr('id'), c.attr('cpus'), c.attr('memory'), c.attr('unit'), c.attr('memAccess')]), [
      ['0', '0-1', '524288', 'KiB', 'shared'],
      ['1', '2-3', '524288', 'KiB', undefined],
    ]);
    assert.equal(values(d).numaCells, '0-1:512; 2-3:512');
    assert.deepEqual(checkDomain(d).filter((p) => p.target.section === 'cpus'), []);
    const cleared = set(d.toString(), ['numaCells', undefined]);
    assert.equal(cleared.element.find(['cpu']), undefined, cleared.toString());
  });

  it('writes features and the "copy host CPU" switch (host-model without a named model)', () => {
    const custom = domain(`  <cpu mode='custom' match='exact'>\n    <model fallback='allow'>qemu64</model>\n    <feature policy='require' name='pdpe1gb'/>\n  </cpu>\n`);
    const d = set(custom, ['cpuFeatures', 'vmx:require; svm:disable']);
    assert.deepEqual(d.cpuFeatures, [{ name: 'vmx', policy: 'require' }, { name: 'svm', policy: 'disable' }]);
    const host = set(d.toString(), ['copyHost', true]);
    assert.equal(host.get('cpuMode'), 'host-model');
    assert.equal(host.get('cpuModel'), undefined);
    assert.equal(values(host).copyHost, true);
    assert.equal(values(host).cpuFeatures, 'vmx:require; svm:disable', 'the features stay');
    const off = set(host.toString(), ['copyHost', false]);
    assert.equal(off.get('cpuMode'), undefined);
    assert.equal(values(off).copyHost, false);
  });

  it('refuses a malformed value with the problem on its field and changes nothing', () => {
    const e = refusal(() => set(domain(), ['vcpuPin', '0:0-1; x'], ['numaCells', '0-3:lots']));
    assert.deepEqual(
      e.problems.map((p) => [p.section, p.field]),
      [
        ['cpus', 'vcpuPin'],
        ['cpus', 'numaCells'],
      ],
    );
    assert.match(e.message, /'x' is not "vCPU:host CPUs"/);
  });

  it('checks pinning and NUMA cells against the vCPUs and the memory, with a fix for the memory', () => {
    const pinned = set(domain('', 2), ['vcpuPin', '0:0; 3:1']);
    assert.deepEqual(
      checkDomain(pinned).map((p) => [p.code, p.target.field, p.message]),
      [['vcpupin-beyond-vcpus', 'vcpuPin', 'vCPU 3 is pinned but the VM has 2 vCPUs (0-1)']],
    );
    const numa = set(domain('', 4, 1024), ['numaCells', '0-1:256; 1-2:512; 5:1']);
    const ps = checkDomain(numa).filter((p) => p.target.section === 'cpus');
    assert.deepEqual(
      ps.map((p) => [p.code, p.target.field]),
      [
        ['numa-beyond-vcpus', 'numaCells'],
        ['numa-overlap', 'numaCells'],
        ['numa-uncovered', 'numaCells'],
        ['numa-memory-sum', 'numaCells'],
      ],
    );
    assert.match(ps[2]!.message, /vCPU 3 is in no NUMA cell/);
    assert.equal(ps[2]!.severity, 'warning');
    const sum = ps.find((p) => p.code === 'numa-memory-sum')!;
    assert.match(sum.message, /hold 769 MiB but the maximum memory is 1 GiB/);
    const fixed = DomainXml.parse(applyEdits(numa.toString(), sum.fix!.edits));
    assert.equal(fixed.memoryKiB, (256 + 512 + 1) * 1024);
    assert.equal(checkDomain(fixed).some((p) => p.code === 'numa-memory-sum'), false);
  });

  it('checks CPU lists against the host\'s CPU count and feature names against the host\'s', () => {
    const v = { vcpuPin: '0:0-1; 1:6-9', emulatorPin: '2', vcpuCpuset: '0-3', cpuFeatures: 'vmx:require; ssbd' };
    const r = checkCpusOnHost(v, { hostCpus: 8, knownFeatures: ['ssbd', 'pdpe1gb'] });
    assert.deepEqual(
      r.map((x) => [x.field, x.severity ?? 'error', x.message]),
      [
        ['vcpuPin', 'error', 'The host has 8 CPUs (0-7); there is no host CPU 8-9'],
        ['cpuFeatures', 'warning', "This host's CPU does not list vmx (it lists ssbd, pdpe1gb)"],
      ],
    );
    assert.deepEqual(checkCpusOnHost({ emulatorPin: '4', vcpuCpuset: '3' }, { hostCpus: 4 }).map((x) => x.field), ['emulatorPin']);
    assert.deepEqual(checkCpusOnHost(v, {}), [], 'nothing known about the host: nothing to say');
  });
});
