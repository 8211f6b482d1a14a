// Builds libvirt URIs from the answers of the Add Connection flow (see libvirt docs/uri.rst).

export type Transport = 'ssh' | 'tls' | 'tcp';
export type DriverMode = 'system' | 'session';

export interface RemoteTarget {
  readonly user?: string;
  readonly host: string;
  readonly port?: number;
}

export class InvalidTargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidTargetError';
  }

  static is(e: unknown): e is InvalidTargetError {
    return e instanceof InvalidTargetError;
  }
}

/** Parses `[user@]host[:port]` (IPv6 hosts in brackets). Returns an error message or the target. */
export function parseTarget(text: string): RemoteTarget | InvalidTargetError {
  const m = /^(?:([A-Za-z0-9._-]+)@)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(text.trim());
  if (!m) return new InvalidTargetError('Expected [user@]host[:port], for example root@server.example.com:22');
  const port = m[3] !== undefined ? Number(m[3]) : undefined;
  if (port !== undefined && (port < 1 || port > 65535)) return new InvalidTargetError(`Port ${port} is out of range`);
  return { ...(m[1] ? { user: m[1] } : {}), host: m[2], ...(port !== undefined ? { port } : {}) };
}

export interface RemoteUriParams {
  readonly transport: Transport;
  readonly target: RemoteTarget;
  readonly mode: DriverMode;
  /** Query parameters such as keyfile or pkipath. */
  readonly params?: Readonly<Record<string, string>>;
}

export function buildRemoteUri(p: RemoteUriParams): string {
  const user = p.target.user ? `${encodeURIComponent(p.target.user)}@` : '';
  const port = p.target.port !== undefined ? `:${p.target.port}` : '';
  const query = Object.entries(p.params ?? {})
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
  return `qemu+${p.transport}://${user}${p.target.host}${port}/${p.mode}${query ? `?${query}` : ''}`;
}

/** A short display name for a URI: host (or "localhost") plus the driver mode. */
export function defaultName(uri: string): string {
  const m = /^[a-z0-9+]+:\/\/(?:[^@/]*@)?([^/:?]*|\[[^\]]*\])?(?::\d+)?\/([^?]*)/i.exec(uri);
  if (!m) return uri;
  const host = m[1] ? m[1] : 'localhost';
  const path = m[2] || 'system';
  return `${host} (${path})`;
}
