import * as vscode from 'vscode';
import { isCancellation } from './cancel';
import { errorMessage } from './log';

/** Extra plain-words guidance for errors that carry a known fix (matched by class name, never by text). */
export type ErrorHint = (err: unknown) => string | undefined;

export interface CommandRunnerOptions {
  readonly log: vscode.LogOutputChannel;
  readonly hints?: readonly ErrorHint[];
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
    void vscode.window.showErrorMessage(text, 'Show Log').then((choice) => {
      if (choice === 'Show Log') this.opts.log.show(true);
    });
  }
}
