// "Open XML", "Copy Name" and "Copy UUID" for every host resource (pool, volume, network, host
// device). Open XML shows the object's XML read-only; the XML editor can take over through
// `resourceXmlSource`, which says what the object is and how to read its XML.

import * as vscode from 'vscode';
import { HostDeviceNode } from '../../views/resources/hostDeviceNode';
import { NetworkResourceNode } from '../../views/resources/networkResourceNode';
import { PoolNode } from '../../views/resources/poolNode';
import { VolumeNode } from '../../views/resources/volumeNode';
import type { CommandHandler } from '../commandHandler';
import { connectionOf } from './resourceTargets';

export interface ResourceXmlSource {
  readonly kind: 'pool' | 'volume' | 'network' | 'nodeDevice';
  readonly name: string;
  readonly uuid?: string;
  /** Reads the current XML from libvirt. */
  read(): Promise<string>;
}

/** The XML seam: what object a node is and how to read its XML (undefined for other nodes). */
export function resourceXmlSource(node: unknown): ResourceXmlSource | undefined {
  if (node instanceof PoolNode) {
    const conn = connectionOf(node.host);
    return { kind: 'pool', name: node.ref.name, uuid: node.ref.uuid, read: () => conn.storagePoolGetXmlDesc(node.ref, 0) };
  }
  if (node instanceof VolumeNode) {
    const conn = connectionOf(node.parent.host);
    return { kind: 'volume', name: node.ref.name, read: () => conn.storageVolGetXmlDesc(node.ref, 0) };
  }
  if (node instanceof NetworkResourceNode) {
    const conn = connectionOf(node.host);
    return { kind: 'network', name: node.ref.name, uuid: node.ref.uuid, read: () => conn.networkGetXmlDesc(node.ref, 0) };
  }
  if (node instanceof HostDeviceNode) {
    const conn = connectionOf(node.host);
    return { kind: 'nodeDevice', name: node.device.name, read: () => conn.nodeDeviceGetXmlDesc(node.ref, 0) };
  }
  return undefined;
}

/** Opens the object's XML as a read-only-by-intent untitled XML document. */
export const openResourceXml: CommandHandler = async (_deps, node) => {
  const src = resourceXmlSource(node);
  if (!src) throw new Error('Select a storage pool, volume, network or host device to open its XML.');
  const xml = await src.read();
  const doc = await vscode.workspace.openTextDocument({ language: 'xml', content: xml });
  await vscode.window.showTextDocument(doc, { preview: true });
  return xml;
};

export const copyResourceName: CommandHandler = async (_deps, node) => {
  const src = resourceXmlSource(node);
  if (!src) throw new Error('Select a storage pool, volume, network or host device.');
  await vscode.env.clipboard.writeText(src.name);
  vscode.window.setStatusBarMessage(`Copied ${src.name}`, 4000);
  return src.name;
};

export const copyResourceUuid: CommandHandler = async (_deps, node) => {
  const src = resourceXmlSource(node);
  if (!src?.uuid) throw new Error('Select a storage pool or network (volumes and host devices have no UUID).');
  await vscode.env.clipboard.writeText(src.uuid);
  vscode.window.setStatusBarMessage(`Copied the UUID of ${src.name}`, 4000);
  return src.uuid;
};

export const xmlTable = [
  ['libvirtVms.resource.copyName', 'Copy Name', copyResourceName],
  ['libvirtVms.resource.copyUuid', 'Copy UUID', copyResourceUuid],
] as const;
