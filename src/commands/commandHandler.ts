import type { CommandDeps } from './registry';

/**
 * A command: receives the clicked tree node and the selection (or nothing from the palette, or
 * `{ connectionId, uuid }` refs from other callers). Its result is returned to
 * `vscode.commands.executeCommand` callers.
 */
export type CommandHandler = (deps: CommandDeps, node?: unknown, selected?: unknown) => Promise<unknown>;
