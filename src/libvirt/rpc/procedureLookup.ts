// Resolves incoming MESSAGE packets (events) of the remote and qemu programs to their
// generated procedure entries, so the client can decode them.

import type { AnyProcedureInfo } from './program';
import { REMOTE_PROCEDURES_BY_NUMBER, REMOTE_PROGRAM } from '../generated/remoteProtocol';
import { QEMU_PROCEDURES_BY_NUMBER, QEMU_PROGRAM } from '../generated/qemuProtocol';

export function lookupLibvirtProcedure(program: number, proc: number): AnyProcedureInfo | undefined {
  if (program === REMOTE_PROGRAM) return REMOTE_PROCEDURES_BY_NUMBER.get(proc);
  if (program === QEMU_PROGRAM) return QEMU_PROCEDURES_BY_NUMBER.get(proc);
  return undefined;
}
