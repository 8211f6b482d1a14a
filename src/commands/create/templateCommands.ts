// VM templates in VS Code: New VM from Template… (a quick pick of the built-in and the user's
// templates, then the wizard on a host with the answers filled in), Save as Template… on a VM (its
// configuration, optionally with a copy of its disk as the base of new VMs' disks) and in the
// wizard, Import Template…, Export Template… and Delete Template…. The templates folder is the
// `libvirtVms.templates.folder` setting, or the extension's global storage (per user, for every
// host); see src/forms/vmTemplates.ts for the format and why files.

import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { systemDiskVolume, templateFromVm } from '../../forms/templateFromVm';
import { BUILT_IN_TEMPLATES, stringifyTemplate, TEMPLATE_FILE_SUFFIX, type VmTemplate } from '../../forms/vmTemplates';
import { VirDomainXMLFlags } from '../../libvirt/generated/libvirtConstants';
import { UserCancelledError } from '../../ui/cancel';
import type { CommandHandler } from '../commandHandler';
import type { PickItem } from '../prompts';
import type { CommandDeps } from '../registry';
import { pickHost } from '../resources/resourceTargets';
import { resolveTarget } from '../vmTargets';
import { openWizard } from './newVm';
import { TemplateStore, type StoredTemplate } from './templateStore';

export const TEMPLATES_FOLDER_SETTING = 'libvirtVms.templates.folder';

/** The user's templates folder: the setting (`~` expands), else `<global storage>/templates`. */
export function templateStore(deps: Pick<CommandDeps, 'context'>): TemplateStore {
  const setting = vscode.workspace.getConfiguration().get<string>(TEMPLATES_FOLDER_SETTING, '').trim();
  const folder = setting !== '' ? path.resolve(setting.replace(/^~(?=$|\/)/, os.homedir())) : path.join(deps.context.globalStorageUri.fsPath, 'templates');
  return new TemplateStore(folder);
}

type Choice = { readonly template: VmTemplate; readonly file?: string };

/** A quick pick of templates: the user's first, then the built-in ones; broken files say why. */
async function pickTemplate(deps: CommandDeps, title: string, opts: { readonly builtIns: boolean }): Promise<Choice> {
  const store = templateStore(deps);
  const { templates, broken } = store.list();
  for (const b of broken) deps.log.warn(`Template file ${b.file} is not used: ${b.error}`);
  const item = (t: StoredTemplate | VmTemplate): PickItem<Choice> => {
    const template = 'template' in t ? t.template : t;
    const file = 'file' in t ? t.file : undefined;
    return { label: `$(${template.builtIn ? 'package' : 'file-code'}) ${template.name}`, description: template.builtIn ? 'built-in' : path.basename(file ?? ''), detail: template.description ?? summary(template), value: { template, ...(file ? { file } : {}) } };
  };
  const items = [...templates.map(item), ...(opts.builtIns ? BUILT_IN_TEMPLATES.map(item) : [])];
  if (items.length === 0) throw new Error(`No templates in ${store.folder}: use Save as Template… on a VM, or Import Template….`);
  const placeHolder = broken.length > 0 ? `${broken.length} file${broken.length === 1 ? '' : 's'} in the templates folder could not be read (see the log)` : `Templates in ${store.folder}${opts.builtIns ? ' and built-in ones' : ''}`;
  const pick = await deps.prompts.pickOne({ title, placeHolder, items });
  if (!pick) throw new UserCancelledError(title);
  return pick.value;
}

function summary(t: VmTemplate): string {
  const v = t.values;
  return [v['method'], v['memory'] !== undefined ? `${String(v['memory'])} MiB` : undefined, v['vcpus'] !== undefined ? `${String(v['vcpus'])} vCPUs` : undefined, v['firmware']].filter((x) => x !== undefined).join(' · ');
}

/** Asks for a template's name; a taken one is replaced only when the user says so. Returns name and whether to replace. */
async function askTemplateName(deps: CommandDeps, title: string, suggested: string): Promise<{ name: string; replace: boolean }> {
  const store = templateStore(deps);
  const name = await deps.prompts.input({ title, prompt: `The template's name (kept as ${TEMPLATE_FILE_SUFFIX} in ${store.folder})`, value: suggested, validate: (v) => (v.trim() === '' ? 'Enter a name' : v.length > 200 ? 'At most 200 characters' : undefined) });
  if (name === undefined) throw new UserCancelledError(title);
  const file = store.fileFor(name.trim());
  const existing = store.list().templates.find((t) => t.file === file);
  if (!existing) return { name: name.trim(), replace: false };
  const ok = await deps.prompts.confirm({ message: `Replace the template "${existing.template.name}"?`, detail: `${file} already holds it; it is overwritten.`, button: 'Replace' });
  if (!ok) throw new UserCancelledError(title);
  return { name: name.trim(), replace: true };
}

/** The wizard's Save as Template… (its answers, no password). */
export async function saveWizardTemplate(deps: CommandDeps, answers: Pick<VmTemplate, 'values' | 'devices'> & { readonly suggestedName: string; readonly notes: readonly string[] }): Promise<string | undefined> {
  let asked;
  try {
    asked = await askTemplateName(deps, 'Save as Template', answers.suggestedName);
  } catch (e) {
    if (e instanceof UserCancelledError) return undefined;
    throw e;
  }
  const file = templateStore(deps).save({ name: asked.name, values: answers.values, devices: answers.devices }, { replace: asked.replace });
  deps.log.info(`Saved the template ${asked.name} to ${file}.${answers.notes.length > 0 ? ` ${answers.notes.join(' ')}` : ''}`);
  return `Saved the template ${asked.name}.${answers.notes.length > 0 ? ` ${answers.notes.join(' ')}` : ''}`;
}

export const newVmFromTemplate: CommandHandler = async (deps, node) => {
  const { template } = await pickTemplate(deps, 'New VM from Template', { builtIns: true });
  return openWizard(deps, await pickHost(deps, node, `New VM from ${template.name}`), template);
};

/**
 * Save as Template… on a VM: its configuration as wizard answers and hardware. With "and its disk",
 * the VM's system disk is copied (the VM must be shut off, so the copy is consistent) into a base
 * volume beside it; VMs from the template get a copy-on-write disk of that base.
 */
export const saveVmAsTemplate: CommandHandler = async (deps, node, selected) => {
  const title = 'Save as Template';
  const t = await resolveTarget(deps, node, selected, { title, states: 'any', none: 'No VMs.' });
  const vol = await systemDiskVolume(t.conn, await t.conn.domainGetXmlDesc(t.dom, VirDomainXMLFlags.INACTIVE));
  const items: PickItem<boolean>[] = [{ label: 'Configuration only', detail: 'OS, memory, vCPUs, firmware, TPM, network, disk size and extra hardware; VMs from it are installed as usual.', value: false }];
  if (vol) items.push({ label: 'Configuration and a copy of its disk', detail: `${vol.pool}/${vol.name} is copied into a base volume; VMs from the template start from it (copy-on-write). The VM must be shut off.`, value: true });
  const how = items.length === 1 ? items[0] : await deps.prompts.pickOne({ title: `${title}: ${t.dom.name}`, placeHolder: 'What the template keeps', items });
  if (!how) throw new UserCancelledError(title);
  const { name, replace } = await askTemplateName(deps, `${title}: ${t.dom.name}`, t.dom.name);
  const made = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Save as Template: ${name}` }, (progress) =>
    templateFromVm(t.conn, t.dom, name, {
      base: how.value,
      description: `Saved from ${t.dom.name} on ${t.host.config.name}.`,
      copying: (from, to) => progress.report({ message: `copying ${from.pool}/${from.name} to ${to}…` }),
    }),
  );
  const { template, notes, base } = made;
  if (base) deps.log.info(`Save as Template: copied the disk of ${t.dom.name} to ${base.pool}/${base.name}.`);
  let file: string;
  try {
    file = templateStore(deps).save(template, { replace });
  } catch (e) {
    // The base volume was made for this template alone: without the template nobody uses it.
    if (base) await t.conn.storageVolDelete(base, 0).catch((d: unknown) => deps.log.error(`Could not remove ${base.pool}/${base.name} again: ${String(d)}`));
    throw e;
  }
  for (const n of notes) deps.log.info(`Save as Template ${name}: ${n}`);
  void vscode.window.showInformationMessage(`Saved the template ${name}${base ? ` with the base volume ${base.pool}/${base.name}` : ''}.${notes.length > 0 ? ` ${notes.join(' ')}` : ''}`);
  return { file, template, ...(base ? { base } : {}) };
};

/** Import Template…: a file from the Explorer's context menu (a *.vmtemplate.yaml), else an open dialog. */
export const importTemplate: CommandHandler = async (deps, node) => {
  const picked = node instanceof vscode.Uri ? [node] : await vscode.window.showOpenDialog({ title: 'Import Template', canSelectMany: false, openLabel: 'Import', filters: { 'VM templates': ['yaml', 'yml'] } });
  const file = picked?.[0]?.fsPath;
  if (!file) throw new UserCancelledError('Import Template');
  return importTemplateFile(deps, file);
};

/** Import: reads and checks the file (errors name the line), then keeps a copy in the templates folder. */
export async function importTemplateFile(deps: CommandDeps, file: string): Promise<string> {
  const template = TemplateStore.read(file);
  const s = templateStore(deps);
  const existing = s.list().templates.find((t) => t.file === s.fileFor(template.name));
  if (existing && !(await deps.prompts.confirm({ message: `Replace the template "${existing.template.name}"?`, detail: `${existing.file} already holds a template of that name; it is overwritten with ${file}.`, button: 'Replace' }))) throw new UserCancelledError('Import Template');
  const saved = s.save(template, { replace: existing !== undefined });
  void vscode.window.showInformationMessage(`Imported the template ${template.name}.`);
  return saved;
}

export const exportTemplate: CommandHandler = async (deps) => {
  const { template } = await pickTemplate(deps, 'Export Template', { builtIns: true });
  const target = await vscode.window.showSaveDialog({ title: `Export ${template.name}`, saveLabel: 'Export', defaultUri: vscode.Uri.file(path.join(os.homedir(), path.basename(templateStore(deps).fileFor(template.name)))), filters: { 'VM templates': ['yaml'] } });
  if (!target) throw new UserCancelledError('Export Template');
  await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(stringifyTemplate({ ...template, builtIn: false })));
  void vscode.window.showInformationMessage(`Exported ${template.name} to ${target.fsPath}.`);
  return target.fsPath;
};

export const deleteTemplate: CommandHandler = async (deps) => {
  const { template, file } = await pickTemplate(deps, 'Delete Template', { builtIns: false });
  if (!file) throw new Error('Built-in templates cannot be deleted.');
  const base = template.values['importMode'] === 'overlay' ? template.values['importVolume'] : undefined;
  const ok = await deps.prompts.confirm({
    message: `Delete the template "${template.name}"?`,
    detail: `Deletes the file ${file}. VMs made from it are not changed.${base !== undefined ? ` Its base volume ${String(base)} is kept (VMs made from the template start from it); delete it in the pool when none does.` : ''}`,
    button: 'Delete',
  });
  if (!ok) throw new UserCancelledError('Delete Template');
  templateStore(deps).delete(file);
  void vscode.window.showInformationMessage(`Deleted the template ${template.name}.`);
  return file;
};

export const templateCommands = [
  ['libvirtVms.template.createVm', 'New VM from Template', newVmFromTemplate],
  ['libvirtVms.vm.createTemplate', 'Save as Template', saveVmAsTemplate],
  ['libvirtVms.template.import', 'Import Template', importTemplate],
  ['libvirtVms.template.export', 'Export Template', exportTemplate],
  ['libvirtVms.template.delete', 'Delete Template', deleteTemplate],
] as const;
