// The guest agent commands (VM context menu → Guest Agent, the details tab's Guest section, the
// palette): Set User Password…, Freeze/Thaw File Systems, Sync Guest Clock, Shut Down via Agent,
// Add Guest Agent Channel. All go through src/libvirt/guestAgent.ts (libvirt's APIs). When the
// agent cannot be reached the message says why and offers the way out: Add Guest Agent Channel for
// a VM without the channel, the install lines for a guest whose agent does not run.

import * as vscode from 'vscode';
import { AddHardwareModel } from '../../forms/addHardware';
import { AGENT_CHANNEL_NAME, agentChannelState, GuestAgent, GuestAgentError } from '../../libvirt/guestAgent';
import { AGENT_ENABLE_LINE, AGENT_INSTALL_LINES } from '../../libvirt/guestFacts';
import { UserCancelledError } from '../../ui/cancel';
import { runVmAction, type BulkReport } from '../bulk/runVmAction';
import type { CommandHandler } from '../commandHandler';
import type { PickItem } from '../prompts';
import type { CommandDeps } from '../registry';
import { resolveTarget, resolveTargets, type VmTarget } from '../vmTargets';

export const ADD_CHANNEL_ACTION = 'Add Guest Agent Channel';
const INSTALL_ACTION = 'How to Install the Agent';

/** The install lines as plain text (a modal's detail, the log). */
export function installText(): string {
  return ['Install and start qemu-guest-agent in the guest:', ...AGENT_INSTALL_LINES.map((l) => `• ${l.os}: ${l.command}`), `Then, on Linux: ${AGENT_ENABLE_LINE}`].join('\n');
}

/** Says why the agent is unreachable and offers what fixes it; resolves once the user chose. */
export async function explainAgentProblem(deps: CommandDeps, t: VmTarget, e: GuestAgentError): Promise<void> {
  if (e.problem === 'noChannel') {
    const choice = await vscode.window.showWarningMessage(`${t.dom.name}: ${e.message}`, ADD_CHANNEL_ACTION, INSTALL_ACTION);
    if (choice === ADD_CHANNEL_ACTION) await addAgentChannel(deps, t);
    else if (choice === INSTALL_ACTION) await showInstallHelp(t.dom.name);
  } else if (e.problem === 'notConnected') {
    const choice = await vscode.window.showWarningMessage(`${t.dom.name}: ${e.message}`, INSTALL_ACTION);
    if (choice === INSTALL_ACTION) await showInstallHelp(t.dom.name);
  }
}

async function showInstallHelp(vmName: string): Promise<void> {
  await vscode.window.showInformationMessage(`Guest agent for ${vmName}`, { modal: true, detail: installText() });
}

/** Runs one agent action on one VM; an unreachable agent gets its explanation instead of a bare error. */
async function withAgent<R>(deps: CommandDeps, t: VmTarget, title: string, action: (a: GuestAgent) => Promise<R>): Promise<R> {
  try {
    return await action(new GuestAgent(t.conn, t.dom));
  } catch (e) {
    if (GuestAgentError.is(e) && (e.problem === 'noChannel' || e.problem === 'notConnected')) {
      deps.log.warn(`${title} (${t.dom.name}): ${e.message}`);
      void explainAgentProblem(deps, t, e);
      throw new UserCancelledError(title);
    }
    throw e;
  }
}

/** One agent action over the selected running VMs, with progress and one summary (as the lifecycle commands). */
function bulkAgentCommand(title: string, progressVerb: string, pastVerb: string, action: (a: GuestAgent) => Promise<unknown>): CommandHandler {
  return async (deps, node, selected): Promise<BulkReport> => {
    const targets = await resolveTargets(deps, node, selected, { title, states: ['running'], many: true, none: 'No running VMs.' });
    return runVmAction(deps, targets, { progressVerb, pastVerb }, (t) => (targets.length === 1 ? withAgent(deps, t, title, action) : action(new GuestAgent(t.conn, t.dom))));
  };
}

export const freezeFilesystemsVm = bulkAgentCommand('Freeze File Systems', 'Freezing the file systems of', 'Froze the file systems of', (a) => a.freeze());
export const thawFilesystemsVm = bulkAgentCommand('Thaw File Systems', 'Thawing the file systems of', 'Thawed the file systems of', (a) => a.thaw());
export const syncGuestClockVm = bulkAgentCommand('Sync Guest Clock', 'Syncing the clock of', 'Synced the clock of', (a) => a.syncTime());
export const shutdownViaAgentVm = bulkAgentCommand('Shut Down via Agent', 'Shutting down (guest agent)', 'Asked the guest agent to shut down', (a) => a.shutdown());

export const SYNC_CLOCK_ACTION = 'Sync Guest Clock';

/**
 * After Resume or Restore the guest's clock lags by the time it stood still. Per the setting
 * libvirtVms.guestAgent.syncClockAfterResume: 'ask' offers Sync Guest Clock (only when the agent
 * answers, so VMs without one are left in peace), 'always' syncs, 'never' does nothing.
 */
export async function offerClockSync(deps: CommandDeps, t: VmTarget, what: 'resumed' | 'restored'): Promise<void> {
  const mode = vscode.workspace.getConfiguration('libvirtVms.guestAgent').get<string>('syncClockAfterResume', 'ask');
  if (mode === 'never') return;
  const agent = new GuestAgent(t.conn, t.dom);
  try {
    await agent.ping(2);
  } catch (e) {
    deps.log.debug(`${t.dom.name} ${what}: no clock sync, the guest agent does not answer (${e instanceof Error ? e.message : String(e)})`);
    return;
  }
  if (mode === 'ask') {
    const choice = await vscode.window.showInformationMessage(`${t.dom.name} was ${what}: its clock is behind by the time it was stopped.`, SYNC_CLOCK_ACTION);
    if (choice !== SYNC_CLOCK_ACTION) return;
  }
  await agent.syncTime();
  deps.log.info(`${t.dom.name} ${what}: synced the guest clock through the guest agent`);
}

const OTHER_USER = '\0other';

/**
 * Set User Password…: the user from a quick pick (the users logged in now, root, or any name typed),
 * the password twice in masked input boxes. The password goes only to libvirt (which hands it to
 * the agent); it is never logged or kept.
 */
export const setUserPasswordVm: CommandHandler = async (deps, node, selected) => {
  const title = 'Set User Password';
  const t = await resolveTarget(deps, node, selected, { title, states: ['running'], none: 'No running VMs.' });
  const facts = await withAgent(deps, t, title, (a) => a.facts());
  const loggedIn = [...new Set((facts.users ?? []).map((u) => u.name))];
  const items: PickItem<string>[] = [
    ...loggedIn.map((name) => ({ label: name, description: 'logged in now', value: name })),
    ...(loggedIn.includes('root') ? [] : [{ label: 'root', description: 'administrator', value: 'root' }]),
    { label: 'Other user…', description: 'type a user name', value: OTHER_USER },
  ];
  const pick = await deps.prompts.pickOne({ title: `${title}: ${t.dom.name}`, placeHolder: 'Whose password to set in the guest', items });
  if (!pick) throw new UserCancelledError(title);
  let user = pick.value;
  if (user === OTHER_USER) {
    const typed = await deps.prompts.input({
      title: `${title}: ${t.dom.name}`,
      prompt: 'User name in the guest',
      validate: (v) => (v.trim() === '' ? 'Enter a user name.' : /[\s:]/.test(v) ? 'A user name has no spaces or colons.' : undefined),
    });
    if (typed === undefined) throw new UserCancelledError(title);
    user = typed.trim();
  }
  const password = await deps.prompts.input({
    title: `${title}: ${user} on ${t.dom.name}`,
    prompt: `New password for ${user}`,
    password: true,
    validate: (v) => (v === '' ? 'Enter a password.' : undefined),
  });
  if (password === undefined) throw new UserCancelledError(title);
  const again = await deps.prompts.input({
    title: `${title}: ${user} on ${t.dom.name}`,
    prompt: `Type the new password for ${user} again`,
    password: true,
    validate: (v) => (v !== password ? 'The passwords do not match.' : undefined),
  });
  if (again === undefined) throw new UserCancelledError(title);
  if (again !== password) throw new Error('The passwords do not match; nothing was changed.');
  await withAgent(deps, t, title, (a) => a.setUserPassword(user, password));
  deps.log.info(`${title}: set the password of ${user} in ${t.dom.name}`);
  void vscode.window.showInformationMessage(`Set the password of ${user} in ${t.dom.name}.`);
  return user;
};

/**
 * Add Guest Agent Channel: the channel device as Add Hardware adds it (the channel kind's defaults,
 * through AddHardwareModel: define with VALIDATE, plugged in live when libvirt can, else at the
 * next boot, which this one click accepts without asking).
 */
export async function addAgentChannel(deps: CommandDeps, t: VmTarget): Promise<string> {
  const title = ADD_CHANNEL_ACTION;
  const xml = await t.conn.domainGetXmlDesc(t.dom, 0);
  if (agentChannelState(xml) !== 'none') {
    void vscode.window.showInformationMessage(`${t.dom.name} already has a guest agent channel.`);
    return 'present';
  }
  const model = new AddHardwareModel(t.conn, t.dom, { confirmNextBoot: () => Promise.resolve(true) });
  const outcome = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `${title} to ${t.dom.name}…` }, () =>
    model.finish('channel', { type: 'unix', targetType: 'virtio', targetName: AGENT_CHANNEL_NAME }),
  );
  deps.log.info(`${title}: ${outcome.summary}`);
  // Not awaited: the command (and the details tab's button) is done once the channel is added.
  void vscode.window
    .showInformationMessage(`${outcome.summary} Install qemu-guest-agent in the guest${outcome.live ? '' : ' and boot it again'} for the agent to answer.`, INSTALL_ACTION)
    .then((choice) => (choice === INSTALL_ACTION ? showInstallHelp(t.dom.name) : undefined));
  return outcome.summary;
}

export const addAgentChannelVm: CommandHandler = async (deps, node, selected) => {
  const t = await resolveTarget(deps, node, selected, { title: ADD_CHANNEL_ACTION, states: 'any', none: 'No VMs.' });
  return addAgentChannel(deps, t);
};
