// Every field a form shows explains itself: the details panel, Add Hardware and the New VM wizard
// put a field's help under it, as its hover (title) and as its aria-description
// (src/webviews/shared/app/formFields.ts). The texts come from the one description of each kind
// (src/libvirt/xml/kinds/) and the wizard's steps (src/forms/newVmModel.ts).
import * as assert from 'node:assert/strict';
import { addableKinds, addFields } from '../../../src/forms/addHardware';
import { METHODS, wizardSteps, type NewVmFacts } from '../../../src/forms/newVmModel';
import { buildSections } from '../../../src/forms/sections';
import { DomainXml } from '../../../src/libvirt/xml/domainXml';
import { DOMAIN_SECTIONS } from '../../../src/libvirt/xml/kinds/domain';
import { DEVICE_DESCRIPTIONS } from '../../../src/libvirt/xml/kinds/registry';
import { fixture, FIXTURES } from '../xml/helpers';

/** Help that says something: more than a few words, not the label again. */
function assertHelp(where: string, label: string, help: string | undefined): void {
  assert.ok(help !== undefined && help.trim().length > 15, `${where} has no help text`);
  assert.notEqual(help.trim().toLowerCase(), label.trim().toLowerCase(), `${where}'s help only repeats its label`);
  assert.ok(/[a-z]/.test(help), `${where}'s help is not a sentence`);
}

function facts(over: Partial<NewVmFacts> = {}): NewVmFacts {
  return {
    pools: [{ name: 'default', active: true, availableBytes: 50 * 2 ** 30 }],
    volumes: [
      { pool: 'default', name: 'debian-12.iso', capacity: 600 * 2 ** 20, format: 'iso' },
      { pool: 'default', name: 'cloud.qcow2', capacity: 2 * 2 ** 30, format: 'qcow2' },
    ],
    networks: [{ name: 'default', active: true }],
    hostMemoryMiB: 8192,
    hostCpus: 4,
    virtType: 'kvm',
    uefi: true,
    secureBoot: true,
    tpm: true,
    names: [],
    ...over,
  } as NewVmFacts;
}

describe('help on every form field (unit)', () => {
  it('every field of every device kind and domain section has help', () => {
    let n = 0;
    const owners = [...DOMAIN_SECTIONS.map((s) => [s.id, s.fields] as const), ...DEVICE_DESCRIPTIONS.map((d) => [d.kind, d.fields] as const)];
    for (const [owner, fields] of owners) {
      for (const f of fields) {
        assertHelp(`${owner}.${f.id}`, f.label, f.help);
        n++;
      }
    }
    assert.ok(n > 150, `only ${n} fields described`);
  });

  it('every field Add Hardware shows (setup fields and overrides included) has help', () => {
    const kinds = addableKinds();
    assert.ok(kinds.length >= 15);
    for (const d of kinds) for (const f of addFields(d)) assertHelp(`Add Hardware ${d.kind}.${f.id}`, f.label, f.help);
  });

  it('every field the details panel builds from real domains has help', () => {
    for (const name of FIXTURES) {
      const sections = buildSections(DomainXml.parse(fixture(name)), undefined, { state: 'shut off', autostart: false });
      assert.ok(sections.length > 5);
      for (const s of sections) for (const f of s.fields) assertHelp(`${name}: ${s.id}.${f.id}`, f.label, f.help);
    }
  });

  it('every field of every New VM step has help, for every install method and host', () => {
    const hosts = [facts(), facts({ uefi: false, secureBoot: false, tpm: false, volumes: [], pools: [] })];
    let n = 0;
    for (const host of hosts) {
      for (const method of METHODS) {
        for (const step of wizardSteps(host, { method, diskMode: 'new' })) {
          for (const f of step.fields) {
            assertHelp(`New VM (${method}) ${step.id}.${f.id}`, f.label, f.help);
            n++;
          }
        }
      }
    }
    assert.ok(n > 50);
  });
});
