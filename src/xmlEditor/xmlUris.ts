// The editor's URI schemes. `libvirt-xml:` documents are editable definitions (save = define);
// `libvirt-xml-host:` documents are read-only views of what the host has now: the live definition
// of a running object (`?view=live`) or the persistent one (`?view=inactive`, used by Compare).

import * as vscode from 'vscode';
import type { XmlView } from './objectXml';
import { formatXmlPath, parseXmlPath, type XmlLocation } from './xmlPath';

export const XML_SCHEME = 'libvirt-xml';
export const HOST_XML_SCHEME = 'libvirt-xml-host';

export function xmlUri(loc: XmlLocation): vscode.Uri {
  return vscode.Uri.from({ scheme: XML_SCHEME, path: formatXmlPath(loc) });
}

export function hostXmlUri(loc: XmlLocation, view: XmlView): vscode.Uri {
  return vscode.Uri.from({ scheme: HOST_XML_SCHEME, path: formatXmlPath(loc), query: `view=${view}` });
}

export function locationOf(uri: vscode.Uri): XmlLocation {
  return parseXmlPath(uri.path);
}

export function viewOf(uri: vscode.Uri): XmlView {
  return uri.query === 'view=live' ? 'live' : 'inactive';
}

/** Same object (ignoring scheme and view). */
export function sameObject(a: vscode.Uri, b: vscode.Uri): boolean {
  return a.path === b.path;
}
