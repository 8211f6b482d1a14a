import * as vscode from 'vscode';
import { CancelledError } from '../libvirt/rpc/errors';

/** Thrown by UI flows when the user dismisses a prompt; the command wrapper stays silent on it. */
export class UserCancelledError extends Error {
  constructor(what = 'operation') {
    super(`${what} cancelled`);
    this.name = 'UserCancelledError';
  }

  static is(e: unknown): e is UserCancelledError {
    return e instanceof UserCancelledError;
  }
}

/** True for every way a user-initiated cancellation surfaces (prompt dismissed, token, aborted RPC). */
export function isCancellation(e: unknown): boolean {
  return (
    UserCancelledError.is(e) ||
    CancelledError.is(e) ||
    e instanceof vscode.CancellationError ||
    (e instanceof Error && e.name === 'AbortError')
  );
}

/** Returns the value, or throws UserCancelledError when a prompt returned undefined. */
export function required<T>(value: T | undefined, what = 'prompt'): T {
  if (value === undefined) throw new UserCancelledError(what);
  return value;
}
