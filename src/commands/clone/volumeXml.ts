// The storage volume XML the clone needs: the source volume's format and path, and the XML of
// the new volume (see libvirt formatstorage.rst, "Storage volume XML").

import { escapeAttr, escapeText } from '../../libvirt/xml/xmlDocument';
import { parseRoot } from '../domainXmlFacts';

export interface VolumeFacts {
  readonly path?: string;
  readonly format?: string;
}

export function volumeFacts(xml: string): VolumeFacts {
  const { doc, root } = parseRoot(xml, 'volume');
  const path = root.find(['target', 'path']);
  const p = path ? doc.textContent(path).trim() : '';
  const f = root.find(['target', 'format'])?.attr('type');
  return { ...(p ? { path: p } : {}), ...(f ? { format: f } : {}) };
}

/** A new volume for virStorageVolCreateXMLFrom: name, capacity in bytes and the source's format. */
export function cloneVolumeXml(name: string, capacityBytes: number, format: string | undefined): string {
  const fmt = format ? `<target><format type='${escapeAttr(format, "'")}'/></target>` : '';
  return `<volume><name>${escapeText(name)}</name><capacity unit='bytes'>${capacityBytes}</capacity>${fmt}</volume>`;
}
