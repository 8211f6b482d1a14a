// Completion and hover from the host's schema: elements valid at the cursor (inserted with the
// attributes and children they need, see elementSnippet.ts), attributes, and enumerated values
// (the host's supported values first, from its capabilities).

import * as vscode from 'vscode';
import { describeElement } from './descriptions';
import { attributeSnippet, elementSnippet, offeredValues, preferredQuote, type SnippetSource } from './elementSnippet';
import { hostValues } from './hostEnums';
import type { ElementDef, RngGrammar } from '../libvirt/xml/rngGrammar';
import { cursorContext, wordAt } from './schema/xmlContext';
import { isEditorDocument, type SchemaService } from './schemaService';
import { md } from '../views/markdown';

function stripPrefix(name: string): string {
  const i = name.indexOf(':');
  return i < 0 ? name : name.slice(i + 1);
}

/** True when the cursor is in the name of a tag that already has its attributes or `>`. */
function inExistingTag(text: string, offset: number): boolean {
  const m = /^[\w:.-]*(\s*)([^\s]?)/.exec(text.slice(offset, offset + 200));
  const next = m?.[2] ?? '';
  return next === '>' || next === '/' || (m?.[1] !== '' && /[A-Za-z_]/.test(next));
}

function origins(defs: readonly ElementDef[]): string {
  const seen = new Set<string>();
  for (const d of defs) seen.add(d.origin.define ? `${d.origin.file} (define ${d.origin.define})` : d.origin.file);
  return [...seen].slice(0, 3).join(', ');
}

/** Definitions matching a path; for the root-less prefix of an unfinished document, none. */
function defsAt(grammar: RngGrammar, path: readonly string[]): ElementDef[] | undefined {
  return grammar.defsForPath(path.map(stripPrefix));
}

export class XmlCompletion implements vscode.CompletionItemProvider, vscode.HoverProvider {
  constructor(private readonly schemas: SchemaService) {}

  async provideCompletionItems(doc: vscode.TextDocument, position: vscode.Position): Promise<vscode.CompletionItem[]> {
    if (!isEditorDocument(doc)) return [];
    const loaded = await this.schemas.grammarFor(doc);
    if (!loaded) return [];
    const { grammar } = loaded;
    const text = doc.getText();
    const offset = doc.offsetAt(position);
    const ctx = cursorContext(text, offset);
    const items: vscode.CompletionItem[] = [];
    switch (ctx.kind) {
      case 'elementName':
      case 'content': {
        if (ctx.kind === 'elementName' && ctx.closing) {
          const open = ctx.path[ctx.path.length - 1];
          if (open) {
            const item = new vscode.CompletionItem(open, vscode.CompletionItemKind.Property);
            item.range = new vscode.Range(doc.positionAt(ctx.start), position);
            item.insertText = `${open}>`;
            items.push(item);
          }
          break;
        }
        const names = ctx.path.length === 0 ? grammar.rootNames() : (() => {
          const defs = defsAt(grammar, ctx.path);
          return defs ? grammar.info(defs).childNames : [];
        })();
        const parent = ctx.path.map(stripPrefix);
        const bare = ctx.kind === 'elementName' && inExistingTag(text, offset);
        const src: SnippetSource | undefined = bare ? undefined : { grammar, enums: await this.schemas.hostEnumsFor(doc), quote: preferredQuote(text) };
        for (const name of names) {
          const item = new vscode.CompletionItem(name, vscode.CompletionItemKind.Property);
          item.detail = describeElement([...ctx.path, name]) ?? `<${name}>`;
          const snippet = src ? elementSnippet(src, parent, name, ctx.kind === 'elementName') : undefined;
          if (ctx.kind === 'elementName') {
            item.range = new vscode.Range(doc.positionAt(ctx.start), position);
            item.insertText = snippet ? new vscode.SnippetString(snippet) : name;
          } else {
            item.insertText = new vscode.SnippetString(snippet ?? `<${name}>$0</${name}>`);
            item.filterText = name;
          }
          items.push(item);
        }
        break;
      }
      case 'attributeName': {
        const defs = defsAt(grammar, ctx.path);
        if (!defs) break;
        const info = grammar.info(defs);
        const src: SnippetSource = { grammar, enums: await this.schemas.hostEnumsFor(doc), quote: preferredQuote(text) };
        const path = ctx.path.map(stripPrefix);
        for (const [name, vs] of info.attributes) {
          if (ctx.present.includes(name)) continue;
          const item = new vscode.CompletionItem(name, vscode.CompletionItemKind.Field);
          item.range = new vscode.Range(doc.positionAt(ctx.start), position);
          item.insertText = new vscode.SnippetString(attributeSnippet(src, path, name, vs));
          // Enumerated values come as a snippet choice; values that are only examples, as suggestions.
          if (vs.values.size > 0 && offeredValues(src.enums, path, name, vs).length === 0) item.command = { command: 'editor.action.triggerSuggest', title: 'Suggest values' };
          item.detail = vs.values.size > 0 && !vs.free ? [...vs.values].slice(0, 6).join(' | ') : 'attribute';
          items.push(item);
        }
        break;
      }
      case 'attributeValue': {
        const defs = defsAt(grammar, ctx.path);
        if (!defs) break;
        const vs = grammar.info(defs).attributes.get(ctx.attribute);
        const host = hostValues(await this.schemas.hostEnumsFor(doc), ctx.path, ctx.attribute);
        this.valueItems(items, host, vs ? [...vs.values] : [], new vscode.Range(doc.positionAt(ctx.start), position));
        break;
      }
      default:
        break;
    }
    if (ctx.kind === 'content' && ctx.path.length > 0) {
      // Text content values (e.g. <on_poweroff>destroy</on_poweroff>, <cpu><model>…).
      const defs = defsAt(grammar, ctx.path);
      const tv = defs ? grammar.info(defs).text : undefined;
      const host = hostValues(await this.schemas.hostEnumsFor(doc), ctx.path, undefined);
      const wordRange = doc.getWordRangeAtPosition(position, /[\w.+-]+/) ?? new vscode.Range(position, position);
      this.valueItems(items, host, tv ? [...tv.values] : [], wordRange);
    }
    return items;
  }

  private valueItems(items: vscode.CompletionItem[], host: readonly string[], schema: readonly string[], range: vscode.Range): void {
    const seen = new Set<string>();
    host.forEach((v, i) => {
      seen.add(v);
      const item = new vscode.CompletionItem(v, vscode.CompletionItemKind.EnumMember);
      item.detail = 'supported by this host';
      item.sortText = `0${String(i).padStart(4, '0')}`;
      item.range = range;
      items.push(item);
    });
    for (const v of schema) {
      if (seen.has(v)) continue;
      const item = new vscode.CompletionItem(v, vscode.CompletionItemKind.Value);
      item.detail = host.length > 0 ? 'in the schema (not reported by this host)' : 'in the schema';
      item.sortText = `1${v}`;
      item.range = range;
      items.push(item);
    }
  }

  async provideHover(doc: vscode.TextDocument, position: vscode.Position): Promise<vscode.Hover | undefined> {
    if (!isEditorDocument(doc)) return undefined;
    const text = doc.getText();
    const w = wordAt(text, doc.offsetAt(position));
    if (!w) return undefined;
    const ctx = cursorContext(text, w.start);
    const loaded = await this.schemas.grammarFor(doc);
    const range = new vscode.Range(doc.positionAt(w.start), doc.positionAt(w.end));
    const hover = new vscode.MarkdownString();
    if (ctx.kind === 'elementName') {
      const path = [...ctx.path, ...(ctx.closing ? [] : [w.word])];
      const described = describeElement(path);
      hover.appendMarkdown(md`**\\<${w.word}\\>**${described ? ` — ${described}` : ''}\n\n`);
      const defs = loaded ? defsAt(loaded.grammar, path) : undefined;
      if (loaded && defs) {
        const info = loaded.grammar.info(defs);
        if (info.attributes.size > 0) hover.appendMarkdown(md`Attributes: ${[...info.attributes.keys()].join(', ')}\n\n`);
        if (info.childNames.length > 0) hover.appendMarkdown(md`Children: ${info.childNames.slice(0, 30).join(', ')}${info.childNames.length > 30 ? ' …' : ''}\n\n`);
        hover.appendMarkdown(md`Defined in ${origins(defs)} (${loaded.origin.description})`);
      }
      return new vscode.Hover(hover, range);
    }
    if (ctx.kind === 'attributeName' && loaded) {
      const defs = defsAt(loaded.grammar, ctx.path);
      const vs = defs ? loaded.grammar.info(defs).attributes.get(w.word) : undefined;
      if (!vs) return undefined;
      hover.appendMarkdown(md`**${w.word}** (attribute of \\<${ctx.path[ctx.path.length - 1] ?? ''}\\>)\n\n`);
      if (vs.values.size > 0) hover.appendMarkdown(md`Values: ${[...vs.values].join(', ')}${vs.free ? ' (or other text)' : ''}`);
      return new vscode.Hover(hover, range);
    }
    return undefined;
  }
}
