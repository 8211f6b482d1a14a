// The Guest section: what the VM's guest agent says (OS, kernel, hostname, timezone, users, file
// systems with usage bars, addresses per interface), a Refresh button and the agent's actions.
// When the agent cannot answer it says why and what helps: Add Guest Agent Channel for a VM
// without the channel, the qemu-guest-agent install lines for a guest whose agent is not running.
// Everything from the host goes in as text (textContent); sizes are checked numbers.

import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import { AGENT_ENABLE_LINE, AGENT_INSTALL_LINES, isLoopback, osLine, usedPercent, type GuestFacts, type GuestFilesystem } from '../../../libvirt/guestFacts';
import { el, icon } from '../../shared/app/dom';
import type { GuestAction, GuestState } from '../protocol';

type Button = HTMLElementTagNameMap['vscode-button'];

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
function bytes(n: number): string {
  let v = n;
  let i = 0;
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 && i > 0 ? v.toFixed(1) : Math.round(v)} ${UNITS[i]}`;
}

function offsetText(seconds: number): string {
  const sign = seconds < 0 ? '-' : '+';
  const a = Math.abs(seconds);
  return `UTC${sign}${String(Math.floor(a / 3600)).padStart(2, '0')}:${String(Math.floor((a % 3600) / 60)).padStart(2, '0')}`;
}

const ACTIONS: readonly { readonly action: GuestAction; readonly label: string; readonly icon: string; readonly title: string }[] = [
  { action: 'setUserPassword', label: 'Set User Password…', icon: 'key', title: "Set a guest user's password through the agent" },
  { action: 'freezeFilesystems', label: 'Freeze', icon: 'debug-pause', title: 'Freeze the guest file systems (fsfreeze), e.g. before copying a disk' },
  { action: 'thawFilesystems', label: 'Thaw', icon: 'debug-continue', title: 'Thaw the frozen guest file systems' },
  { action: 'syncClock', label: 'Sync Clock', icon: 'history', title: "Set the guest clock from the host's time" },
  { action: 'shutdown', label: 'Shut Down via Agent', icon: 'debug-stop', title: 'Ask the guest agent to power the guest off' },
];

export class GuestView {
  readonly element: HTMLElement;
  private readonly toolbar: HTMLElement;
  private readonly body: HTMLElement;
  private readonly statusLine: HTMLElement;
  private readonly actionButtons: Button[] = [];
  private readonly refreshButton: Button;
  private busy = false;
  private state: GuestState = { status: 'loading' };

  constructor(
    private readonly onRefresh: () => void,
    private readonly onAction: (a: GuestAction) => Promise<string>,
  ) {
    this.element = el('section', { id: 'guest', attrs: { 'aria-label': 'Guest agent' } });
    this.toolbar = el('div', { className: 'guest-toolbar', attrs: { role: 'toolbar', 'aria-label': 'Guest agent actions' } });
    this.refreshButton = this.button('Refresh', 'refresh', 'Ask the guest agent again', () => this.onRefresh());
    this.toolbar.append(this.refreshButton);
    for (const a of ACTIONS) this.actionButtons.push(this.button(a.label, a.icon, a.title, () => void this.run(a.action)));
    this.toolbar.append(...this.actionButtons);
    this.statusLine = el('div', { className: 'guest-status', attrs: { role: 'status' } });
    this.body = el('div', { className: 'guest-body', attrs: { 'aria-live': 'polite' } });
    this.element.append(this.toolbar, this.statusLine, this.body);
    this.render();
  }

  set(state: GuestState): void {
    this.state = state;
    this.render();
  }

  private button(label: string, iconName: string, title: string, onClick: () => void): Button {
    const b = el('vscode-button', { text: label, title });
    b.setAttribute('secondary', '');
    b.setAttribute('icon', iconName);
    b.addEventListener('click', onClick);
    return b;
  }

  private async run(action: GuestAction): Promise<void> {
    this.busy = true;
    this.statusLine.textContent = '';
    this.updateButtons();
    try {
      const text = await this.onAction(action);
      this.statusLine.textContent = text;
      this.statusLine.className = 'guest-status';
    } catch (e) {
      this.statusLine.textContent = e instanceof Error ? e.message : String(e);
      this.statusLine.className = 'guest-status error';
    } finally {
      this.busy = false;
      this.updateButtons();
    }
  }

  private updateButtons(): void {
    const answering = this.state.status === 'facts';
    for (const b of this.actionButtons) b.disabled = this.busy || !answering;
    this.refreshButton.disabled = this.busy || this.state.status === 'loading';
  }

  private render(): void {
    this.updateButtons();
    const s = this.state;
    switch (s.status) {
      case 'loading': {
        const box = el('div', { className: 'guest-message' });
        box.append(el('vscode-progress-ring', { attrs: { 'aria-label': 'Asking the guest agent' } }), el('span', { text: 'Asking the guest agent…' }));
        this.body.replaceChildren(box);
        return;
      }
      case 'off':
        this.body.replaceChildren(this.message('debug-stop', 'The VM is not running. The guest agent answers while the guest runs.'));
        return;
      case 'unavailable':
        this.body.replaceChildren(...this.unavailable(s));
        return;
      case 'facts':
        this.body.replaceChildren(...this.facts(s.facts ?? {}, s.at));
        return;
    }
  }

  private message(iconName: string, text: string, className = 'guest-message'): HTMLElement {
    const box = el('div', { className });
    box.append(icon(iconName), el('span', { text }));
    return box;
  }

  private unavailable(s: GuestState): HTMLElement[] {
    const out: HTMLElement[] = [this.message(s.channelAtNextBoot ? 'info' : 'warning', s.message ?? 'The guest agent did not answer.', `guest-message ${s.channelAtNextBoot ? 'info' : 'warning'}`)];
    if (s.problem === 'noChannel' && !s.channelAtNextBoot) {
      const p = el('p', { text: 'The guest agent talks to the host over a virtio-serial channel named org.qemu.guest_agent.0. Add it (it takes effect at once where libvirt can plug it in, else at the next boot), then install the agent in the guest.' });
      const add = this.button('Add Guest Agent Channel', 'add', 'Add the org.qemu.guest_agent.0 channel to this VM (as Add Hardware does)', () => void this.run('addChannel'));
      add.removeAttribute('secondary');
      add.id = 'guest-add-channel';
      add.disabled = this.busy;
      out.push(p, add);
    }
    if (s.problem === 'noChannel' || s.problem === 'notConnected') out.push(this.installHelp());
    return out;
  }

  private installHelp(): HTMLElement {
    const box = el('div', { className: 'guest-install' });
    box.append(el('h3', { text: 'Install the guest agent in the guest' }));
    const list = el('dl');
    for (const l of AGENT_INSTALL_LINES) list.append(el('dt', { text: l.os }), el('dd', { className: l.os === 'Windows' ? '' : 'command', text: l.command }));
    box.append(list);
    const then = el('p', { text: 'Then, on Linux, make sure it runs: ' });
    then.append(el('code', { text: AGENT_ENABLE_LINE }));
    box.append(then);
    return box;
  }

  private facts(f: GuestFacts, at: number | undefined): HTMLElement[] {
    const rows: [string, string | undefined][] = [
      ['Operating system', osLine(f.os)],
      ['Version', f.os?.version],
      ['Kernel', [f.os?.kernelRelease, f.os?.machine].filter((x) => x).join(' · ') || undefined],
      ['Hostname', f.hostname],
      ['Timezone', f.timezone ? [f.timezone.name, f.timezone.offsetSeconds !== undefined ? offsetText(f.timezone.offsetSeconds) : undefined].filter((x) => x).join(', ') : undefined],
      ['Logged-in users', f.users ? (f.users.length === 0 ? 'nobody' : f.users.map((u) => (u.domain ? `${u.domain}\\${u.name}` : u.name) + (u.loginTime ? ` (since ${new Date(u.loginTime).toLocaleString()})` : '')).join(', ')) : undefined],
    ];
    const facts = el('dl', { className: 'guest-facts' });
    for (const [k, v] of rows) if (v) facts.append(el('dt', { text: k }), el('dd', { text: v }));
    const out: HTMLElement[] = [facts];
    if (f.filesystems && f.filesystems.length > 0) out.push(el('h3', { text: 'File systems' }), this.filesystems(f.filesystems));
    const ifaces = (f.interfaces ?? []).filter((i) => !isLoopback(i));
    if (ifaces.length > 0) {
      const t = this.table(['Interface', 'MAC address', 'Addresses']);
      for (const i of ifaces) this.row(t, [i.name, i.hwaddr ?? '', i.addrs.map((a) => `${a.addr}/${a.prefix}`).join('\n')]);
      out.push(el('h3', { text: 'Network interfaces' }), t);
    }
    if (at !== undefined) out.push(el('p', { className: 'guest-at', text: `As the guest agent said at ${new Date(at).toLocaleTimeString()}.` }));
    return out;
  }

  private filesystems(list: readonly GuestFilesystem[]): HTMLElement {
    const t = this.table(['Mount point', 'Device', 'Type', 'Usage']);
    for (const fs of list) {
      const tr = this.row(t, [fs.mountpoint, [fs.name, fs.disks.length > 0 ? `(${fs.disks.join(', ')})` : ''].filter((x) => x).join(' '), fs.fstype, '']);
      const cell = tr.lastElementChild as HTMLElement;
      const pct = usedPercent(fs);
      if (pct === undefined || fs.totalBytes === undefined || fs.usedBytes === undefined) {
        cell.textContent = 'unknown';
        continue;
      }
      const bar = el('div', { className: `usage-bar${pct >= 90 ? ' full' : ''}`, attrs: { role: 'meter', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': String(pct), 'aria-label': `${fs.mountpoint} ${pct} % used` } });
      const fill = el('div', { className: 'usage-fill' });
      fill.style.width = `${pct}%`;
      bar.append(fill);
      cell.append(bar, el('span', { className: 'usage-text', text: `${bytes(fs.usedBytes)} of ${bytes(fs.totalBytes)} (${pct} %)` }));
    }
    return t;
  }

  private table(headers: readonly string[]): HTMLTableElement {
    const t = el('table', { className: 'guest-table' });
    const head = el('tr');
    for (const h of headers) head.append(el('th', { text: h, attrs: { scope: 'col' } }));
    t.append(head);
    return t;
  }

  private row(t: HTMLTableElement, cells: readonly string[]): HTMLTableRowElement {
    const tr = el('tr');
    for (const c of cells) tr.append(el('td', { text: c }));
    t.append(tr);
    return tr;
  }
}
