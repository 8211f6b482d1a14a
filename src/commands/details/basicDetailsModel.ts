// A minimal real DetailsModel: the Overview, CPUs and Memory of a domain with a handful of fields
// (name, title, description, memory, vCPUs), read from and written to the domain's persistent XML
// through DomainXml and defined with the VALIDATE flag. It serves the details panel until the
// full model built from the device descriptions replaces it. No `vscode` here.

import {
  ApplyRefusedError,
  type ApplyOutcome,
  type DetailsModel,
  type DetailsSnapshot,
  type FieldChange,
  type FieldProblem,
  type FormSection,
  type FormValue,
} from '../../forms/formSchema';
import type { Connection, DomainRef } from '../../libvirt/connection';
import { VirDomainDefineFlags, VirDomainEventType, VirDomainMetadataType, VirDomainModificationImpact, VirDomainXMLFlags } from '../../libvirt/generated/libvirtConstants';
import { DomainXml } from '../../libvirt/xml/domainXml';

const MIB = 1024;

const SECTIONS: readonly Omit<FormSection, 'values'>[] = [
  {
    id: 'overview',
    title: 'Overview',
    icon: 'info',
    removable: false,
    fields: [
      { id: 'name', label: 'Name', widget: 'text', required: true, apply: 'next-boot', help: 'Renaming needs the VM to be shut off.' },
      { id: 'title', label: 'Title', widget: 'text', apply: 'live', help: 'A short title shown next to the name.' },
      { id: 'description', label: 'Description', widget: 'textarea', apply: 'live' },
      { id: 'uuid', label: 'UUID', widget: 'readonly', apply: 'next-boot' },
    ],
  },
  {
    id: 'cpus',
    title: 'CPUs',
    icon: 'chip',
    removable: false,
    fields: [{ id: 'vcpus', label: 'vCPU allocation', widget: 'number', min: 1, required: true, apply: 'next-boot', help: 'Virtual CPUs the VM has when it starts.' }],
  },
  {
    id: 'memory',
    title: 'Memory',
    icon: 'server',
    removable: false,
    fields: [{ id: 'memory', label: 'Memory', widget: 'size', unit: 'MiB', min: 1, required: true, apply: 'next-boot', help: 'Memory the VM has when it starts.' }],
  },
];

/** Which section and field a libvirt refusal is about, from the words of its message. */
function placeRefusal(message: string): FieldProblem {
  const at = (section: string, field: string): FieldProblem => ({ section, field, severity: 'error', message });
  if (/\bvcpu|\bCPUs?\b/i.test(message)) return at('cpus', 'vcpus');
  if (/memory/i.test(message)) return at('memory', 'memory');
  if (/title/i.test(message)) return at('overview', 'title');
  if (/description/i.test(message)) return at('overview', 'description');
  if (/name/i.test(message)) return at('overview', 'name');
  return { section: 'overview', severity: 'error', message };
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class BasicDetailsModel implements DetailsModel {
  /** The persistent XML as the panel last saw it (to tell changes made elsewhere). */
  private lastXml: string | undefined;
  /** While our own Apply runs, its define/rename events are not changes made elsewhere. */
  private applying = 0;
  /** Settles once the server delivers the events of the latest onDidChangeDefinition listener. */
  eventsReady: Promise<void> = Promise.resolve();

  constructor(
    private readonly conn: Connection,
    private dom: DomainRef,
  ) {}

  get title(): string {
    return this.dom.name;
  }

  async load(): Promise<DetailsSnapshot> {
    const [xml, running] = await Promise.all([this.readXml(), this.conn.domainIsActive(this.dom)]);
    this.lastXml = xml;
    const d = DomainXml.parse(xml);
    const values: Record<string, Record<string, FormValue>> = {
      overview: { name: d.get('name'), title: d.get('title'), description: d.get('description'), uuid: d.get('uuid') },
      cpus: { vcpus: d.get('vcpus') },
      memory: { memory: d.memoryKiB === undefined ? undefined : Math.floor(d.memoryKiB / MIB) },
    };
    return { sections: SECTIONS.map((s) => ({ ...s, values: values[s.id] ?? {} })), problems: [], running };
  }

  async check(changes: readonly FieldChange[]): Promise<readonly FieldProblem[]> {
    const problems: FieldProblem[] = [];
    const running = await this.conn.domainIsActive(this.dom);
    for (const c of changes) {
      const bad = (message: string): void => void problems.push({ section: c.section, field: c.field, severity: 'error', message });
      const v = c.value;
      switch (c.field) {
        case 'name':
          if (typeof v !== 'string' || v.trim() === '') bad('The name cannot be empty.');
          else if (v.includes('/')) bad('The name cannot contain "/".');
          else if (running) bad('A running VM cannot be renamed; shut it off first.');
          break;
        case 'title':
          if (typeof v === 'string' && /[\r\n]/.test(v)) bad('The title must be a single line.');
          break;
        case 'vcpus':
        case 'memory':
          if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) bad('Enter a whole number of at least 1.');
          break;
        case 'description':
          break;
        default:
          bad(`${c.field} cannot be changed here.`);
      }
    }
    return problems;
  }

  async apply(changes: readonly FieldChange[]): Promise<ApplyOutcome> {
    this.applying++;
    try {
      return await this.applyChanges(changes);
    } finally {
      this.applying--;
    }
  }

  private async applyChanges(changes: readonly FieldChange[]): Promise<ApplyOutcome> {
    const problems = (await this.check(changes)).filter((p) => p.severity === 'error');
    if (problems.length > 0) throw new ApplyRefusedError('The changes have errors.', problems);
    const before = await this.readXml();
    const d = DomainXml.parse(before);
    let rename: string | undefined;
    for (const c of changes) {
      if (c.field === 'name' && typeof c.value === 'string' && c.value !== this.dom.name) rename = c.value;
      if (c.field === 'title' || c.field === 'description') d.set(c.field, typeof c.value === 'string' && c.value !== '' ? c.value : undefined);
      if (c.field === 'vcpus' && typeof c.value === 'number') d.set('vcpus', c.value);
      if (c.field === 'memory' && typeof c.value === 'number') {
        const kib = c.value * MIB;
        d.memoryKiB = kib;
        if (d.currentMemoryKiB !== undefined && d.currentMemoryKiB > kib) d.currentMemoryKiB = kib;
      }
    }
    const after = d.toString();
    try {
      if (after !== before) await this.conn.domainDefineXml(after, VirDomainDefineFlags.VALIDATE);
    } catch (e) {
      throw new ApplyRefusedError(errorText(e), [placeRefusal(errorText(e))]);
    }
    if (rename !== undefined) {
      try {
        this.dom = await this.conn.domainRename(this.dom, rename);
      } catch (e) {
        // All or nothing: put back what was defined above.
        if (after !== before) await this.conn.domainDefineXml(before).catch(() => undefined);
        throw new ApplyRefusedError(errorText(e), [{ section: 'overview', field: 'name', severity: 'error', message: errorText(e) }]);
      }
    }
    this.lastXml = await this.readXml();
    const labels = changes.map((c) => SECTIONS.flatMap((s) => s.fields).find((f) => f.id === c.field)?.label ?? c.field);
    const running = await this.conn.domainIsActive(this.dom);
    // Title and description are also metadata of the running VM; the rest waits for a restart.
    const live = running ? changes.filter((c) => c.field === 'title' || c.field === 'description') : [];
    if (live.length > 0) await this.applyMetadataLive(live);
    return running
      ? { appliedLive: labels.filter((_, i) => live.includes(changes[i]!)), nextBoot: labels.filter((_, i) => !live.includes(changes[i]!)) }
      : { appliedLive: labels, nextBoot: [] };
  }

  async remove(section: string): Promise<ApplyOutcome> {
    throw new ApplyRefusedError(`${section} cannot be removed.`, []);
  }

  onDidChangeDefinition(listener: () => void): { dispose(): void } {
    const sub = this.conn.onDomainEvent(
      (e) => {
        if (e.dom.uuid !== this.dom.uuid) return;
        if (e.kind === 'lifecycle' && e.event !== VirDomainEventType.DEFINED) return;
        void this.readXml().then(
          (xml) => {
            if (this.applying > 0 || xml === this.lastXml) return;
            this.lastXml = xml;
            listener();
          },
          () => undefined,
        );
      },
      { kinds: ['lifecycle', 'metadataChange'] },
    );
    this.eventsReady = sub.ready;
    return { dispose: () => sub.dispose() };
  }

  private readXml(): Promise<string> {
    return this.conn.domainGetXmlDesc(this.dom, VirDomainXMLFlags.INACTIVE);
  }

  private async applyMetadataLive(changes: readonly FieldChange[]): Promise<void> {
    for (const c of changes) {
      const type = c.field === 'title' ? VirDomainMetadataType.TITLE : VirDomainMetadataType.DESCRIPTION;
      await this.conn.domainSetMetadata(this.dom, type, typeof c.value === 'string' && c.value !== '' ? c.value : null, null, null, VirDomainModificationImpact.LIVE);
    }
  }
}
