// Error classes of the RPC layer. Every class has a static `is()` guard so callers never match on
// message text. Numeric codes are libvirt's virErrorNumber (see libvirt include/virterror.h),
// taken from the generated constants.

import { VirErrorNumber as E } from '../generated/libvirtConstants';

/** The server-side error of a failed call (libvirt's virError, sent as remote_error). */
export interface LibvirtErrorFields {
  readonly code: number;
  readonly domain: number;
  readonly message: string;
  readonly level: number;
  readonly str1: string | null;
  readonly str2: string | null;
  readonly str3: string | null;
  readonly int1: number;
  readonly int2: number;
  /** Name of the domain the error is about, when the server sent one. */
  readonly domainName: string | null;
  /** Name of the network the error is about, when the server sent one. */
  readonly networkName: string | null;
}

export class LibvirtError extends Error implements LibvirtErrorFields {
  readonly code: number;
  readonly domain: number;
  readonly level: number;
  readonly str1: string | null;
  readonly str2: string | null;
  readonly str3: string | null;
  readonly int1: number;
  readonly int2: number;
  readonly domainName: string | null;
  readonly networkName: string | null;

  constructor(fields: LibvirtErrorFields) {
    super(fields.message);
    this.name = 'LibvirtError';
    this.code = fields.code;
    this.domain = fields.domain;
    this.level = fields.level;
    this.str1 = fields.str1;
    this.str2 = fields.str2;
    this.str3 = fields.str3;
    this.int1 = fields.int1;
    this.int2 = fields.int2;
    this.domainName = fields.domainName;
    this.networkName = fields.networkName;
  }

  static is(e: unknown): e is LibvirtError {
    return e instanceof LibvirtError;
  }
}

function hasCode(e: unknown, code: number): boolean {
  return LibvirtError.is(e) && e.code === code;
}

export const isNoDomain = (e: unknown): e is LibvirtError => hasCode(e, E.NO_DOMAIN);
export const isNoNetwork = (e: unknown): e is LibvirtError => hasCode(e, E.NO_NETWORK);
export const isNoStoragePool = (e: unknown): e is LibvirtError => hasCode(e, E.NO_STORAGE_POOL);
export const isNoStorageVol = (e: unknown): e is LibvirtError => hasCode(e, E.NO_STORAGE_VOL);
export const isNoNodeDevice = (e: unknown): e is LibvirtError => hasCode(e, E.NO_NODE_DEVICE);
export const isNoSecret = (e: unknown): e is LibvirtError => hasCode(e, E.NO_SECRET);
export const isNoDomainSnapshot = (e: unknown): e is LibvirtError => hasCode(e, E.NO_DOMAIN_SNAPSHOT);
/** ENOENT on Linux, the hosts libvirt's QEMU driver runs on. */
const ENOENT = 2;
/** A file the server tried to open does not exist (a system error carries errno in int1). */
export const isNoSuchFile = (e: unknown): e is LibvirtError => hasCode(e, E.SYSTEM_ERROR) && (e as LibvirtError).int1 === ENOENT;
export const isOperationInvalid = (e: unknown): e is LibvirtError => hasCode(e, E.OPERATION_INVALID);
export const isOperationUnsupported = (e: unknown): e is LibvirtError =>
  hasCode(e, E.OPERATION_UNSUPPORTED) || hasCode(e, E.NO_SUPPORT);
export const isAccessDenied = (e: unknown): e is LibvirtError =>
  hasCode(e, E.ACCESS_DENIED) || hasCode(e, E.OPERATION_DENIED);
export const isAuthFailed = (e: unknown): e is LibvirtError =>
  hasCode(e, E.AUTH_FAILED) || hasCode(e, E.AUTH_CANCELLED) || hasCode(e, E.AUTH_UNAVAILABLE);
export const isAlreadyExists = (e: unknown): e is LibvirtError =>
  hasCode(e, E.DOM_EXIST) || hasCode(e, E.NETWORK_EXIST) || hasCode(e, E.STORAGE_VOL_EXIST);
export const isXmlError = (e: unknown): e is LibvirtError =>
  hasCode(e, E.XML_ERROR) || hasCode(e, E.XML_INVALID_SCHEMA);

/** Why a connection ended without close() having been called. */
export type ConnectionCloseCause = 'eof' | 'socket error' | 'keepalive timeout' | 'protocol error' | 'closed';

export class ConnectionClosedError extends Error {
  constructor(
    readonly reason: ConnectionCloseCause,
    options?: { cause?: unknown },
  ) {
    super(`libvirt connection closed: ${reason}`, options);
    this.name = 'ConnectionClosedError';
  }

  static is(e: unknown): e is ConnectionClosedError {
    return e instanceof ConnectionClosedError;
  }
}

export class TimeoutError extends Error {
  constructor(readonly what: string, readonly timeoutMs: number) {
    super(`${what} timed out after ${timeoutMs} ms`);
    this.name = 'TimeoutError';
  }

  static is(e: unknown): e is TimeoutError {
    return e instanceof TimeoutError;
  }
}

export class CancelledError extends Error {
  constructor(what: string) {
    super(`${what} was cancelled`);
    this.name = 'CancelledError';
  }

  static is(e: unknown): e is CancelledError {
    return e instanceof CancelledError;
  }
}

/** The peer sent bytes that are not a valid libvirt RPC message. */
export class ProtocolError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProtocolError';
  }

  static is(e: unknown): e is ProtocolError {
    return e instanceof ProtocolError;
  }
}

/** The server offers only authentication methods this client does not implement. */
export class UnsupportedAuthError extends Error {
  constructor(readonly offered: readonly number[]) {
    super(
      'SASL authentication is not supported by this client; configure the server with ' +
        'auth_unix_rw/auth_tcp/auth_tls = "none" or "polkit", or connect over SSH',
    );
    this.name = 'UnsupportedAuthError';
  }

  static is(e: unknown): e is UnsupportedAuthError {
    return e instanceof UnsupportedAuthError;
  }
}
