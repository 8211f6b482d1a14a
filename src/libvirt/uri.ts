// libvirt connection URIs: driver[+transport]://[user@][host][:port]/path[?params]
// (see libvirt docs/uri.rst and docs/remote.rst).
//
// Decisions:
// - transports unix, tcp, tls, ssh; libssh and libssh2 are treated as ssh; ext is refused
//   (it runs an arbitrary local command). Without an explicit transport: tls when a host is
//   given, unix otherwise (as libvirt does).
// - A password in the user part is refused: credentials never live in a URI.
// - Parameters the remote driver understands are typed and validated. Any other parameter is
//   kept and, as libvirt does, passed through to the daemon in remoteName(); it is also listed
//   in `unknownParams` so a UI can point out a likely typo.

export class UriError extends Error {
  constructor(
    readonly uri: string,
    detail: string,
  ) {
    super(`Invalid libvirt URI '${uri}': ${detail}`);
    this.name = 'UriError';
  }

  static is(e: unknown): e is UriError {
    return e instanceof UriError;
  }
}

export type UriTransport = 'unix' | 'tcp' | 'tls' | 'ssh';
export type DaemonMode = 'auto' | 'legacy' | 'direct';
export type SshProxy = 'auto' | 'netcat' | 'native';
export type KnownHostsVerify = 'normal' | 'auto' | 'ignore';
export type SshAuthMethod = 'agent' | 'privkey' | 'password' | 'keyboard-interactive';

/** Default ports (docs/remote.rst). */
export const DEFAULT_PORTS: Readonly<Record<Exclude<UriTransport, 'unix'>, number>> = { tls: 16514, tcp: 16509, ssh: 22 };

/** Query parameters consumed by the client side (docs/uri.rst "Extra parameters"). */
const CLIENT_PARAMS = new Set([
  'name', 'command', 'socket', 'netcat', 'keyfile', 'sshauth', 'no_verify', 'no_tty', 'known_hosts',
  'known_hosts_verify', 'pkipath', 'tls_priority', 'mode', 'proxy',
]);

export interface UriParams {
  readonly name?: string;
  readonly socket?: string;
  readonly keyfile?: string;
  readonly noVerify: boolean;
  readonly noTty: boolean;
  readonly knownHosts?: string;
  readonly knownHostsVerify: KnownHostsVerify;
  readonly pkipath?: string;
  readonly mode: DaemonMode;
  readonly proxy: SshProxy;
  readonly netcat?: string;
  readonly command?: string;
  readonly sshauth?: readonly SshAuthMethod[];
  readonly tlsPriority?: string;
}

export class ParsedUri {
  constructor(
    /** The text as given. */
    readonly raw: string,
    /** The hypervisor driver: qemu, test, lxc... */
    readonly driver: string,
    readonly transport: UriTransport,
    readonly user: string | undefined,
    /** Host name or IP address, without IPv6 brackets; undefined for local (unix) URIs. */
    readonly host: string | undefined,
    /** Explicit port, or the transport's default; undefined for unix. */
    readonly port: number | undefined,
    /** Decoded path, e.g. "/system". */
    readonly path: string,
    readonly params: UriParams,
    /** Every query parameter, decoded, in order. */
    readonly allParams: readonly (readonly [string, string])[],
    readonly unknownParams: readonly string[],
  ) {}

  get isLocal(): boolean {
    return this.transport === 'unix';
  }

  /** True for the per-user daemon (path /session). */
  get isSession(): boolean {
    return this.path === '/session';
  }

  /** The name sent in CONNECT_OPEN: the URI minus transport, user, host, port and client parameters. */
  remoteName(): string {
    if (this.params.name !== undefined) return this.params.name;
    const passthrough = this.allParams
      .filter(([k]) => !CLIENT_PARAMS.has(k))
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
    return `${this.driver}://${encodePath(this.path)}${passthrough.length ? `?${passthrough.join('&')}` : ''}`;
  }

  /** The local daemon URI as virt-ssh-helper expects it: driver:///system or driver:///session. */
  daemonUri(): string {
    return `${this.driver}:///${this.isSession ? 'session' : 'system'}`;
  }
}

function hasSpaceOrControl(s: string): boolean {
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c <= 0x20 || c === 0x7f) return true;
  }
  return false;
}

function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

const SCHEME_RE = /^([A-Za-z][A-Za-z0-9+.-]*):(.*)$/s;
const DRIVER_RE = /^[a-z][a-z0-9_-]*$/;

export function parseUri(text: string): ParsedUri {
  const raw = text;
  const fail = (detail: string): never => {
    throw new UriError(raw, detail);
  };
  if (text.trim() === '') fail('it is empty');
  if (hasSpaceOrControl(text)) fail('it contains whitespace or control characters');
  const m = SCHEME_RE.exec(text);
  if (!m) fail("it has no scheme (expected e.g. 'qemu:///system' or 'qemu+ssh://user@host/system')");
  const scheme = m![1]!.toLowerCase();
  let rest = m![2]!;
  if (!rest.startsWith('//')) fail(`expected '//' after '${scheme}:'`);
  rest = rest.slice(2);

  const [driver, transportName, extra] = scheme.split('+');
  if (extra !== undefined) fail(`scheme '${scheme}' has more than one '+'`);
  if (!DRIVER_RE.test(driver!)) fail(`'${driver}' is not a driver name`);

  const hashAt = rest.indexOf('#');
  if (hashAt >= 0) rest = rest.slice(0, hashAt);
  const queryAt = rest.indexOf('?');
  const query = queryAt >= 0 ? rest.slice(queryAt + 1) : '';
  if (queryAt >= 0) rest = rest.slice(0, queryAt);
  const slashAt = rest.indexOf('/');
  const authority = slashAt >= 0 ? rest.slice(0, slashAt) : rest;
  const path = decode(slashAt >= 0 ? rest.slice(slashAt) : '', 'path', fail);

  const { user, host, port } = parseAuthority(authority, fail);
  const transport = resolveTransport(transportName, host, fail);
  if (transport === 'unix' && (host !== undefined || port !== undefined)) fail('the unix transport cannot have a host or port');
  const allParams = parseQuery(query, fail);
  const params = typedParams(allParams, fail);
  const unknownParams = allParams.map(([k]) => k).filter((k) => !CLIENT_PARAMS.has(k));
  const effectiveHost = transport === 'unix' ? undefined : (host ?? 'localhost');
  const effectivePort = transport === 'unix' ? undefined : (port ?? DEFAULT_PORTS[transport]);
  return new ParsedUri(raw, driver!, transport, user, effectiveHost, effectivePort, path, params, allParams, unknownParams);
}

function resolveTransport(name: string | undefined, host: string | undefined, fail: (d: string) => never): UriTransport {
  switch (name) {
    case undefined:
      return host !== undefined ? 'tls' : 'unix';
    case 'unix':
    case 'tcp':
    case 'tls':
    case 'ssh':
      return name;
    case 'libssh':
    case 'libssh2':
      return 'ssh';
    case 'ext':
      return fail("the 'ext' transport (running a local command) is not supported; use ssh instead");
    default:
      return fail(`unknown transport '${name}' (expected unix, tcp, tls or ssh)`);
  }
}

function parseAuthority(
  authority: string,
  fail: (d: string) => never,
): { user: string | undefined; host: string | undefined; port: number | undefined } {
  let hostPort = authority;
  let user: string | undefined;
  const at = authority.lastIndexOf('@');
  if (at >= 0) {
    const userInfo = authority.slice(0, at);
    if (userInfo.includes(':')) fail('passwords in URIs are not supported');
    user = decode(userInfo, 'user name', fail);
    if (user === '') fail("empty user name before '@'");
    hostPort = authority.slice(at + 1);
  }
  let host: string;
  let portText: string | undefined;
  if (hostPort.startsWith('[')) {
    const close = hostPort.indexOf(']');
    if (close < 0) fail("unterminated IPv6 address (missing ']')");
    host = hostPort.slice(1, close);
    // An optional zone id is written %25zone (RFC 6874).
    if (!/^[0-9A-Fa-f:.]+(%25[A-Za-z0-9._~-]+)?$/.test(host) || !host.includes(':')) fail(`'${host}' is not an IPv6 address`);
    host = host.replace('%25', '%');
    const after = hostPort.slice(close + 1);
    if (after !== '' && !after.startsWith(':')) fail(`unexpected '${after}' after the IPv6 address`);
    portText = after === '' ? undefined : after.slice(1);
  } else {
    const colon = hostPort.lastIndexOf(':');
    host = colon >= 0 ? hostPort.slice(0, colon) : hostPort;
    portText = colon >= 0 ? hostPort.slice(colon + 1) : undefined;
    host = decode(host, 'host', fail);
    if (host !== '' && !/^[A-Za-z0-9._-]+$/.test(host)) fail(`'${host}' is not a valid host name`);
  }
  let port: number | undefined;
  if (portText !== undefined) {
    if (!/^[0-9]{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) fail(`bad port '${portText}'`);
    port = Number(portText);
  }
  if (host === '' && (user !== undefined || port !== undefined)) fail('a user or port needs a host');
  return { user, host: host === '' ? undefined : host, port };
}

function decode(s: string, what: string, fail: (d: string) => never): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return fail(`bad percent-encoding in the ${what}`);
  }
}

function parseQuery(query: string, fail: (d: string) => never): [string, string][] {
  if (query === '') return [];
  return query
    .split('&')
    .filter((p) => p !== '')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const key = decode(eq >= 0 ? pair.slice(0, eq) : pair, 'parameter name', fail);
      const value = decode(eq >= 0 ? pair.slice(eq + 1) : '', `value of '${key}'`, fail);
      if (key === '') fail('a parameter has no name');
      return [key, value];
    });
}

function typedParams(all: readonly (readonly [string, string])[], fail: (d: string) => never): UriParams {
  const get = (k: string): string | undefined => {
    let v: string | undefined;
    for (const [key, value] of all) if (key === k) v = value; // the last occurrence wins
    return v;
  };
  const flag = (k: string): boolean => {
    const v = get(k);
    if (v === undefined) return false;
    if (!/^-?[0-9]+$/.test(v)) fail(`'${k}' must be a number (0 or 1), not '${v}'`);
    return Number(v) !== 0;
  };
  const oneOf = <T extends string>(k: string, allowed: readonly T[], dflt: T): T => {
    const v = get(k);
    if (v === undefined) return dflt;
    if (!(allowed as readonly string[]).includes(v)) fail(`'${k}' must be one of ${allowed.join(', ')}, not '${v}'`);
    return v as T;
  };
  const sshauthText = get('sshauth');
  let sshauth: SshAuthMethod[] | undefined;
  if (sshauthText !== undefined) {
    const methods: readonly string[] = ['agent', 'privkey', 'password', 'keyboard-interactive'];
    sshauth = sshauthText.split(',').map((s) => s.trim()).filter((s) => s !== '').map((s) => {
      if (!methods.includes(s)) fail(`unknown sshauth method '${s}' (expected ${methods.join(', ')})`);
      return s as SshAuthMethod;
    });
  }
  const path = (k: string): string | undefined => {
    const v = get(k);
    if (v !== undefined && v === '') fail(`'${k}' is empty`);
    return v;
  };
  return {
    name: get('name'),
    socket: path('socket'),
    keyfile: path('keyfile'),
    noVerify: flag('no_verify'),
    noTty: flag('no_tty'),
    knownHosts: path('known_hosts'),
    knownHostsVerify: oneOf('known_hosts_verify', ['normal', 'auto', 'ignore'] as const, 'normal'),
    pkipath: path('pkipath'),
    mode: oneOf('mode', ['auto', 'legacy', 'direct'] as const, 'auto'),
    proxy: oneOf('proxy', ['auto', 'netcat', 'native'] as const, 'auto'),
    netcat: path('netcat'),
    command: get('command'),
    sshauth,
    tlsPriority: get('tls_priority'),
  };
}
