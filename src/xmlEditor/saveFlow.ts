// Saving an XML tab defines the object, safely:
// - the document must be well-formed and have the object kind's root element;
// - when the host's definition changed since the tab was opened, the user picks Compare (a diff
//   of the host's current XML against the tab) or Overwrite; nothing is overwritten silently;
// - a different <name> asks whether to rename the object or define a copy (a copy loses its
//   <uuid> so libvirt gives it a new one);
// - libvirt defines with its validate flag; when it refuses, the save fails (the tab stays dirty,
//   the host keeps its definition) and the message is placed on the document where possible;
// - a running VM or network is told that the change applies at its next start.

import * as vscode from 'vscode';
import type { Prompts } from '../commands/prompts';
import { UserCancelledError } from '../ui/cancel';
import { errorMessage } from '../ui/log';
import { XmlDocument, XmlSyntaxError } from '../libvirt/xml/xmlDocument';
import type { Connection } from '../libvirt/connection';
import { canRename, defineXml, fetchXml, isRunning, KIND_LABEL, renameObject, ROOT_ELEMENT, XmlObjectNotFoundError, type XmlObjectId } from './objectXml';
import type { XmlLocation } from './xmlPath';
import { hostNameOf, hostXmlUri, xmlUri } from './xmlUris';
import { copyDefinition, definedName } from './definitionText';

export class SaveRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SaveRefusedError';
  }
  static is(e: unknown): e is SaveRefusedError {
    return e instanceof SaveRefusedError;
  }
}

export interface SaveServices {
  connection(connectionId: string): Promise<Connection>;
  readonly prompts: Prompts;
  readonly log: vscode.LogOutputChannel;
  /** Places libvirt's refusal on the document (or clears it with undefined). */
  defineError(uri: vscode.Uri, text: string, message: string | undefined): void;
  /** Runs after the save returned: reload the tab, open a renamed object, notices. */
  after(fn: () => Promise<void> | void): void;
  reload(uri: vscode.Uri): void;
  refreshHostView(uri: vscode.Uri): void;
}

type ConflictChoice = 'compare' | 'overwrite';
type RenameChoice = 'rename' | 'copy';

function comparable(xml: string): string {
  return xml.replace(/\r\n/g, '\n').trim();
}

export async function saveDefinition(svc: SaveServices, uri: vscode.Uri, loc: XmlLocation, text: string, base: string | undefined): Promise<string> {
  const { object } = loc;
  const label = KIND_LABEL[object.kind];
  let doc: XmlDocument;
  try {
    doc = XmlDocument.parse(text);
  } catch (err) {
    if (XmlSyntaxError.is(err)) throw new SaveRefusedError(`Not saved: the XML is not well-formed: ${err.message}`);
    throw err;
  }
  if (doc.root.localName !== ROOT_ELEMENT[object.kind]) {
    throw new SaveRefusedError(`Not saved: a ${label} definition has a <${ROOT_ELEMENT[object.kind]}> root, not <${doc.root.name}>`);
  }
  const conn = await svc.connection(loc.connectionId);

  // 1. Has the host's definition changed since this tab read it?
  let current: string | undefined;
  try {
    current = await fetchXml(conn, object);
  } catch (err) {
    if (!XmlObjectNotFoundError.is(err)) throw err;
  }
  if (current === undefined) {
    const ok = await svc.prompts.confirm({
      message: `The ${label} "${object.name}" no longer exists on the host.`,
      detail: 'Saving defines it again from this XML.',
      button: 'Define',
    });
    if (!ok) throw new UserCancelledError('save');
  } else if (base !== undefined && comparable(current) !== comparable(base)) {
    const choice = await svc.prompts.pickOne<ConflictChoice>({
      title: `The ${label} "${object.name}" changed on the host since this tab was opened`,
      placeHolder: 'Compare the host version with yours, or overwrite it with yours',
      items: [
        { label: 'Compare', description: "Show the host's current definition beside your edits (nothing is saved)", value: 'compare' },
        { label: 'Overwrite', description: "Define your version, replacing the host's changes", value: 'overwrite' },
      ],
    });
    if (!choice) throw new UserCancelledError('save');
    if (choice.value === 'compare') {
      const hostUri = hostXmlUri(loc, hostNameOf(uri), 'inactive');
      svc.refreshHostView(hostUri);
      svc.after(async () => {
        await vscode.commands.executeCommand('vscode.diff', hostUri, uri, `${object.name}: host ↔ your edits`);
      });
      throw new SaveRefusedError(`Not saved: the ${label} changed on the host. Review the differences, then save again and choose Overwrite to replace it.`);
    }
  }

  // 2. A different <name>: rename or copy?
  const newName = definedName(doc);
  let toDefine = text;
  let mode: 'same' | RenameChoice = 'same';
  let dropped: string[] = [];
  if (newName !== undefined && newName !== '' && newName !== object.name && current !== undefined) {
    const items = [
      ...(canRename(object.kind) ? [{ label: 'Rename', description: `Rename "${object.name}" to "${newName}", then apply the other changes`, value: 'rename' as const }] : []),
      { label: 'Define a Copy', description: `Define "${newName}" as a new ${label} (without <uuid>${object.kind === 'network' ? ' and bridge name' : ''}, so libvirt assigns new ones); "${object.name}" stays as it is`, value: 'copy' as const },
    ];
    const choice = await svc.prompts.pickOne<RenameChoice>({
      title: `The <name> changed from "${object.name}" to "${newName}"`,
      placeHolder: canRename(object.kind) ? 'Rename this object, or define a copy?' : `libvirt cannot rename a ${label}: define a copy?`,
      items,
    });
    if (!choice) throw new UserCancelledError('save');
    mode = choice.value;
    if (mode === 'copy') {
      const copy = copyDefinition(text, object.kind);
      toDefine = copy.text;
      dropped = copy.dropped;
    }
  }

  // 3. Define (libvirt validates against its schema first).
  let definedAs: string;
  try {
    if (mode === 'rename') await renameObject(conn, object, newName!);
    definedAs = await defineXml(conn, object.kind, toDefine);
  } catch (err) {
    const message = errorMessage(err);
    svc.log.warn(`Define of ${label} "${object.name}" refused: ${message}`);
    svc.defineError(uri, text, message);
    throw new SaveRefusedError(`libvirt refused the ${label} definition: ${message}`);
  }
  svc.defineError(uri, text, undefined);

  const savedId: XmlObjectId = { ...object, name: definedAs };
  const savedLoc: XmlLocation = { connectionId: loc.connectionId, object: savedId };
  const newBase = await fetchXml(conn, savedId).catch(() => toDefine);

  if (mode === 'same') {
    svc.after(() => svc.reload(uri));
  } else {
    // The tab now holds another object's XML: show the original again and open the new one.
    const target = xmlUri(savedLoc, hostNameOf(uri));
    svc.after(async () => {
      if (mode === 'rename') {
        for (const group of vscode.window.tabGroups.all) {
          for (const tab of group.tabs) {
            if (tab.input instanceof vscode.TabInputText && tab.input.uri.toString() === uri.toString()) await vscode.window.tabGroups.close(tab);
          }
        }
      } else {
        svc.reload(uri);
        const what = dropped.length > 0 ? ` without ${dropped.join(', ')} of "${object.name}" (libvirt assigned new ones)` : '';
        void vscode.window.showInformationMessage(`Defined a copy named "${definedAs}"${what}. "${object.name}" is unchanged.`);
      }
      await vscode.window.showTextDocument(target, { preview: false });
    });
  }

  const running = await isRunning(conn, savedId).catch(() => false);
  if (running) svc.after(() => notifyNextBoot(svc, conn, savedId));
  return mode === 'copy' ? (current ?? newBase) : newBase;
}

function notifyNextBoot(svc: SaveServices, conn: Connection, id: XmlObjectId): void {
  const label = KIND_LABEL[id.kind];
  const restart = id.kind === 'domain' ? ['Restart Now'] : [];
  void vscode.window
    .showInformationMessage(`The ${label} "${id.name}" is running: the saved definition applies at its next start.`, ...restart)
    .then(async (choice) => {
      if (choice !== 'Restart Now') return;
      try {
        await restartDomain(conn, id.name);
      } catch (err) {
        svc.log.error(`Restart of "${id.name}" failed: ${errorMessage(err)}`);
        void vscode.window.showErrorMessage(`Restart of "${id.name}" failed: ${errorMessage(err)}`);
      }
    });
}

const SHUTDOWN_TIMEOUT_MS = 120_000;

/** Shut down (ACPI), wait until the VM is off, then start it, so the new definition applies. */
async function restartDomain(conn: Connection, name: string): Promise<void> {
  await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Restarting "${name}"`, cancellable: true },
    async (progress, token) => {
      const dom = await conn.domainLookupByName(name);
      progress.report({ message: 'asking the guest to shut down…' });
      await conn.domainShutdown(dom);
      const end = Date.now() + SHUTDOWN_TIMEOUT_MS;
      while (await conn.domainIsActive(dom)) {
        if (token.isCancellationRequested) throw new UserCancelledError('restart');
        if (Date.now() > end) throw new Error(`the guest did not shut down within ${SHUTDOWN_TIMEOUT_MS / 1000} s; it is still running with the old definition`);
        await new Promise((r) => setTimeout(r, 1000));
      }
      progress.report({ message: 'starting…' });
      await conn.domainCreate(dom);
    },
  );
}
