import * as vscode from 'vscode';
import { isCancellation } from './cancel';
import { helpForError, type HelpTopic } from './errorHelp';
import { errorMessage } from './log';

/** Extra plain-words guidance for errors that carry a known fix (matched by class name, never by text). */
export type ErrorHint = (err: unknown) => string | undefined;

export interface CommandRunnerOptions {
  readonly log: vscode.LogOutputChannel;
  readonly hints?: readonly ErrorHint[];
  /** Opens a guide's section; errors the guides explain get a "Help" button (src/ui/errorHelp.ts). */
  readonly openHelp?: (topic: HelpTopic) => unknown;
}

/**
 * Runs a user-initiated action: cancellation is silent, any other error is logged with its stack
 * and shown once, in plain words, with a "Show Log" button.
 */
export class CommandRunner {
  constructor(private readonly opts: CommandRunnerOptions) {}

  get log(): vscode.LogOutputChannel {
    return this.opts.log;
  }

  /** Opens a guide's section (undefined when none is wired). */
  get openHelp(): ((topic: HelpTopic) => unknown) | undefined {
    return this.opts.openHelp;
  }

  async run<T>(title: string, fn: () => Promise<T> | T): Promise<T | undefined> {
    try {
      return await fn();
    } catch (err) {
      if (isCancellation(err)) {
        this.opts.log.debug(`${title}: cancelled`);
        return undefined;
      }
      this.report(title, err);
      return undefined;
    }
  }

  /** Logs and shows an error without awaiting the notification. */
  report(title: string, err: unknown): void {
    this.opts.log.error(`${title} failed:`, err instanceof Error ? (err.stack ?? err.message) : errorMessage(err));
    const hint = this.opts.hints?.map((h) => h(err)).find((h) => h !== undefined);
    const text = `${title} failed: ${errorMessage(err)}${hint ? ` ${hint}` : ''}`;
    showWithHelp('error', text, err, this.opts);
  }
}

/** The notification's Help button: what it opens is named in the log, so the choice is traceable. */
export const HELP_BUTTON = 'Help';

/**
 * Shows an error or warning with "Show Log" and, when the guides explain the error, "Help" (which
 * opens that section). Used by the runner and by reports that only warn (a bulk action that
 * failed for some VMs).
 */
export function showWithHelp(
  severity: 'error' | 'warning',
  text: string,
  err: unknown,
  opts: { readonly log: vscode.LogOutputChannel; readonly openHelp?: (topic: HelpTopic) => unknown },
): void {
  const topic = opts.openHelp ? helpForError(err) : undefined;
  const buttons = topic ? [HELP_BUTTON, 'Show Log'] : ['Show Log'];
  const shown = severity === 'error' ? vscode.window.showErrorMessage(text, ...buttons) : vscode.window.showWarningMessage(text, ...buttons);
  void shown.then((choice) => {
    if (choice === 'Show Log') opts.log.show(true);
    if (choice === HELP_BUTTON && topic) {
      opts.log.info(`Opening help: ${topic.doc}.md#${topic.section}`);
      void opts.openHelp?.(topic);
    }
  });
}
