// The storage volume XML the clone needs: the source volume's format and path, and the XML of
// the new volume (see libvirt formatstorage.rst, "Storage volume XML").

import { escapeXmlText, firstChild, getAttr, parseXml, rootElement, textOf } from '../xmlTree';

export interface VolumeFacts {
  readonly path?: string;
  readonly format?: string;
}

export function volumeFacts(xml: string): VolumeFacts {
  const vol = rootElement(parseXml(xml), 'volume');
  const target = firstChild(vol, 'target');
  const path = target ? firstChild(target, 'path') : undefined;
  const format = target ? firstChild(target, 'format') : undefined;
  const p = path ? textOf(path).trim() : '';
  const f = format ? getAttr(format, 'type') : undefined;
  return { ...(p ? { path: p } : {}), ...(f ? { format: f } : {}) };
}

/** A new volume for virStorageVolCreateXMLFrom: name, capacity in bytes and the source's format. */
export function cloneVolumeXml(name: string, capacityBytes: number, format: string | undefined): string {
  const attr = (s: string): string => escapeXmlText(s).replace(/'/g, '&apos;');
  const fmt = format ? `<target><format type='${attr(format)}'/></target>` : '';
  return `<volume><name>${escapeXmlText(name)}</name><capacity unit='bytes'>${capacityBytes}</capacity>${fmt}</volume>`;
}
