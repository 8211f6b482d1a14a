// Help inside VS Code: the bundled guides (troubleshooting, passthrough, migration) and the
// extension's keyboard shortcuts in VS Code's Keyboard Shortcuts editor (where they are rebound).

import * as vscode from 'vscode';
import { HELP_DOCS, type HelpDoc } from '../ui/errorHelp';
import { HelpDocs } from '../ui/helpDocs';
import type { CommandEntry } from './registry';

/** `{ doc, section? }` from a command link (walkthrough, tree message) or a test. */
function helpArg(x: unknown): { doc: HelpDoc; section?: string } | undefined {
  if (typeof x !== 'object' || x === null) return undefined;
  const o = x as { doc?: unknown; section?: unknown };
  const doc = HELP_DOCS.find((d) => d.doc === o.doc)?.doc;
  if (!doc) return undefined;
  return typeof o.section === 'string' && /^[\p{L}\p{N}-]+$/u.test(o.section) ? { doc, section: o.section } : { doc };
}

export const helpCommands: readonly CommandEntry[] = [
  {
    id: 'libvirtVms.help.open',
    title: 'Open Help',
    async run(deps, arg) {
      const docs = new HelpDocs(deps.context.extensionUri);
      let target = helpArg(arg);
      if (!target) {
        const pick = await deps.prompts.pickOne({
          title: 'Virtual Machines: Help',
          placeHolder: 'Open a guide',
          items: HELP_DOCS.map((d) => ({ label: d.title, description: d.detail, value: d.doc })),
        });
        if (!pick) return undefined;
        target = { doc: pick.value };
      }
      await docs.open(target.doc, target.section);
      return docs.uri(target.doc, target.section).toString();
    },
  },
  {
    id: 'libvirtVms.help.keyboardShortcuts',
    title: 'Keyboard Shortcuts',
    async run(deps) {
      // Every command of the extension, bound or not, ready to be (re)bound.
      await vscode.commands.executeCommand('workbench.action.openGlobalKeybindings', `@ext:${deps.context.extension.id}`);
    },
  },
];
