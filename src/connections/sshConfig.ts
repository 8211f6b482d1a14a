// A small reader for OpenSSH client configuration (see ssh_config(5)): it lists the concrete
// `Host` aliases a user can pick, with the options libvirt's SSH transport needs.

export interface SshHostEntry {
  /** The alias after `Host` (never a pattern). */
  readonly alias: string;
  readonly hostName?: string;
  readonly user?: string;
  readonly port?: number;
  readonly identityFile?: string;
}

const WANTED = new Set(['hostname', 'user', 'port', 'identityfile']);

/** Splits one config line into keyword and arguments; `Key=Value` and quoted arguments are accepted. */
function splitLine(line: string): { key: string; args: string[] } | undefined {
  const trimmed = line.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return undefined;
  const m = /^([A-Za-z][A-Za-z0-9]*)\s*(?:=\s*|\s+)(.*)$/.exec(trimmed);
  if (!m) return undefined;
  const args: string[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  let a: RegExpExecArray | null;
  while ((a = re.exec(m[2])) !== null) {
    const arg = a[1] ?? a[2];
    if (arg.startsWith('#') && a[1] === undefined) break;
    args.push(arg);
  }
  return { key: m[1].toLowerCase(), args };
}

function isPattern(alias: string): boolean {
  return /[*?!]/.test(alias);
}

/**
 * Parses the text of an ssh config file. Options inside `Match` blocks and `Host` blocks made only
 * of patterns are ignored; the first value of an option wins, as in ssh itself. A `Host` line with
 * several aliases yields one entry per concrete alias.
 */
export function parseSshConfig(text: string): SshHostEntry[] {
  const entries = new Map<string, { alias: string; opts: Map<string, string> }>();
  let current: { alias: string; opts: Map<string, string> }[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = splitLine(raw);
    if (!line) continue;
    if (line.key === 'host') {
      current = line.args
        .filter((alias) => !isPattern(alias))
        .map((alias) => {
          const existing = entries.get(alias);
          if (existing) return existing;
          const fresh = { alias, opts: new Map<string, string>() };
          entries.set(alias, fresh);
          return fresh;
        });
      continue;
    }
    if (line.key === 'match') {
      current = [];
      continue;
    }
    if (!WANTED.has(line.key) || line.args.length === 0) continue;
    for (const entry of current) {
      if (!entry.opts.has(line.key)) entry.opts.set(line.key, line.args[0]);
    }
  }
  return [...entries.values()].map(({ alias, opts }) => {
    const port = opts.get('port');
    const portNum = port !== undefined && /^\d+$/.test(port) ? Number(port) : undefined;
    return {
      alias,
      ...(opts.has('hostname') ? { hostName: opts.get('hostname') } : {}),
      ...(opts.has('user') ? { user: opts.get('user') } : {}),
      ...(portNum !== undefined && portNum > 0 && portNum < 65536 ? { port: portNum } : {}),
      ...(opts.has('identityfile') ? { identityFile: opts.get('identityfile') } : {}),
    };
  });
}

/** Expands a leading `~/` in an IdentityFile value. */
export function expandHome(p: string, home: string): string {
  return p === '~' ? home : p.startsWith('~/') ? `${home}/${p.slice(2)}` : p;
}
