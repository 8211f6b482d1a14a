// A serial console in VS Code's terminal: a Pseudoterminal over libvirt's console stream
// (DOMAIN_OPEN_CONSOLE, bidirectional). When the stream ends (guest shut down, another client
// took the console over) the terminal stays open and Enter reconnects.

import { StringDecoder } from 'node:string_decoder';
import type { Duplex } from 'node:stream';
import * as vscode from 'vscode';
import { VirDomainConsoleFlags, VirErrorNumber } from '../libvirt/generated/libvirtConstants';
import { LibvirtError } from '../libvirt/rpc/errors';
import type { ConsoleTarget } from './consoleTarget';

export type SerialState = 'connecting' | 'connected' | 'disconnected';

/** libvirt refuses a second client on a console unless it passes VIR_DOMAIN_CONSOLE_FORCE. */
export function isConsoleBusy(e: unknown): boolean {
  // virChrdevOpen (src/conf/virchrdev.c) reports VIR_ERR_OPERATION_FAILED for an active session.
  return e instanceof LibvirtError && e.code === VirErrorNumber.OPERATION_FAILED;
}

export interface SerialTerminalOptions {
  /** The device alias (devname), e.g. "serial0"; null = the first console. */
  readonly devName: string | null;
  /** Asked when another client holds the console; true = take it over. */
  confirmTakeOver(): Promise<boolean>;
  readonly log?: vscode.LogOutputChannel;
}

export class SerialPseudoterminal implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  private readonly closeEmitter = new vscode.EventEmitter<number | undefined>();
  private readonly stateEmitter = new vscode.EventEmitter<SerialState>();
  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;
  readonly onDidChangeState = this.stateEmitter.event;
  private stream: Duplex | undefined;
  private closed = false;
  private stateValue: SerialState = 'disconnected';
  /** Everything the guest wrote, decoded (kept short), for tests and "copy all". */
  private transcript = '';

  constructor(
    readonly target: ConsoleTarget,
    private readonly opts: SerialTerminalOptions,
  ) {}

  get state(): SerialState {
    return this.stateValue;
  }

  get output(): string {
    return this.transcript;
  }

  open(): void {
    void this.connect(false);
  }

  close(): void {
    this.closed = true;
    this.dropStream();
    this.stateEmitter.dispose();
  }

  handleInput(data: string): void {
    if (this.stream && !this.stream.destroyed) {
      this.stream.write(Buffer.from(data, 'utf8'));
    } else if (data === '\r' && this.stateValue === 'disconnected') {
      void this.connect(false);
    }
  }

  private setState(s: SerialState): void {
    this.stateValue = s;
    if (!this.closed) this.stateEmitter.fire(s);
  }

  private info(text: string): void {
    this.writeEmitter.fire(`\r\n\x1b[2m[${text}]\x1b[0m\r\n`);
  }

  private async connect(force: boolean): Promise<void> {
    if (this.closed) return;
    const label = this.opts.devName ?? 'console';
    this.setState('connecting');
    this.writeEmitter.fire(`\x1b[2m[connecting to ${label} of ${this.target.dom.name}…]\x1b[0m\r\n`);
    let stream: Duplex;
    try {
      const conn = await this.target.connection();
      stream = await conn.domainOpenConsole(this.target.dom, this.opts.devName, force ? VirDomainConsoleFlags.FORCE : 0);
    } catch (e) {
      if (!force && isConsoleBusy(e)) {
        this.info(`${label} is in use by another client (${e instanceof Error ? e.message : String(e)})`);
        if (await this.opts.confirmTakeOver()) return this.connect(true);
      } else {
        this.info(`cannot open ${label}: ${e instanceof Error ? e.message : String(e)}`);
      }
      this.setState('disconnected');
      this.info('press Enter to try again');
      return;
    }
    if (this.closed) {
      stream.destroy();
      return;
    }
    this.stream = stream;
    const decoder = new StringDecoder('utf8');
    stream.on('data', (chunk: Buffer) => {
      const text = decoder.write(chunk);
      if (!text) return;
      this.transcript = (this.transcript + text).slice(-65536);
      // The terminal expects CRLF; a guest that writes bare LF would staircase.
      this.writeEmitter.fire(text.replace(/\r?\n/g, '\r\n'));
    });
    const ended = (err?: Error): void => {
      if (this.stream !== stream) return;
      this.stream = undefined;
      if (this.closed) return;
      this.setState('disconnected');
      this.info(`${label} closed${err ? `: ${err.message}` : ''} — press Enter to reconnect`);
    };
    stream.on('end', () => ended());
    stream.on('close', () => ended());
    stream.on('error', (err: Error) => ended(err));
    this.setState('connected');
    this.writeEmitter.fire(`\x1b[2m[connected]\x1b[0m\r\n`);
  }

  private dropStream(): void {
    const s = this.stream;
    this.stream = undefined;
    if (s && !s.destroyed) s.destroy();
  }
}
