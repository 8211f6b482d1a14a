// Reading and adjusting a definition's text for the save flow. No vscode here.

import { XmlDocument } from '../libvirt/xml/xmlDocument';

/** The text of the root's <name>, or undefined. */
export function definedName(doc: XmlDocument): string | undefined {
  const el = doc.root.child('name');
  return el ? doc.textContent(el).trim() : undefined;
}

/** The document without its <uuid> element (removed with its line), so libvirt assigns a new one. */
export function withoutUuid(doc: XmlDocument): string {
  return copyDefinition(doc.text, 'domain').text;
}

/**
 * The XML to define as a copy of another object: without <uuid> (libvirt assigns a new one) and,
 * for a network, without the bridge name and bridge MAC libvirt filled in for the original (two
 * networks cannot share a bridge). `dropped` names what was removed, for the user.
 */
export function copyDefinition(text: string, kind: string): { text: string; dropped: string[] } {
  const doc = XmlDocument.parse(text);
  const dropped: string[] = [];
  const uuid = doc.root.child('uuid');
  if (uuid) {
    doc.removeElement(uuid);
    dropped.push('<uuid>');
  }
  if (kind === 'network') {
    const bridge = doc.root.child('bridge');
    if (bridge?.attr('name') !== undefined) {
      doc.removeAttribute(bridge, 'name');
      dropped.push('the bridge name');
    }
    const mac = doc.root.child('mac');
    if (mac) {
      doc.removeElement(mac);
      dropped.push('the bridge <mac>');
    }
  }
  return { text: doc.text, dropped };
}
