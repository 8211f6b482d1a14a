// Checks that the schema cannot express but libvirt or the guest will trip over, each with the
// exact span of the faulty part and, where the fix is clear, the edit that fixes it. The editor
// uses src/libvirt/xml's checks (validation.ts) when its validator loads; these are the fallback.
// No vscode here.

import { randomBytes } from 'node:crypto';
import type { XmlDocument, XmlElement } from '../libvirt/xml/xmlDocument';

export interface TextEdit {
  readonly start: number;
  readonly end: number;
  readonly newText: string;
}

export interface SemanticProblem {
  readonly code: 'bad-mac' | 'uefi-without-acpi' | 'topology-mismatch';
  readonly message: string;
  readonly start: number;
  readonly end: number;
  readonly severity: 'error' | 'warning';
  readonly fix?: { readonly title: string; readonly edits: readonly TextEdit[] };
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

/** A random locally administered unicast MAC in QEMU's 52:54:00 prefix (what libvirt generates). */
export function randomMac(bytes: Buffer = randomBytes(3)): string {
  return ['52', '54', '00', ...[...bytes.subarray(0, 3)].map((b) => b.toString(16).padStart(2, '0'))].join(':');
}

function indentOf(doc: XmlDocument, el: XmlElement): string {
  const text = doc.text;
  const lineStart = text.lastIndexOf('\n', el.start - 1) + 1;
  const lead = text.slice(lineStart, el.start);
  return /^\s*$/.test(lead) ? lead : '';
}

function checkMacs(doc: XmlDocument, out: SemanticProblem[]): void {
  for (const iface of doc.root.child('devices')?.elements('interface') ?? []) {
    const mac = iface.child('mac');
    const a = mac?.attributes.find((x) => x.name === 'address');
    if (!mac || !a) continue;
    const v = a.value.trim();
    const multicast = MAC.test(v) && (parseInt(v.slice(0, 2), 16) & 1) === 1;
    if (MAC.test(v) && !multicast) continue;
    out.push({
      code: 'bad-mac',
      message: multicast ? `MAC address ${v} is a multicast address; a NIC needs a unicast one` : `'${v}' is not a MAC address (six hex pairs like 52:54:00:12:34:56)`,
      start: a.valueStart,
      end: a.valueEnd,
      severity: 'error',
      fix: { title: 'Generate a new MAC address', edits: [{ start: a.valueStart, end: a.valueEnd, newText: randomMac() }] },
    });
  }
}

function checkUefiAcpi(doc: XmlDocument, out: SemanticProblem[]): void {
  const os = doc.root.child('os');
  if (!os) return;
  const loader = os.child('loader');
  const uefi = os.attr('firmware') === 'efi' || loader?.attr('type') === 'pflash';
  if (!uefi) return;
  const features = doc.root.child('features');
  if (features?.child('acpi')) return;
  const anchor = os.attr('firmware') === 'efi' ? os : (loader ?? os);
  const indent = indentOf(doc, os);
  let edit: TextEdit;
  if (features && !features.selfClosing) {
    const inner = indentOf(doc, features) + '  ';
    edit = { start: features.openEnd, end: features.openEnd, newText: `\n${inner}<acpi/>` };
  } else if (features) {
    edit = { start: features.start, end: features.end, newText: '<features>\n' + indent + '  <acpi/>\n' + indent + '</features>' };
  } else {
    edit = { start: os.end, end: os.end, newText: `\n${indent}<features>\n${indent}  <acpi/>\n${indent}</features>` };
  }
  out.push({
    code: 'uefi-without-acpi',
    message: 'UEFI firmware needs ACPI: add <acpi/> to <features> (libvirt refuses UEFI without it on x86)',
    start: anchor.start + 1,
    end: anchor.start + 1 + anchor.name.length,
    severity: 'error',
    fix: { title: 'Add <acpi/> to <features>', edits: [edit] },
  });
}

function intAttr(el: XmlElement, name: string): number | undefined {
  const v = el.attr(name);
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

function checkTopology(doc: XmlDocument, out: SemanticProblem[]): void {
  const topo = doc.root.child('cpu')?.child('topology');
  const vcpu = doc.root.child('vcpu');
  if (!topo || !vcpu) return;
  const parts = ['sockets', 'dies', 'clusters', 'cores', 'threads'].map((n) => (n === 'dies' || n === 'clusters' ? (intAttr(topo, n) ?? 1) : intAttr(topo, n)));
  if (parts.some((p) => p === undefined)) return;
  const product = parts.reduce<number>((a, b) => a * b!, 1);
  const text = doc.textContent(vcpu).trim();
  const count = Number(text);
  if (!Number.isInteger(count) || count === product) return;
  const raw = doc.innerSource(vcpu);
  const start = vcpu.openEnd + (raw.length - raw.trimStart().length);
  out.push({
    code: 'topology-mismatch',
    message: `<vcpu> is ${count} but the CPU topology gives ${product} (sockets × dies × clusters × cores × threads); libvirt requires them to match`,
    start: topo.start + 1,
    end: topo.start + 1 + topo.name.length,
    severity: 'error',
    fix: { title: `Set <vcpu> to ${product}`, edits: [{ start, end: start + raw.trim().length, newText: String(product) }] },
  });
}

/** Runs the checks that apply to the document's root (domain XML only for now). */
export function semanticChecks(doc: XmlDocument): SemanticProblem[] {
  if (doc.root.localName !== 'domain') return [];
  const out: SemanticProblem[] = [];
  checkMacs(doc, out);
  checkUefiAcpi(doc, out);
  checkTopology(doc, out);
  return out;
}
