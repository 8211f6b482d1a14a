// The host-resource commands (pools, volumes, networks, host devices) as entries of the one
// command table (../registry.ts).

import type { CommandHandler } from '../commandHandler';
import type { CommandEntry } from '../registry';
import { networkTable } from './networkCommands';
import { poolTable } from './poolCommands';
import { secretTable } from './secretCommands';
import { volumeTable } from './volumeCommands';
import { xmlTable } from './xmlAndCopy';

const table: readonly (readonly [id: string, title: string, handler: CommandHandler])[] = [...poolTable, ...volumeTable, ...networkTable, ...secretTable, ...xmlTable];

export const resourceCommands: readonly CommandEntry[] = table.map(([id, title, handler]) => ({
  id,
  title,
  run: (deps, ...args: unknown[]) => handler(deps, args[0], ...args.slice(1)),
}));
