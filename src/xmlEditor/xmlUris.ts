// The editor's URI schemes. `libvirt-xml:` documents are editable definitions (save = define);
// `libvirt-xml-host:` documents are read-only views of what the host has now: the live definition
// of a running object (`view=live`) or the persistent one (`view=inactive`, used by Compare).
//
// The path shows the connection's name (`/QEMU∕KVM/domain/vm1.xml`, see xmlPath.ts), so the tab's
// breadcrumb and the Problems panel read as the tree does. Names are neither unique nor stable (two
// connections may share one, and a connection can be renamed), so the connection's id is kept in
// the query (`?connection=<id>`), which VS Code does not display: the id alone decides which
// connection a document belongs to, and a tab keeps working after a rename (its path still shows the
// old name). A URI without `connection` in its query is of the earlier form
// `/<connection id>/<kind>/…`, and still resolves.

import * as vscode from 'vscode';
import type { XmlView } from './objectXml';
import { formatXmlPath, hostSegment, parseXmlPath, type XmlLocation } from './xmlPath';

export const XML_SCHEME = 'libvirt-xml';
export const HOST_XML_SCHEME = 'libvirt-xml-host';

/** What the live view's file name says after ".xml", so its tab differs from the editable one. */
export const LIVE_VIEW_LABEL = 'live, read-only';

function query(connectionId: string, view?: XmlView): string {
  const q = new URLSearchParams({ connection: connectionId });
  if (view) q.set('view', view);
  return q.toString();
}

/** `hostName` is the connection's name as the user sees it (its config name). */
export function xmlUri(loc: XmlLocation, hostName: string): vscode.Uri {
  return vscode.Uri.from({ scheme: XML_SCHEME, path: formatXmlPath(hostSegment(hostName), loc.object), query: query(loc.connectionId) });
}

export function hostXmlUri(loc: XmlLocation, hostName: string, view: XmlView): vscode.Uri {
  const path = formatXmlPath(hostSegment(hostName), loc.object, view === 'live' ? LIVE_VIEW_LABEL : undefined);
  return vscode.Uri.from({ scheme: HOST_XML_SCHEME, path, query: query(loc.connectionId, view) });
}

export function locationOf(uri: vscode.Uri): XmlLocation {
  const { host, object } = parseXmlPath(uri.path);
  return { connectionId: new URLSearchParams(uri.query).get('connection') ?? host, object };
}

/** The connection name shown in a URI's path, to build the URIs of its other views. */
export function hostNameOf(uri: vscode.Uri): string {
  return parseXmlPath(uri.path).host;
}

export function viewOf(uri: vscode.Uri): XmlView {
  return new URLSearchParams(uri.query).get('view') === 'live' ? 'live' : 'inactive';
}

/** A well-formed URI of either scheme. */
export function isXmlUri(uri: vscode.Uri): boolean {
  if (uri.scheme !== XML_SCHEME && uri.scheme !== HOST_XML_SCHEME) return false;
  try {
    parseXmlPath(uri.path);
    return true;
  } catch {
    return false;
  }
}

/** Same object on the same connection. */
export function sameLocation(a: XmlLocation, b: XmlLocation): boolean {
  return a.connectionId === b.connectionId && a.object.kind === b.object.kind && a.object.name === b.object.name && a.object.parent === b.object.parent;
}
