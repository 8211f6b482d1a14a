// The XML editor's commands, listed in the command registry's table (src/commands/registry.ts).

import * as vscode from 'vscode';
import type { CommandDeps, CommandEntry } from '../commands/registry';
import { openResourceXml, resourceXmlSource } from '../commands/resources/xmlAndCopy';
import type { Connection } from '../libvirt/connection';
import { VirNetworkXMLFlags } from '../libvirt/generated/libvirtConstants';
import { XmlDocument } from '../libvirt/xml/xmlDocument';
import { required } from '../ui/cancel';
import { hostHasKvm, parseHostEnums } from './hostEnums';
import { locationFromArg } from './objectArg';
import { defineXml, KIND_LABEL, type XmlObjectKind } from './objectXml';
import { xmlEditorOf } from './register';
import { rootElementName } from './schemaService';
import { freeThirdOctet, networkTemplate, usedThirdOctets, vmTemplate } from './templates';
import type { XmlLocation } from './xmlPath';
import { locationOf, XML_SCHEME, HOST_XML_SCHEME } from './xmlUris';

interface Host {
  readonly id: string;
  readonly name: string;
  readonly conn: Connection;
}

function connectedHosts(deps: CommandDeps): Host[] {
  const out: Host[] = [];
  for (const e of deps.connections.list()) {
    const conn = e.managed.current();
    if (conn) out.push({ id: e.config.id, name: e.config.name ?? e.config.uri, conn });
  }
  return out;
}

async function pickHost(deps: CommandDeps, title: string, preferred?: string): Promise<Host> {
  const hosts = connectedHosts(deps);
  if (hosts.length === 0) throw new Error('No connection is connected: connect to a host first');
  if (hosts.length === 1) return hosts[0]!;
  const items = hosts
    .sort((a, b) => (a.id === preferred ? -1 : b.id === preferred ? 1 : 0))
    .map((h) => ({ label: h.name, description: deps.connections.get(h.id).config.uri, value: h }));
  return required(await deps.prompts.pickOne({ title, placeHolder: 'Connection', items }), 'connection').value;
}

/** A quick pick of the VMs, networks and pools of every connected host. */
async function pickObject(deps: CommandDeps, title: string): Promise<XmlLocation> {
  const items: { label: string; description: string; value: XmlLocation }[] = [];
  for (const h of connectedHosts(deps)) {
    const [doms, nets, pools] = await Promise.all([h.conn.connectListAllDomains(), h.conn.connectListAllNetworks(), h.conn.connectListAllStoragePools()]);
    for (const d of doms) items.push({ label: `$(vm) ${d.name}`, description: `VM on ${h.name}`, value: { connectionId: h.id, object: { kind: 'domain', name: d.name } } });
    for (const n of nets) items.push({ label: `$(globe) ${n.name}`, description: `network on ${h.name}`, value: { connectionId: h.id, object: { kind: 'network', name: n.name } } });
    for (const p of pools) items.push({ label: `$(database) ${p.name}`, description: `storage pool on ${h.name}`, value: { connectionId: h.id, object: { kind: 'pool', name: p.name } } });
  }
  if (items.length === 0) throw new Error('No connected host has VMs, networks or pools');
  return required(await deps.prompts.pickOne({ title, placeHolder: 'Object', items }), 'object').value;
}

function locationFromArgOrEditor(arg: unknown): XmlLocation | undefined {
  if (arg instanceof vscode.Uri && (arg.scheme === XML_SCHEME || arg.scheme === HOST_XML_SCHEME)) return locationOf(arg);
  const fromArg = locationFromArg(arg);
  if (fromArg) return fromArg;
  const active = vscode.window.activeTextEditor?.document.uri;
  if (arg === undefined && active && active.scheme === XML_SCHEME) return locationOf(active);
  return undefined;
}

async function uniqueName(taken: readonly string[], base: string): Promise<string> {
  const set = new Set(taken);
  if (!set.has(base)) return base;
  for (let i = 2; ; i++) if (!set.has(`${base}-${i}`)) return `${base}-${i}`;
}

async function openUntitled(deps: CommandDeps, hostId: string, content: string): Promise<vscode.TextEditor> {
  const doc = await vscode.workspace.openTextDocument({ language: 'xml', content });
  xmlEditorOf(deps.context).schemas.setHost(doc.uri, hostId);
  return vscode.window.showTextDocument(doc, { preview: false });
}

const DEFINABLE_ROOTS: Readonly<Record<string, XmlObjectKind>> = { domain: 'domain', network: 'network' };

export const xmlCommands: readonly CommandEntry[] = [
  {
    id: 'libvirtVms.openXml',
    title: 'Open XML',
    async run(deps, arg) {
      const loc = locationFromArgOrEditor(arg);
      // Host devices have no definition to edit: their XML opens as a plain read-only view.
      if (!loc && resourceXmlSource(arg)?.kind === 'nodeDevice') return openResourceXml(deps, arg);
      return xmlEditorOf(deps.context).openXml(loc ?? (await pickObject(deps, 'Open XML')));
    },
  },
  {
    id: 'libvirtVms.openLiveXml',
    title: 'Open Live XML',
    async run(deps, arg) {
      const loc = locationFromArgOrEditor(arg) ?? (await pickObject(deps, 'Open Live XML'));
      return xmlEditorOf(deps.context).openLiveXml(loc);
    },
  },
  {
    id: 'libvirtVms.newVmFromXml',
    title: 'New VM from XML',
    async run(deps) {
      const host = await pickHost(deps, 'New VM from XML: on which host?');
      const [caps, domcaps, doms] = await Promise.all([
        host.conn.connectGetCapabilities().catch(() => undefined),
        host.conn.connectGetDomainCapabilities().catch(() => undefined),
        host.conn.connectListAllDomains(),
      ]);
      const name = await uniqueName(doms.map((d) => d.name), 'new-vm');
      return openUntitled(deps, host.id, vmTemplate({ name, kvm: hostHasKvm(parseHostEnums(caps, domcaps)) }));
    },
  },
  {
    id: 'libvirtVms.newNetworkFromXml',
    title: 'New Network from XML',
    async run(deps) {
      const host = await pickHost(deps, 'New Network from XML: on which host?');
      const nets = await host.conn.connectListAllNetworks();
      const xmls = await Promise.all(nets.map((n) => host.conn.networkGetXmlDesc(n, VirNetworkXMLFlags.INACTIVE).catch(() => '')));
      const name = await uniqueName(nets.map((n) => n.name), 'new-network');
      return openUntitled(deps, host.id, networkTemplate({ name, thirdOctet: freeThirdOctet(usedThirdOctets(xmls)) }));
    },
  },
  {
    id: 'libvirtVms.defineFromXml',
    title: 'Define from XML',
    async run(deps, arg) {
      const doc = arg instanceof vscode.Uri ? await vscode.workspace.openTextDocument(arg) : vscode.window.activeTextEditor?.document;
      if (!doc) throw new Error('Open an XML document with a <domain> or <network> root first');
      const root = rootElementName(doc.getText());
      const kind = root === undefined ? undefined : DEFINABLE_ROOTS[root];
      if (!kind) throw new Error(`Define from XML needs a <domain> or <network> document, not <${root ?? '?'}>`);
      XmlDocument.parse(doc.getText()); // a clear syntax error before asking anything
      const editor = xmlEditorOf(deps.context);
      const host = await pickHost(deps, `Define ${KIND_LABEL[kind]} on which host?`, editor.schemas.connectionIdFor(doc));
      const name = await defineXml(host.conn, kind, doc.getText());
      const loc: XmlLocation = { connectionId: host.id, object: { kind, name } };
      if (doc.isUntitled) {
        await vscode.window.showTextDocument(doc);
        await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
      }
      await editor.openXml(loc);
      return loc;
    },
  },
];
