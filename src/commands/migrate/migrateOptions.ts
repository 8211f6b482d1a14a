// The questions of Migrate…, as a multi-step quick input: destination, storage, options, then
// the few values some options need (bandwidth, migration address, peer-to-peer URI).
//
// Why a quick input and not a webview form: every choice is a pick from a short list or one
// value, which is what VS Code users expect from a quick pick (keyboard first, filterable,
// native in every theme, read by screen readers); the command stays usable from the palette and
// a multi-selection of checkboxes shows all toggles on one screen, each with a one-line
// explanation (e.g. what "unsafe" skips). Every step also goes through the prompt seam, which the
// extension-host tests answer. A form would add a webview, its message protocol and its checks for
// a dozen booleans, without showing more than the quick pick's descriptions do.
//
// Live or offline follows the VM's state, as in virt-manager: a running or paused VM is migrated
// live, a shut-off one offline (only its definition moves); libvirt refuses the other pairings.

import type { ConnectionEntry } from '../../connections/connectionRegistry';
import type { MigrationOptions } from '../../libvirt/migration';
import { UserCancelledError } from '../../ui/cancel';
import type { PickItem, Prompts } from '../prompts';

type Toggle = 'persistent' | 'undefineSource' | 'peerToPeer' | 'tunnelled' | 'autoConverge' | 'compressed' | 'postCopy' | 'unsafe' | 'bandwidth' | 'address';

interface ToggleDescription {
  readonly label: string;
  /** One line (about 80 characters): longer ones are cut off in the quick pick. */
  readonly detail: string;
  /** Offered for a live migration only. */
  readonly liveOnly: boolean;
  readonly picked: boolean;
}

/** One description per option: the pick list and the result are derived from it. */
export const TOGGLES: Readonly<Record<Toggle, ToggleDescription>> = {
  persistent: { label: 'Persistent on destination', detail: 'Define the VM on the destination, so it survives a shutdown there.', liveOnly: false, picked: true },
  undefineSource: { label: 'Undefine on source', detail: 'Remove the definition from this host once the VM runs on the destination.', liveOnly: false, picked: true },
  peerToPeer: {
    label: 'Peer-to-peer',
    detail: 'The source host connects to the destination itself; otherwise this client drives both.',
    liveOnly: false,
    picked: false,
  },
  tunnelled: { label: 'Tunnelled', detail: "Memory goes through libvirt's own connection (peer-to-peer only).", liveOnly: true, picked: false },
  autoConverge: { label: 'Auto-converge', detail: 'Slow the guest CPUs down when memory changes faster than it can be copied.', liveOnly: true, picked: false },
  compressed: { label: 'Compression', detail: 'Compress memory pages (XBZRLE): less traffic for more CPU.', liveOnly: true, picked: false },
  postCopy: {
    label: 'Allow post-copy',
    detail: 'Offers "Switch to Post-Copy": the VM moves at once, then fetches its memory.',
    liveOnly: true,
    picked: false,
  },
  unsafe: {
    label: 'Unsafe: skip safety checks',
    detail: "Skip libvirt's safety checks, e.g. of storage it cannot tell is shared.",
    liveOnly: false,
    picked: false,
  },
  bandwidth: { label: 'Limit bandwidth…', detail: 'Cap the migration at a number of MiB/s (asked next).', liveOnly: true, picked: false },
  address: { label: 'Migration address…', detail: "Where the memory stream connects, e.g. tcp://10.0.0.2 (asked next).", liveOnly: true, picked: false },
};

export interface MigrationChoice {
  readonly destination: ConnectionEntry;
  readonly options: MigrationOptions;
  /** Peer-to-peer: the destination's URI as the source host reaches it. */
  readonly destinationUri: string;
}

export interface AskInput {
  readonly prompts: Prompts;
  readonly vmName: string;
  readonly sourceName: string;
  /** Running or paused: live; shut off: offline. */
  readonly live: boolean;
  /** The other saved connections. */
  readonly destinations: readonly ConnectionEntry[];
  /** The storage choice offered first: copy when the destination does not see the disks. */
  readonly suggestCopy?: (destination: ConnectionEntry) => Promise<boolean>;
}

const cancelled = (): never => {
  throw new UserCancelledError('Migrate VM');
};

export async function askMigration(input: AskInput): Promise<MigrationChoice> {
  const { prompts, vmName, live } = input;
  const kind = live ? 'Live migration' : 'Offline migration (shut off: only the definition moves)';
  const title = (step: string): string => `Migrate "${vmName}": ${step}`;

  const dest = await prompts.pickOne({
    title: title('destination'),
    placeHolder: `${kind} from ${input.sourceName} to…`,
    items: input.destinations.map((e) => ({ label: e.config.name, description: e.config.uri, value: e })),
  });
  if (!dest) return cancelled();
  const destination = dest.value;

  let copyStorage: MigrationOptions['copyStorage'] = 'none';
  if (live) {
    const copyFirst = (await input.suggestCopy?.(destination)) ?? false;
    const shared: PickItem<MigrationOptions['copyStorage']> = { label: 'Shared storage', detail: 'The destination sees the same disk files (NFS, Ceph, a shared pool): nothing is copied.', value: 'none' };
    const full: PickItem<MigrationOptions['copyStorage']> = { label: 'Copy disks', detail: 'Copy every writable disk to the destination while the VM runs (full copy).', value: 'full' };
    const inc: PickItem<MigrationOptions['copyStorage']> = {
      label: 'Copy disks incrementally',
      detail: 'Copy only the top image: the destination has the backing images.',
      value: 'incremental',
    };
    const storage = await prompts.pickOne({
      title: title('storage'),
      placeHolder: copyFirst ? `${destination.config.name} does not see every disk of this VM` : 'Where are the disks?',
      items: copyFirst ? [full, inc, shared] : [shared, full, inc],
    });
    if (!storage) return cancelled();
    copyStorage = storage.value;
  }

  const toggles = (Object.keys(TOGGLES) as Toggle[]).filter((k) => live || !TOGGLES[k].liveOnly);
  const chosen = await prompts.pickMany({
    title: title('options'),
    placeHolder: `${kind} to ${destination.config.name}: press Enter to start`,
    items: toggles.map((k) => ({ label: TOGGLES[k].label, detail: TOGGLES[k].detail, picked: TOGGLES[k].picked, value: k })),
  });
  if (!chosen) return cancelled();
  const on = new Set(chosen.map((c) => c.value));

  let bandwidthMiBs: number | undefined;
  if (on.has('bandwidth')) {
    const v = await prompts.input({
      title: title('bandwidth limit'),
      prompt: 'MiB/s (a whole number; it can be raised later only by a new migration)',
      value: '100',
      validate: (s) => (/^[1-9][0-9]{0,6}$/.test(s.trim()) ? undefined : 'A whole number of MiB/s, at least 1'),
    });
    if (v === undefined) return cancelled();
    bandwidthMiBs = Number(v.trim());
  }
  let migrateUri: string | undefined;
  if (on.has('address')) {
    const v = await prompts.input({
      title: title('migration address'),
      prompt: 'URI QEMU connects to on the destination, e.g. tcp://10.0.0.2 or tcp://[fd00::2]:49152',
      value: 'tcp://',
      validate: (s) => (/^(tcp|rdma|unix):\/\/\S+$/.test(s.trim()) ? undefined : 'A tcp://, rdma:// or unix:// URI'),
    });
    if (v === undefined) return cancelled();
    migrateUri = v.trim();
  }
  let destinationUri = destination.config.uri;
  if (on.has('peerToPeer')) {
    const v = await prompts.input({
      title: title('destination URI for the source host'),
      prompt: `The source host (${input.sourceName}) opens this URI itself: it must be reachable and log in from there.`,
      value: destination.config.uri,
      validate: (s) => (/^[a-z0-9+]+:\/\/\S*$/i.test(s.trim()) ? undefined : 'A libvirt URI such as qemu+ssh://host/system'),
    });
    if (v === undefined) return cancelled();
    destinationUri = v.trim();
  }

  const options: MigrationOptions = {
    mode: live ? 'live' : 'offline',
    persistent: on.has('persistent'),
    undefineSource: on.has('undefineSource'),
    copyStorage,
    peerToPeer: on.has('peerToPeer'),
    tunnelled: on.has('tunnelled'),
    autoConverge: on.has('autoConverge'),
    compressed: on.has('compressed'),
    postCopy: on.has('postCopy'),
    unsafe: on.has('unsafe'),
    ...(bandwidthMiBs !== undefined ? { bandwidthMiBs } : {}),
    ...(migrateUri !== undefined ? { migrateUri } : {}),
  };
  return { destination, options, destinationUri };
}
