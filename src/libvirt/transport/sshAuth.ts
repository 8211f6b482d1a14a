// SSH user authentication in the order of the URI's sshauth= list (libvirt's default:
// agent, privkey, password, keyboard-interactive). Passwords, passphrases and
// keyboard-interactive answers come from injected async callbacks (a UI prompt); nothing is
// stored. A method is tried, and its prompt shown, only when the server accepts that method:
// before the first prompt the server is asked for its list (the "none" request, as OpenSSH
// does). The callbacks hear which typed secret logged in only after the server accepted it.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AnyAuthMethod, AuthHandlerMiddleware, AuthenticationType } from 'ssh2';
import { ssh2 } from '../lazyModules';
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
  /**
   * Called once the server accepted the login, when the accepted method used a value that
   * password() or passphrase() returned; never after a failed login. The place to offer to
   * remember that secret.
   */
  loginSucceeded?(used: UsedSecret): void;
}

/** A secret a prompt returned, as used by a login. */
export interface UsedSecret {
  readonly kind: 'password' | 'passphrase';
  readonly value: string;
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

interface Offer {
  readonly method: AnyAuthMethod;
  /** The prompted secret this method carries. */
  readonly secret?: UsedSecret;
}

interface Attempt {
  /** The method name on the wire (an agent offers public keys). */
  readonly wire: AuthenticationType;
  /** Whether running it may ask the user something. */
  readonly mayPrompt: boolean;
  readonly run: () => Promise<Offer | undefined>;
}

export interface SshAuthenticator {
  /** ssh2's authHandler. */
  readonly handler: AuthHandlerMiddleware;
  /** Tells the authenticator that the server accepted the login (ssh2's 'ready'). */
  succeeded(): void;
}

// ssh2 accepts `false` to stop: no method left (its typings omit it).
const GIVE_UP = false as unknown as AnyAuthMethod;

export function createAuthHandler(setup: SshAuthSetup): SshAuthenticator {
  const attempts = setup.methods.flatMap((m) => attemptsFor(m, setup));
  let index = 0;
  let probed = false;
  let last: Offer | undefined;
  const handler: AuthHandlerMiddleware = (authsLeft, _partialSuccess, next) => {
    const offer = (o: Offer): void => {
      last = o;
      next(o.method);
    };
    const tryNext = async (): Promise<void> => {
      while (index < attempts.length) {
        const attempt = attempts[index]!;
        if (authsLeft === null && attempt.mayPrompt && !probed) {
          // Learn what the server accepts before asking the user anything.
          probed = true;
          offer({ method: { type: 'none', username: setup.user } });
          return;
        }
        index++;
        if (authsLeft !== null && !authsLeft.includes(attempt.wire)) continue;
        const o = await attempt.run();
        if (!o) continue;
        offer(o);
        return;
      }
      last = undefined;
      next(GIVE_UP);
    };
    tryNext().catch(() => next(GIVE_UP));
  };
  return {
    handler,
    succeeded: () => {
      if (last?.secret) setup.prompts.loginSucceeded?.(last.secret);
    },
  };
}

function attemptsFor(method: SshAuthMethod, s: SshAuthSetup): Attempt[] {
  const username = s.user;
  switch (method) {
    case 'agent':
      return [
        {
          wire: 'publickey',
          mayPrompt: false,
          run: async () => (s.agentSocket ? { method: { type: 'agent', username, agent: s.agentSocket } } : undefined),
        },
      ];
    case 'privkey':
      return keyFiles(s).map((file) => ({ wire: 'publickey', mayPrompt: s.prompts.passphrase !== undefined, run: () => privateKeyAttempt(file, s) }));
    case 'password':
      if (!s.prompts.password) return [];
      return [
        {
          wire: 'password',
          mayPrompt: true,
          run: async () => {
            const password = await s.prompts.password!({ user: username, host: s.host });
            if (password === undefined) return undefined;
            return { method: { type: 'password', username, password }, secret: { kind: 'password', value: password } };
          },
        },
      ];
    case 'keyboard-interactive':
      if (!s.prompts.keyboardInteractive) return [];
      return [
        {
          wire: 'keyboard-interactive',
          mayPrompt: true,
          run: async () => ({
            method: {
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
            },
          }),
        },
      ];
  }
}

function keyFiles(s: SshAuthSetup): string[] {
  if (s.keyFile !== undefined) return [s.keyFile];
  const dir = path.join(s.home ?? os.homedir(), '.ssh');
  return DEFAULT_IDENTITIES.map((n) => path.join(dir, n)).filter((f) => fs.existsSync(f));
}

async function privateKeyAttempt(file: string, s: SshAuthSetup): Promise<Offer | undefined> {
  let key: Buffer;
  try {
    key = fs.readFileSync(file);
  } catch {
    return undefined; // An unreadable key file is skipped like ssh does.
  }
  const parsed = ssh2().utils.parseKey(key);
  if (!(parsed instanceof Error)) return { method: { type: 'publickey', username: s.user, key } };
  if (!/encrypted/i.test(parsed.message) || !s.prompts.passphrase) return undefined;
  const passphrase = await s.prompts.passphrase({ keyFile: file });
  if (passphrase === undefined) return undefined;
  if (ssh2().utils.parseKey(key, passphrase) instanceof Error) return undefined;
  return { method: { type: 'publickey', username: s.user, key, passphrase }, secret: { kind: 'passphrase', value: passphrase } };
}
