// Running a program on a connection's host: over the connection's shared SSH session for
// qemu+ssh, or on this machine (child_process, no shell) for local connections. Both take an
// argument vector, never a command string: over SSH (where the server hands the command to the
// login shell) each argument is single-quoted as one sh word (shQuote), so no argument is ever
// parsed as shell code. stdin is written and closed; stdout is bounded; the exit status is
// returned, not thrown, so callers can read a program's own "no crontab" answers.

import { spawn } from 'node:child_process';
import type { SshSession } from './sshSession';
import { shQuote } from './sshRemoteCommand';
import { RemoteCommandLimitError, TransportError } from './transportErrors';

export interface ExecOptions {
  readonly stdin?: string | Buffer;
  /** Default 30 s. */
  readonly timeoutMs?: number;
  /** Most stdout bytes accepted. Default 4 MiB. */
  readonly maxBytes?: number;
}

export interface ExecResult {
  readonly stdout: string;
  readonly stderr: string;
  /** Exit status; null when the program ended by a signal. */
  readonly code: number | null;
}

export interface HostExec {
  /** Where programs run, for messages: "root@host:22", "this machine". */
  readonly label: string;
  run(argv: readonly string[], opts?: ExecOptions): Promise<ExecResult>;
}

const STDERR_KEEP = 16384;

/** The command line an SSH server receives for `argv`: each argument one quoted sh word. */
export function sshCommandLine(argv: readonly string[]): string {
  if (argv.length === 0) throw new TransportError('no program to run');
  return argv.map(shQuote).join(' ');
}

interface Streams {
  readonly stdout: NodeJS.ReadableStream;
  readonly stderr: NodeJS.ReadableStream;
  readonly stdin: NodeJS.WritableStream;
}

/** Collects a started program's output until it exits, within the limits. */
function collect(what: string, io: Streams, opts: ExecOptions, onExit: (cb: (code: number | null) => void) => void, kill: () => void): Promise<ExecResult> {
  const maxBytes = opts.maxBytes ?? 4 * 1024 * 1024;
  const timeoutMs = opts.timeoutMs ?? 30000;
  return new Promise<ExecResult>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    let stderr = '';
    let settled = false;
    const finish = (err: Error | undefined, code?: number | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) {
        kill();
        reject(err);
      } else resolve({ stdout: Buffer.concat(chunks).toString('utf8'), stderr, code: code ?? null });
    };
    const timer = setTimeout(() => finish(new RemoteCommandLimitError(what, 'time', timeoutMs)), timeoutMs);
    io.stdout.on('data', (b: Buffer) => {
      bytes += b.length;
      if (bytes > maxBytes) finish(new RemoteCommandLimitError(what, 'size', maxBytes));
      else chunks.push(b);
    });
    io.stderr.on('data', (b: Buffer) => {
      if (stderr.length < STDERR_KEEP) stderr += b.toString('utf8');
    });
    onExit((code) => finish(undefined, code));
    io.stdin.on('error', () => undefined); // a program that does not read its input
    if (opts.stdin !== undefined) io.stdin.write(opts.stdin);
    io.stdin.end();
  });
}

/** Programs on the SSH server of a retained session (the caller releases it). */
export function sshHostExec(session: SshSession): HostExec {
  return {
    label: session.label,
    async run(argv, opts = {}) {
      const line = sshCommandLine(argv);
      const what = `'${argv[0]}' on ${session.label}`;
      const channel = await session.exec(line);
      let exitCode: number | null = null;
      return collect(
        what,
        { stdout: channel, stderr: channel.stderr, stdin: channel },
        opts,
        (cb) => {
          channel.on('exit', (code: number | null) => (exitCode = code));
          channel.on('close', () => cb(exitCode));
          channel.on('error', () => cb(exitCode));
        },
        () => channel.close(),
      );
    },
  };
}

/** Programs on this machine, as the user VS Code's extension host runs as (no shell). */
export function localHostExec(label: string): HostExec {
  return {
    label,
    run(argv, opts = {}) {
      if (argv.length === 0) return Promise.reject(new TransportError('no program to run'));
      const what = `'${argv[0]}' on ${label}`;
      const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], shell: false });
      return new Promise<ExecResult>((resolve, reject) => {
        let spawnError: Error | undefined;
        child.on('error', (err) => {
          spawnError = err;
        });
        collect(
          what,
          { stdout: child.stdout, stderr: child.stderr, stdin: child.stdin },
          opts,
          (cb) => child.on('close', (code) => (spawnError ? reject(new TransportError(`${what} failed: ${spawnError.message}`, { cause: spawnError })) : cb(code))),
          () => child.kill('SIGKILL'),
        ).then(resolve, reject);
      });
    },
  };
}
