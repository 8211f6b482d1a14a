// The shape of a generated procedure table entry. The generator (tools/genproto) emits one
// ProcedureInfo per enum value of each protocol's `*_procedure` enum, and the RPC client
// uses it to encode arguments, decode replies and know whether a call opens a stream.

import type { XdrCodec } from './xdr';

/** Stream direction as seen from the client (libvirt's @readstream / @writestream annotations). */
export type StreamDirection = 'none' | 'read' | 'write';

export interface ProcedureInfo<A, R> {
  /** Program number, e.g. 0x20008086 for REMOTE. */
  readonly program: number;
  /** Program version. */
  readonly version: number;
  /** Procedure number. */
  readonly proc: number;
  /** The enum name without the program prefix, e.g. DOMAIN_GET_XML_DESC. */
  readonly name: string;
  /** Codec of the CALL payload (or of the MESSAGE payload for event procedures). */
  readonly args: XdrCodec<A>;
  /** Codec of the REPLY payload. */
  readonly ret: XdrCodec<R>;
  /** Whether the call opens a stream, and in which direction data flows. */
  readonly stream: StreamDirection;
  /** libvirt's @priority annotation: high-priority calls never wait on a hypervisor monitor. */
  readonly priority: 'high' | 'low';
  /** True for procedures the server sends as MESSAGE (events), never called by a client. */
  readonly isEvent: boolean;
}

/** Any procedure, for tables keyed by number. */
export type AnyProcedureInfo = ProcedureInfo<unknown, unknown>;
