// New VM…: the wizard on a connected host (the clicked connection, or picked), its facts read
// with progress; the VM made, the tree refreshed and, when it was started, its console opened.

import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { beginInstallation } from '../../forms/createVm';
import { newVmFacts } from '../../forms/newVmFacts';
import { NewVmPanel } from '../../webviews/newVm/panel';
import type { VmTemplate } from '../../forms/vmTemplates';
import type { CommandHandler } from '../commandHandler';
import type { CommandDeps } from '../registry';
import type { ResourceHost } from '../../views/resources/resourceApi';
import { saveWizardTemplate } from './templateCommands';
import { publicKeysIn } from './templateStore';
import { openDetailsForInstall } from '../details/openDetails';
import { pickHost } from '../resources/resourceTargets';
import { NotConnectedError } from '../vmTargets';

/** The open wizards, newest last (the extension-host tests drive them). */
export const openWizards: NewVmPanel[] = [];

export const newVm: CommandHandler = async (deps, node) => openWizard(deps, await pickHost(deps, node, 'New VM'));

/** The wizard on a host, optionally started from a template (its answers filled in). */
export async function openWizard(deps: CommandDeps, host: ResourceHost, template?: VmTemplate): Promise<NewVmPanel> {
  const conn = deps.tree.session(host.id)?.connection();
  if (!conn) throw new NotConnectedError(host.config.name);
  const facts = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `New VM: reading ${host.config.name}…` }, () => newVmFacts(conn, deps.osinfo.forHost(host.config.uri)));
  const panel = new NewVmPanel({
    extensionUri: deps.context.extensionUri,
    hostName: host.config.name,
    ...(template ? { templateName: template.name } : {}),
    conn,
    facts,
    callbacks: {
      log: deps.log,
      pickLocalFile: async (kind) => {
        const picked = await vscode.window.showOpenDialog({
          title: kind === 'iso' ? `Upload an ISO to ${host.config.name}` : `Upload a disk image to ${host.config.name}`,
          canSelectMany: false,
          openLabel: 'Upload',
          filters: kind === 'iso' ? { 'ISO images': ['iso', 'ISO'], 'All files': ['*'] } : { 'Disk images': ['qcow2', 'img', 'raw', 'QCOW2', 'IMG', 'RAW'], 'All files': ['*'] },
        });
        return picked?.[0]?.fsPath;
      },
      askExistingVolume: async (pool, volume, alternative, kind) => {
        const use = 'Use Existing Volume';
        const rename = `Upload as ${alternative}`;
        const role = kind === 'iso' ? 'as the install media' : "as the VM's disk image";
        const answer = await vscode.window.showWarningMessage(`Pool ${pool} already has a volume ${volume}.`, { modal: true, detail: `Use that volume ${role}, or upload the file as a new volume ${alternative}. Nothing is overwritten.` }, use, rename);
        return answer === use ? 'use' : answer === rename ? 'rename' : undefined;
      },
      saveTemplate: (answers) => saveWizardTemplate(deps, answers),
      pickSshKeys: async () => {
        const dir = path.join(os.homedir(), '.ssh');
        const keys = publicKeysIn(dir);
        if (keys.length === 0) {
          void vscode.window.showInformationMessage(`No public keys (*.pub) in ${dir}.`);
          return [];
        }
        const picked = await deps.prompts.pickMany({ title: 'SSH public keys for cloud-init', placeHolder: `Keys in ${dir}`, items: keys.map((k) => ({ label: k.file, description: k.key.split(' ')[0], detail: k.key.split(' ').slice(2).join(' ') || undefined, value: k.key })) });
        return (picked ?? []).map((p) => p.value);
      },
      created: async (vm, name, { customize }) => {
        deps.log.info(`Created VM ${name} on ${host.config.name}${vm.started ? ' and started it' : ''}.`);
        deps.tree.refresh();
        panel.panel.dispose();
        const pending = vm.pendingInstall;
        if (customize && pending) {
          // Begin Installation in the details tab continues Create: the start (and, for a network
          // install, the final definition and the removal of the installer kernel and initrd).
          await openDetailsForInstall(deps, { id: host.id, uri: host.config.uri }, conn, vm.domain, async () => {
            const { leftBehind } = await beginInstallation(conn, pending);
            deps.tree.refresh();
            if (leftBehind.length > 0) deps.log.warn(`Begin Installation of ${name}: could not remove ${leftBehind.join(', ')}.`);
            // Not awaited: the console tab opens beside the details, which answer at once.
            void vscode.commands.executeCommand('libvirtVms.console.open', { connectionId: host.id, uuid: vm.domain.uuid });
            return `${name} is installing.`;
          });
          return;
        }
        if (vm.started) await vscode.commands.executeCommand('libvirtVms.console.open', { connectionId: host.id, uuid: vm.domain.uuid });
        else void vscode.window.showInformationMessage(`VM ${name} was created on ${host.config.name}.`);
      },
    },
  });
  if (template) panel.controller.useTemplate(template);
  openWizards.push(panel);
  panel.panel.onDidDispose(() => openWizards.splice(openWizards.indexOf(panel), 1));
  return panel;
}
