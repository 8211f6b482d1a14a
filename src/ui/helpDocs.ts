// Opens a section of the guides bundled with the extension (docs/*.md, listed in .vscodeignore)
// in VS Code's Markdown preview. Bundled rather than linked on the web: the extension often runs on
// a remote host (Remote-SSH, code-server) that may have no internet access, and the guide then
// matches the installed version.
//
// A section is not opened as `guide.md#anchor` in the preview's editor: with a remote extension
// host (code-server 4.100, measured in test/vscode/ui/keyboardHelp.test.ts) that preview stays
// blank for good. Instead the guide's source is shown with the section's heading at the top and
// the Markdown preview opened from it, which starts at the editor's first visible line; the source
// tab is then closed.

import * as vscode from 'vscode';
import { headingLine, type HelpDoc, type HelpTopic } from './errorHelp';

/** The Markdown preview's editor (the same one its links to `file.md` open). */
const MARKDOWN_PREVIEW = 'vscode.markdown.preview.editor';

export class HelpDocs {
  constructor(private readonly extensionUri: vscode.Uri) {}

  uri(doc: HelpDoc, section?: string): vscode.Uri {
    const file = vscode.Uri.joinPath(this.extensionUri, 'docs', `${doc}.md`);
    return section ? file.with({ fragment: section }) : file;
  }

  /** Opens a guide at a section; the plain text editor when the Markdown preview is unavailable. */
  async open(doc: HelpDoc, section?: string): Promise<void> {
    const file = this.uri(doc);
    const line = section ? headingLine(new TextDecoder().decode(await vscode.workspace.fs.readFile(file)), section) : undefined;
    if (line === undefined) {
      try {
        await vscode.commands.executeCommand('vscode.openWith', file, MARKDOWN_PREVIEW);
      } catch {
        await vscode.window.showTextDocument(file, { preview: true });
      }
      return;
    }
    const at = new vscode.Range(line, 0, line, 0);
    const editor = await vscode.window.showTextDocument(file, { preview: true, selection: at });
    if (editor.visibleRanges[0]?.start.line !== line) {
      const scrolled = new Promise<void>((resolve) => {
        const sub = vscode.window.onDidChangeTextEditorVisibleRanges((e) => {
          if (e.textEditor !== editor) return;
          sub.dispose();
          resolve();
        });
        setTimeout(() => {
          sub.dispose();
          resolve();
        }, 1000);
      });
      editor.revealRange(at, vscode.TextEditorRevealType.AtTop);
      await scrolled;
    }
    try {
      await vscode.commands.executeCommand('markdown.showPreview', file);
    } catch {
      return; // The source stays open at the section.
    }
    const source = vscode.window.tabGroups.all
      .flatMap((g) => g.tabs)
      .filter((t) => t.input instanceof vscode.TabInputText && t.input.uri.toString() === file.toString() && !t.isDirty);
    await vscode.window.tabGroups.close(source, true);
  }

  openTopic(topic: HelpTopic): Promise<void> {
    return this.open(topic.doc, topic.section);
  }
}
