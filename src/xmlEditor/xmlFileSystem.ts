// The file system behind the XML editor tabs. Reading a `libvirt-xml:` file fetches the object's
// persistent definition; writing it defines the object (see saveFlow.ts). The XML fetched when a
// tab was opened (or last saved) is kept as the "base", so a save can tell whether the host's
// definition changed meanwhile. `libvirt-xml-host:` files are read-only views of the host's
// current XML (live or persistent).

import * as vscode from 'vscode';
import type { Connection } from '../libvirt/connection';
import { fetchXml, readOnlyReason, XmlObjectNotFoundError } from './objectXml';
import { BadXmlPathError, type XmlLocation } from './xmlPath';
import { locationOf, viewOf } from './xmlUris';

export interface ConnectionResolver {
  /** The open connection with this id; throws a FileSystemError when there is none. */
  connection(connectionId: string): Promise<Connection>;
}

export type SaveHandler = (uri: vscode.Uri, loc: XmlLocation, text: string, base: string | undefined) => Promise<string>;

interface Entry {
  base: string;
  mtime: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function toFileSystemError(err: unknown): unknown {
  if (err instanceof vscode.FileSystemError) return err;
  if (BadXmlPathError.is(err) || XmlObjectNotFoundError.is(err)) return vscode.FileSystemError.FileNotFound(err.message);
  return err;
}

abstract class BaseXmlFileSystem implements vscode.FileSystemProvider {
  protected readonly changeEmitter = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.changeEmitter.event;
  protected readonly entries = new Map<string, Entry>();

  constructor(protected readonly resolver: ConnectionResolver) {}

  watch(): vscode.Disposable {
    return new vscode.Disposable(() => undefined);
  }

  protected entry(uri: vscode.Uri): Entry | undefined {
    return this.entries.get(uri.toString());
  }

  async stat(uri: vscode.Uri): Promise<vscode.FileStat> {
    const loc = this.location(uri);
    let e = this.entry(uri);
    if (!e) {
      // First contact: make sure the object exists, and remember what was there.
      await this.readFile(uri);
      e = this.entry(uri)!;
    }
    return {
      type: vscode.FileType.File,
      ctime: 0,
      mtime: e.mtime,
      size: encoder.encode(e.base).byteLength,
      permissions: this.readOnly(loc) ? vscode.FilePermission.Readonly : undefined,
    };
  }

  protected abstract readOnly(loc: XmlLocation): boolean;

  protected location(uri: vscode.Uri): XmlLocation {
    try {
      return locationOf(uri);
    } catch (err) {
      throw toFileSystemError(err);
    }
  }

  async readFile(uri: vscode.Uri): Promise<Uint8Array> {
    const loc = this.location(uri);
    try {
      const conn = await this.resolver.connection(loc.connectionId);
      const xml = await fetchXml(conn, loc.object, viewOf(uri));
      const old = this.entry(uri);
      this.entries.set(uri.toString(), { base: xml, mtime: old && old.base === xml ? old.mtime : Date.now() });
      return encoder.encode(xml);
    } catch (err) {
      throw toFileSystemError(err);
    }
  }

  readDirectory(): [string, vscode.FileType][] {
    return [];
  }

  createDirectory(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  delete(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  rename(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  abstract writeFile(uri: vscode.Uri, content: Uint8Array, options: { readonly create: boolean; readonly overwrite: boolean }): Promise<void>;

  dispose(): void {
    this.changeEmitter.dispose();
  }
}

/** Read-only views of the host's current XML (live or persistent). */
export class HostXmlFileSystem extends BaseXmlFileSystem {
  protected readOnly(): boolean {
    return true;
  }

  async writeFile(uri: vscode.Uri): Promise<void> {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  /** Drops the cached copy and tells open editors to re-read. */
  refresh(uri: vscode.Uri): void {
    this.entries.delete(uri.toString());
    this.changeEmitter.fire([{ type: vscode.FileChangeType.Changed, uri }]);
  }
}

/** Editable definitions: save = define through `save`. */
export class XmlFileSystem extends BaseXmlFileSystem {
  /** Tabs whose pending save VS Code started by itself (auto-save), not the user. */
  private readonly automaticSaves = new Set<string>();

  constructor(
    resolver: ConnectionResolver,
    private readonly save: SaveHandler,
  ) {
    super(resolver);
  }

  protected readOnly(loc: XmlLocation): boolean {
    return readOnlyReason(loc.object.kind) !== undefined;
  }

  /** The XML this tab was opened from (or last saved as). */
  baseOf(uri: vscode.Uri): string | undefined {
    return this.entry(uri)?.base;
  }

  /**
   * Called for every save VS Code is about to make. Saving defines the object on the host, so
   * only a save the user asked for may do it: an auto-save (after a delay, on focus change) is
   * refused even where the language's auto-save default did not apply yet (a tab restored before
   * the extension set its language).
   */
  noteWillSave(uri: vscode.Uri, reason: vscode.TextDocumentSaveReason): void {
    if (reason === vscode.TextDocumentSaveReason.Manual) this.automaticSaves.delete(uri.toString());
    else this.automaticSaves.add(uri.toString());
  }

  async writeFile(uri: vscode.Uri, content: Uint8Array): Promise<void> {
    const loc = this.location(uri);
    const reason = readOnlyReason(loc.object.kind);
    if (reason) throw vscode.FileSystemError.NoPermissions(reason);
    if (this.automaticSaves.delete(uri.toString())) {
      throw vscode.FileSystemError.NoPermissions('Not saved automatically: saving defines it on the host, so this tab saves only when you save it (Ctrl+S).');
    }
    const text = decoder.decode(content);
    const newBase = await this.save(uri, loc, text, this.entry(uri)?.base);
    this.entries.set(uri.toString(), { base: newBase, mtime: Date.now() });
  }

  /**
   * Makes open editors of `uri` re-read it (e.g. to show libvirt's normalised XML after a save).
   * The modification time moves so VS Code does not skip the read as unchanged.
   */
  reload(uri: vscode.Uri): void {
    const e = this.entry(uri);
    if (e) e.mtime = Math.max(Date.now(), e.mtime + 1);
    this.changeEmitter.fire([{ type: vscode.FileChangeType.Changed, uri }]);
  }
}
