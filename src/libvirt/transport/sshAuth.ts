// SSH user authentication in the order of the URI's sshauth= list (libvirt's default:
// agent, privkey, password, keyboard-interactive). Passwords, passphrases and
// keyboard-interactive answers come from injected async callbacks (a UI prompt); nothing is
// stored.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { utils, type AnyAuthMethod, type AuthHandlerMiddleware, type AuthenticationType } from 'ssh2';
import type { SshAuthMethod } from '../uri';

export interface SshPrompts {
  /** Asks for the account password; undefined means the user cancelled. */
  password?(req: { readonly user: string; readonly host: string }): Promise<string | undefined>;
  /** Asks for the passphrase of an encrypted private key. */
  passphrase?(req: { readonly keyFile: string }): Promise<string | undefined>;
  /** Answers keyboard-interactive prompts, one answer per prompt. */
  keyboardInteractive?(req: {
    readonly user: string;
    readonly host: string;
    readonly name: string;
    readonly instructions: string;
    readonly prompts: readonly { readonly prompt: string; readonly echo: boolean }[];
  }): Promise<string[] | undefined>;
}

export interface SshAuthSetup {
  readonly user: string;
  readonly host: string;
  readonly methods: readonly SshAuthMethod[];
  /** keyfile= from the URI; otherwise the usual ~/.ssh identities. */
  readonly keyFile?: string;
  readonly agentSocket?: string;
  readonly prompts: SshPrompts;
  readonly home?: string;
}

export const DEFAULT_SSH_AUTH: readonly SshAuthMethod[] = ['agent', 'privkey', 'password', 'keyboard-interactive'];

const DEFAULT_IDENTITIES = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

type Attempt = () => Promise<AnyAuthMethod | undefined>;

function wireType(m: AnyAuthMethod): AuthenticationType {
  return m.type === 'agent' ? 'publickey' : m.type;
}

export function createAuthHandler(setup: SshAuthSetup): AuthHandlerMiddleware {
  const attempts = setup.methods.flatMap((m) => attemptsFor(m, setup));
  let index = 0;
  return (authsLeft, _partialSuccess, next) => {
    const tryNext = async (): Promise<void> => {
      while (index < attempts.length) {
        const method = await attempts[index++]!();
        if (!method) continue;
        if (authsLeft && authsLeft.length > 0 && !authsLeft.includes(wireType(method))) continue;
        next(method);
        return;
      }
      // ssh2 accepts `false` to stop: no method left (its typings omit it).
      next(false as unknown as AnyAuthMethod);
    };
    tryNext().catch(() => next(false as unknown as AnyAuthMethod));
  };
}

function attemptsFor(method: SshAuthMethod, s: SshAuthSetup): Attempt[] {
  const username = s.user;
  switch (method) {
    case 'agent':
      return [async () => (s.agentSocket ? { type: 'agent', username, agent: s.agentSocket } : undefined)];
    case 'privkey':
      return keyFiles(s).map((file) => () => privateKeyAttempt(file, s));
    case 'password':
      return [
        async () => {
          const password = await s.prompts.password?.({ user: username, host: s.host });
          return password === undefined ? undefined : { type: 'password', username, password };
        },
      ];
    case 'keyboard-interactive':
      if (!s.prompts.keyboardInteractive) return [];
      return [
        async () => ({
          type: 'keyboard-interactive',
          username,
          prompt: (name, instructions, _lang, prompts, finish) => {
            s.prompts
              .keyboardInteractive!({
                user: username,
                host: s.host,
                name,
                instructions,
                prompts: prompts.map((p) => ({ prompt: p.prompt, echo: p.echo ?? false })),
              })
              .then((answers) => finish(answers ?? []), () => finish([]));
          },
        }),
      ];
  }
}

function keyFiles(s: SshAuthSetup): string[] {
  if (s.keyFile !== undefined) return [s.keyFile];
  const dir = path.join(s.home ?? os.homedir(), '.ssh');
  return DEFAULT_IDENTITIES.map((n) => path.join(dir, n)).filter((f) => fs.existsSync(f));
}

async function privateKeyAttempt(file: string, s: SshAuthSetup): Promise<AnyAuthMethod | undefined> {
  let key: Buffer;
  try {
    key = fs.readFileSync(file);
  } catch {
    return undefined; // An unreadable key file is skipped like ssh does.
  }
  const parsed = utils.parseKey(key);
  if (!(parsed instanceof Error)) return { type: 'publickey', username: s.user, key };
  if (!/encrypted/i.test(parsed.message) || !s.prompts.passphrase) return undefined;
  const passphrase = await s.prompts.passphrase({ keyFile: file });
  if (passphrase === undefined) return undefined;
  if (utils.parseKey(key, passphrase) instanceof Error) return undefined;
  return { type: 'publickey', username: s.user, key, passphrase };
}
