// The VM commands of the one command table (registry.ts). Ids `libvirtVms.vm.*`; each handler
// takes (clicked node, selection) from the tree, `{ connectionId, uuid }` refs from other callers,
// or nothing from the palette (then a quick pick asks).

import { cloneVm } from './clone/cloneVm';
import type { CommandHandler } from './commandHandler';
import { addHardwareVm } from './details/addHardware';
import { newVm } from './create/newVm';
import { templateCommands } from './create/templateCommands';
import { openDetailsVm } from './details/openDetails';
import { showSuggestions } from './details/suggestions';
import { deleteVm } from './delete/deleteVm';
import { migrateVm, switchToPostCopyVm, SWITCH_POST_COPY_COMMAND } from './migrate/migrateVm';
import type { CommandEntry } from './registry';
import { disableAutostartVm, enableAutostartVm } from './vm/autostart';
import { copyIpVm } from './vm/copyIp';
import { copyUuidVm } from './vm/copyUuid';
import { discardSavedStateVm } from './vm/discardSavedState';
import { editDescriptionVm, editTitleVm } from './vm/editMetadata';
import { forceOffVm } from './vm/forceOff';
import { addAgentChannelVm, freezeFilesystemsVm, setUserPasswordVm, shutdownViaAgentVm, syncGuestClockVm, thawFilesystemsVm } from './vm/guestAgentCommands';
import { forceResetVm } from './vm/forceReset';
import { pauseVm } from './vm/pause';
import { rebootVm } from './vm/reboot';
import { renameVm } from './vm/rename';
import { restoreVm } from './vm/restore';
import { resumeVm } from './vm/resume';
import { saveVm } from './vm/save';
import { sendNmiVm } from './vm/sendNmi';
import { shutdownVm } from './vm/shutdown';
import { startVm } from './vm/start';

const table: readonly (readonly [id: string, title: string, handler: CommandHandler])[] = [
  ['libvirtVms.vm.start', 'Start VM', startVm],
  ['libvirtVms.vm.shutdown', 'Shut Down VM', shutdownVm],
  ['libvirtVms.vm.reboot', 'Reboot VM', rebootVm],
  ['libvirtVms.vm.forceOff', 'Force Off VM', forceOffVm],
  ['libvirtVms.vm.forceReset', 'Force Reset VM', forceResetVm],
  ['libvirtVms.vm.pause', 'Pause VM', pauseVm],
  ['libvirtVms.vm.resume', 'Resume VM', resumeVm],
  ['libvirtVms.vm.save', 'Save VM', saveVm],
  ['libvirtVms.vm.restore', 'Restore VM', restoreVm],
  ['libvirtVms.vm.discardSavedState', 'Discard Saved State', discardSavedStateVm],
  ['libvirtVms.vm.sendNmi', 'Send NMI', sendNmiVm],
  ['libvirtVms.vm.enableAutostart', 'Enable Autostart', enableAutostartVm],
  ['libvirtVms.vm.disableAutostart', 'Disable Autostart', disableAutostartVm],
  ['libvirtVms.vm.rename', 'Rename VM', renameVm],
  ['libvirtVms.vm.editTitle', 'Edit Title', editTitleVm],
  ['libvirtVms.vm.editDescription', 'Edit Description', editDescriptionVm],
  ['libvirtVms.vm.clone', 'Clone VM', cloneVm],
  ['libvirtVms.vm.delete', 'Delete VM', deleteVm],
  ['libvirtVms.vm.migrate', 'Migrate VM', migrateVm],
  [SWITCH_POST_COPY_COMMAND, 'Switch Migration to Post-Copy', switchToPostCopyVm],
  ['libvirtVms.vm.copyUuid', 'Copy UUID', copyUuidVm],
  ['libvirtVms.vm.copyIp', 'Copy IP Address', copyIpVm],
  ['libvirtVms.vm.openDetails', 'Open Details', openDetailsVm],
  ['libvirtVms.vm.create', 'New VM', newVm],
  ['libvirtVms.vm.addHardware', 'Add Hardware', addHardwareVm],
  ['libvirtVms.vm.guest.setUserPassword', 'Set User Password', setUserPasswordVm],
  ['libvirtVms.vm.guest.freezeFilesystems', 'Freeze File Systems', freezeFilesystemsVm],
  ['libvirtVms.vm.guest.thawFilesystems', 'Thaw File Systems', thawFilesystemsVm],
  ['libvirtVms.vm.guest.syncClock', 'Sync Guest Clock', syncGuestClockVm],
  ['libvirtVms.vm.guest.shutdown', 'Shut Down via Agent', shutdownViaAgentVm],
  ['libvirtVms.vm.guest.addChannel', 'Add Guest Agent Channel', addAgentChannelVm],
  ['libvirtVms.connection.showSuggestions', 'Show Suggestions', showSuggestions],
  ...templateCommands,
];

export const vmCommands: readonly CommandEntry[] = table.map(([id, title, handler]) => ({
  id,
  title,
  run: (deps, node, selected) => handler(deps, node, selected),
}));
