// Wires the XML editor: the two file systems, diagnostics with quick fixes, completion and hover.
// extension.ts calls registerXmlEditor once; the commands in xmlCommands.ts find the editor
// through the extension context they are given.

import * as vscode from 'vscode';
import type { Prompts } from '../commands/prompts';
import type { ConnectionRegistry } from '../connections/connectionRegistry';
import type { Connection } from '../libvirt/connection';
import { errorMessage } from '../ui/log';
import { fetchXml, KIND_LABEL, readOnlyReason } from './objectXml';
import { saveDefinition } from './saveFlow';
import { rootElementName, SchemaService } from './schemaService';
import { XmlCompletion } from './xmlCompletion';
import { START_REFERENCED_COMMAND, XmlDiagnostics } from './xmlDiagnostics';
import { EditorHintFacts } from './hintFacts';
import type { OsinfoCatalogs } from '../libvirt/osinfo';
import { HostXmlFileSystem, XmlFileSystem, type ConnectionResolver } from './xmlFileSystem';
import type { XmlLocation } from './xmlPath';
import { HOST_XML_SCHEME, hostXmlUri, isXmlUri, locationOf, sameLocation, viewOf, XML_SCHEME, xmlUri } from './xmlUris';

export interface XmlEditorWiring {
  readonly connections: ConnectionRegistry;
  /** Questions during a save (conflict, rename); tests answer them through the same seam. */
  readonly prompts: Prompts;
  readonly log: vscode.LogOutputChannel;
  /** libosinfo per host, for the hints' OS facts (absent: the hints do without). */
  readonly osinfo?: OsinfoCatalogs;
}

/**
 * The language of `libvirt-xml:` documents: XML highlighting, plus a language scope for the
 * default `files.autoSave: off` (package.json configurationDefaults). Saving defines the object,
 * so it must only happen when the user asks; VS Code in a browser auto-saves by default.
 */
export const LIBVIRT_XML_LANGUAGE = 'libvirt-xml';

const SELECTOR: vscode.DocumentSelector = [{ scheme: XML_SCHEME }, { scheme: HOST_XML_SCHEME }, { scheme: 'untitled', language: 'xml' }];
const AFTER_SAVE_DELAY_MS = 200;

/** Shown by VS Code when the user types into a `libvirt-xml-host:` tab. */
export const HOST_VIEW_READONLY_MESSAGE =
  "This tab shows the host's current XML and cannot be edited. To change the definition, use **Open XML**, edit and save: a running VM or network uses the saved definition from its next start.";

export class XmlEditor implements vscode.Disposable {
  readonly schemas: SchemaService;
  readonly files: XmlFileSystem;
  readonly hostFiles: HostXmlFileSystem;
  readonly diagnostics: XmlDiagnostics;
  readonly completion: XmlCompletion;
  readonly resolver: ConnectionResolver;
  private definable: boolean | undefined;

  constructor(readonly wiring: XmlEditorWiring) {
    const { connections, log } = wiring;
    this.resolver = {
      async connection(connectionId: string): Promise<Connection> {
        let managed;
        try {
          managed = connections.get(connectionId).managed;
        } catch {
          throw vscode.FileSystemError.Unavailable(`No saved connection with id ${connectionId}`);
        }
        const current = managed.current();
        if (current) return current;
        try {
          return await managed.connect();
        } catch (err) {
          throw vscode.FileSystemError.Unavailable(`Not connected to ${connections.get(connectionId).config.name}: ${errorMessage(err)}`);
        }
      },
    };
    this.schemas = new SchemaService(connections, log);
    this.diagnostics = new XmlDiagnostics(this.schemas, new EditorHintFacts(this.schemas, wiring.osinfo));
    this.completion = new XmlCompletion(this.schemas);
    this.hostFiles = new HostXmlFileSystem(this.resolver);
    const after = (fn: () => Promise<void> | void): void => {
      setTimeout(() => {
        Promise.resolve()
          .then(fn)
          .catch((err: unknown) => log.error(`After saving XML: ${errorMessage(err)}`));
      }, AFTER_SAVE_DELAY_MS);
    };
    this.files = new XmlFileSystem(this.resolver, (uri, loc, text, base) =>
      saveDefinition(
        {
          connection: (id) => this.resolver.connection(id),
          prompts: wiring.prompts,
          log,
          defineError: (u, t, m) => this.diagnostics.defineError(u, t, m),
          after,
          reload: (u) => this.files.reload(u),
          refreshHostView: (u) => this.hostFiles.refresh(u),
        },
        uri,
        loc,
        text,
        base,
      ),
    );
  }

  register(context: vscode.ExtensionContext): void {
    const { log } = this.wiring;
    context.subscriptions.push(
      this,
      vscode.workspace.registerFileSystemProvider(XML_SCHEME, this.files, { isCaseSensitive: true }),
      vscode.workspace.onWillSaveTextDocument((e) => {
        if (e.document.uri.scheme === XML_SCHEME) this.files.noteWillSave(e.document.uri, e.reason);
      }),
      vscode.workspace.registerFileSystemProvider(HOST_XML_SCHEME, this.hostFiles, { isCaseSensitive: true, isReadonly: new vscode.MarkdownString(HOST_VIEW_READONLY_MESSAGE) }),
      vscode.languages.registerCompletionItemProvider(SELECTOR, this.completion, '<', ' ', '"', "'", '/'),
      vscode.languages.registerHoverProvider(SELECTOR, this.completion),
      vscode.languages.registerCodeActionsProvider(SELECTOR, this.diagnostics, { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] }),
      // The "Start network / pool" quick fix of an existence warning (not in the palette: it needs the document).
      vscode.commands.registerCommand(START_REFERENCED_COMMAND, async (uri: unknown, object: unknown, name: unknown) => {
        const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri);
        if (!doc || (object !== 'network' && object !== 'pool') || typeof name !== 'string') return;
        try {
          await this.schemas.startReferenced(doc, object, name);
          log.info(`Started ${object} ${name} (quick fix in ${doc.uri.toString()})`);
        } catch (err) {
          void vscode.window.showErrorMessage(`Starting ${object} '${name}' failed: ${errorMessage(err)}`);
        } finally {
          this.diagnostics.schedule(doc, 0);
        }
      }),
      vscode.window.onDidChangeActiveTextEditor(() => this.updateDefinableContext()),
      vscode.workspace.onDidOpenTextDocument((d) => {
        this.adoptLanguage(d).catch((err: unknown) => log.warn(`Setting the language of ${d.uri.toString()}: ${errorMessage(err)}`));
      }),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document === vscode.window.activeTextEditor?.document) this.updateDefinableContext();
      }),
    );
    this.updateDefinableContext();
    for (const d of vscode.workspace.textDocuments) this.adoptLanguage(d).catch(() => undefined);
  }

  /** Both schemes' documents are libvirt XML (the live view's file name has no .xml extension). */
  private async adoptLanguage(doc: vscode.TextDocument): Promise<vscode.TextDocument> {
    if ((doc.uri.scheme !== XML_SCHEME && doc.uri.scheme !== HOST_XML_SCHEME) || doc.languageId === LIBVIRT_XML_LANGUAGE) return doc;
    return vscode.languages.setTextDocumentLanguage(doc, LIBVIRT_XML_LANGUAGE);
  }

  /** `libvirtVms.xmlDefinable`: the active editor is an untitled <domain> or <network> document. */
  private updateDefinableContext(): void {
    const doc = vscode.window.activeTextEditor?.document;
    const root = doc && doc.isUntitled && doc.languageId === 'xml' ? rootElementName(doc.getText()) : undefined;
    const definable = root === 'domain' || root === 'network';
    if (definable === this.definable) return;
    this.definable = definable;
    void vscode.commands.executeCommand('setContext', 'libvirtVms.xmlDefinable', definable);
  }

  /** The connection's name as the tree shows it, for the path of its documents. */
  private hostName(connectionId: string): string {
    try {
      return this.wiring.connections.get(connectionId).config.name;
    } catch {
      return connectionId;
    }
  }

  /**
   * Opens the object's persistent definition in an editable tab; an open tab of it is shown, even
   * when its path still has the connection's former name (or is of the id-based form).
   */
  async openXml(loc: XmlLocation): Promise<vscode.TextEditor> {
    const uri = openTabUri((u) => u.scheme === XML_SCHEME && sameLocation(locationOf(u), loc)) ?? xmlUri(loc, this.hostName(loc.connectionId));
    const doc = await this.adoptLanguage(await vscode.workspace.openTextDocument(uri));
    const readOnly = readOnlyReason(loc.object.kind);
    const editor = await vscode.window.showTextDocument(doc, { preview: false });
    if (readOnly) void vscode.window.showInformationMessage(readOnly);
    return editor;
  }

  /**
   * Opens the live definition read-only, when it differs from the persistent one: beside the
   * persistent definition's tab when that is open, else in the active group (where an open live
   * tab already is, it is shown there). Returns undefined (and says why) when there is nothing
   * different to show.
   */
  async openLiveXml(loc: XmlLocation): Promise<vscode.TextEditor | undefined> {
    const conn = await this.resolver.connection(loc.connectionId);
    const [inactive, live] = await Promise.all([fetchXml(conn, loc.object, 'inactive'), fetchXml(conn, loc.object, 'live')]);
    if (inactive.trim() === live.trim()) {
      void vscode.window.showInformationMessage(`The ${KIND_LABEL[loc.object.kind]} "${loc.object.name}" runs with its persistent definition: the live XML is the same.`);
      return undefined;
    }
    const uri = openTabUri(isLiveView(loc)) ?? hostXmlUri(loc, this.hostName(loc.connectionId), 'live');
    this.hostFiles.refresh(uri);
    const doc = await this.adoptLanguage(await vscode.workspace.openTextDocument(uri));
    return vscode.window.showTextDocument(doc, { ...liveViewPlacement(loc), preview: false });
  }

  dispose(): void {
    this.diagnostics.dispose();
    this.files.dispose();
    this.hostFiles.dispose();
  }
}

function xmlTabUri(tab: vscode.Tab): vscode.Uri | undefined {
  return tab.input instanceof vscode.TabInputText && isXmlUri(tab.input.uri) ? tab.input.uri : undefined;
}

/** The URI of an open XML tab that `match`es. */
function openTabUri(match: (uri: vscode.Uri) => boolean): vscode.Uri | undefined {
  for (const g of vscode.window.tabGroups.all) {
    for (const t of g.tabs) {
      const uri = xmlTabUri(t);
      if (uri && match(uri)) return uri;
    }
  }
  return undefined;
}

function isLiveView(loc: XmlLocation): (uri: vscode.Uri) => boolean {
  return (uri) => uri.scheme === HOST_XML_SCHEME && viewOf(uri) === 'live' && sameLocation(locationOf(uri), loc);
}

/** Where the live view of `loc` goes: see openLiveXml. */
function liveViewPlacement(loc: XmlLocation): { viewColumn: vscode.ViewColumn; preserveFocus: boolean } {
  const groupWith = (match: (uri: vscode.Uri) => boolean): vscode.TabGroup | undefined =>
    vscode.window.tabGroups.all.find((g) => g.tabs.some((t) => {
      const uri = xmlTabUri(t);
      return uri !== undefined && match(uri);
    }));
  const live = groupWith(isLiveView(loc));
  if (live) return { viewColumn: live.viewColumn, preserveFocus: false };
  const persistent = groupWith((u) => u.scheme === XML_SCHEME && sameLocation(locationOf(u), loc));
  if (persistent) return { viewColumn: persistent.viewColumn + 1, preserveFocus: true };
  return { viewColumn: vscode.ViewColumn.Active, preserveFocus: false };
}

const editors = new WeakMap<vscode.ExtensionContext, XmlEditor>();

export function registerXmlEditor(context: vscode.ExtensionContext, wiring: XmlEditorWiring): XmlEditor {
  const editor = new XmlEditor(wiring);
  editor.register(context);
  editors.set(context, editor);
  return editor;
}

/** The editor registered for this extension context (commands reach it this way). */
export function xmlEditorOf(context: vscode.ExtensionContext): XmlEditor {
  const e = editors.get(context);
  if (!e) throw new Error('The XML editor is not registered');
  return e;
}
