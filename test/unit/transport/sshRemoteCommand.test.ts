import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { remoteDaemonCommand, shQuote } from '../../../src/libvirt/transport/sshRemoteCommand';
import { TransportError } from '../../../src/libvirt/transport/transportErrors';

const base = { daemonUri: 'qemu:///system', readOnly: false, proxy: 'auto', mode: 'auto' } as const;

describe('SSH remote command (unit)', () => {
  for (const evil of ["it's", "'; rm -rf / #", '$(id)', '`id`', 'a\nb', '"\\', '', "''''"]) {
    it(`shQuote keeps ${JSON.stringify(evil)} one literal sh word`, () => {
      assert.equal(execFileSync('sh', ['-c', `printf %s ${shQuote(evil)}`]).toString(), evil);
    });
  }

  it('refuses anything but driver:///system or ///session', () => {
    for (const daemonUri of ["qemu:///system'; id", 'qemu+ssh://h/system', 'qemu:///system?x=1', 'test:///tmp/file.xml']) {
      assert.throws(() => remoteDaemonCommand({ ...base, daemonUri }), TransportError.is);
    }
  });

  describe('runs on a real sh', () => {
    let dir: string;
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lv-cmd-'));
      // Only these tools exist on the fake remote PATH (a real virt-ssh-helper may be installed here).
      for (const tool of ['sh', 'grep', 'id']) fs.symlinkSync(execFileSync('/bin/sh', ['-c', `command -v ${tool}`]).toString().trim(), path.join(dir, tool));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    function fakeBin(name: string): void {
      fs.writeFileSync(path.join(dir, name), `#!/bin/sh\necho "${name} $*"\n`, { mode: 0o755 });
    }
    const run = (command: string): string =>
      execFileSync('/bin/sh', ['-c', command], { env: { PATH: dir, XDG_RUNTIME_DIR: '/xdg' } }).toString().trim();

    it('prefers virt-ssh-helper with the daemon URI and -r for read-only', () => {
      fakeBin('virt-ssh-helper');
      fakeBin('nc');
      assert.equal(run(remoteDaemonCommand(base)), 'virt-ssh-helper qemu:///system');
      assert.equal(run(remoteDaemonCommand({ ...base, readOnly: true })), 'virt-ssh-helper -r qemu:///system');
    });

    it('falls back to nc -U on the daemon socket', () => {
      fakeBin('nc');
      assert.equal(run(remoteDaemonCommand(base)), 'nc -U /var/run/libvirt/libvirt-sock');
      assert.equal(run(remoteDaemonCommand({ ...base, readOnly: true })), 'nc -U /var/run/libvirt/libvirt-sock-ro');
      assert.equal(run(remoteDaemonCommand({ ...base, mode: 'direct' })), 'nc -U /var/run/libvirt/virtqemud-sock');
      assert.equal(run(remoteDaemonCommand({ ...base, daemonUri: 'qemu:///session' })), 'nc -U /xdg/libvirt/libvirt-sock');
      assert.equal(run(remoteDaemonCommand({ ...base, socket: "/tmp/we'ird sock" })), "nc -U /tmp/we'ird sock");
    });

    it('honours proxy=netcat, proxy=native and netcat=', () => {
      fakeBin('virt-ssh-helper');
      fakeBin('mync');
      assert.equal(run(remoteDaemonCommand({ ...base, proxy: 'netcat', netcat: path.join(dir, 'mync') })), 'mync -U /var/run/libvirt/libvirt-sock');
      assert.equal(run(remoteDaemonCommand({ ...base, proxy: 'native' })), 'virt-ssh-helper qemu:///system');
    });
  });
});
