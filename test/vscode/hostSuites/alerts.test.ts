// Alerts inside a real VS Code extension host, against the real libvirtd: the rules setting is
// validated (a bad rule is named with its field, the others work), New Alert Rule writes the
// setting, a VM forced off by another client raises one notification with Start / Open Details
// actions and appears in the Alerts view; a Force Off through the extension raises none; Start
// from the alert clears it; Dismiss moves an alert to Recent.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../../src/extension';
import type { PickItem, PickRequest } from '../../../src/commands/prompts';
import { Connection, type DomainRef } from '../../../src/libvirt/connection';
import { ALERT_RULES_SETTING } from '../../../src/views/alerts/alertService';
import { leftoverOfDeadRun } from '../../leftovers';
import { sleep, waitFor } from './wait';

const EXTENSION_ID = 'libvirt-vms.libvirt-vms';
const PREFIX = 'alr-';
const OWN = `${PREFIX}${process.pid}-h`;
const SYSTEM_URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';

const tinyXml = (name: string): string =>
  `<domain type='qemu'><name>${name}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu><os><type arch='x86_64' machine='pc'>hvm</type></os><devices/></domain>`;

describe('Alerts (extension host, real libvirtd)', function () {
  this.timeout(120_000);
  let api: ExtensionApi;
  let outside: Connection;
  let connectionId: string;
  let dom: DomainRef;

  const setRules = async (rules: unknown): Promise<void> => {
    await vscode.workspace.getConfiguration().update(ALERT_RULES_SETTING, rules, vscode.ConfigurationTarget.Global);
  };

  before(async () => {
    const ext = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID);
    assert.ok(ext, 'extension not found');
    api = await ext.activate();
    outside = await Connection.open(SYSTEM_URI);
    for (const d of await outside.connectListAllDomains()) {
      if (!leftoverOfDeadRun(d.name, PREFIX)) continue;
      await outside.domainDestroy(d).catch(() => undefined);
      await outside.domainUndefine(d).catch(() => undefined);
    }
    const entry = await waitFor('the local connection', () => api.connections.list().find((e) => e.config.uri === SYSTEM_URI), 20_000);
    connectionId = entry.config.id;
    await api.connections.get(connectionId).managed.connect();
    await waitFor('connected', () => api.tree.connectionState(connectionId) === 'connected', 30_000);
    dom = await outside.domainDefineXml(tinyXml(`${OWN}vm`));
  });

  afterEach(() => api.prompts.setResponder(undefined));

  after(async () => {
    api?.prompts.setResponder(undefined);
    await setRules(undefined);
    if (outside) {
      if (dom) {
        await outside.domainDestroy(dom).catch(() => undefined);
        await outside.domainUndefine(dom).catch(() => undefined);
      }
      await outside.close();
    }
  });

  it('validates the rules setting: a bad rule is named with its field, the good ones still work', async () => {
    await setRules([
      { name: 'Stops', kind: 'unexpectedStop' },
      { name: 'Broken', kind: 'cpu', threshold: 250 },
    ]);
    await waitFor('rules read', () => api.alerts.rules.rules.length === 1 && api.alerts.rules.problems.length === 1);
    assert.deepEqual(
      api.alerts.rules.rules.map((r) => r.name),
      ['Stops'],
    );
    assert.equal(api.alerts.rules.problems[0], 'Alert rule "Broken": "threshold" must be a number from 0 to 100; the rule is ignored');
  });

  it('New Alert Rule… asks kind, threshold, minutes, scope and name, and appends the rule to the setting', async () => {
    await setRules([{ name: 'Stops', kind: 'unexpectedStop' }]);
    const asked: string[] = [];
    api.prompts.setResponder({
      pickOne: (req: PickRequest<unknown>): PickItem<unknown> | undefined => {
        asked.push(req.placeHolder ?? req.title);
        if (req.placeHolder === 'Alert when…') return req.items.find((i) => i.value === 'cpu');
        if (req.placeHolder === 'Which VMs?') return req.items.find((i) => i.value === 'vm');
        if (req.placeHolder === 'Which VM?') return req.items.find((i) => i.value === dom.uuid);
        if (req.placeHolder === 'On which connection?') return req.items[0];
        throw new Error(`unexpected pick ${req.placeHolder ?? req.title}`);
      },
      input: (req) => {
        asked.push(req.prompt ?? req.title);
        if (req.prompt?.startsWith('Threshold')) {
          assert.equal(req.validate?.('150'), 'Enter a number from 0 to 100.');
          return '85';
        }
        if (req.prompt?.startsWith('Minutes')) return '2';
        if (req.prompt?.startsWith('Rule name')) {
          assert.equal(req.validate?.('Stops'), 'Another rule has this name.');
          assert.equal(req.value, `CPU above 85 % for 2 min · vm:${dom.uuid}`);
          return 'Busy test VM';
        }
        throw new Error(`unexpected input ${req.prompt ?? req.title}`);
      },
    });
    await vscode.commands.executeCommand('libvirtVms.alerts.newRule');
    const written = vscode.workspace.getConfiguration().get<unknown[]>(ALERT_RULES_SETTING);
    assert.deepEqual(written, [
      { name: 'Stops', kind: 'unexpectedStop' },
      { kind: 'cpu', threshold: 85, minutes: 2, scope: `vm:${dom.uuid}`, name: 'Busy test VM' },
    ]);
    await waitFor('the new rule is read', () => api.alerts.rules.rules.some((r) => r.name === 'Busy test VM'));
  });

  it('a VM forced off by another client notifies once with Start and Open Details; Force Off from here does not; Start clears it', async () => {
    await setRules([{ name: 'Stopped elsewhere', kind: 'unexpectedStop', scope: `vm:${dom.uuid}` }]);
    await waitFor('rule read', () => api.alerts.rules.rules.length === 1);
    const before = api.alerts.notifications.length;
    dom = await outside.domainCreate(dom);
    await waitFor('tree shows running', () => api.tree.vmItem(connectionId, dom.name)?.contextValue?.startsWith('vm.running.') === true, 60_000);
    await outside.domainDestroy(dom);
    const alert = await waitFor('an active alert', () => api.alerts.active().find((a) => a.subject.vmUuid === dom.uuid), 60_000);
    assert.equal(alert.message, 'Forced off by another client');
    const shown = api.alerts.notifications.slice(before);
    assert.equal(shown.length, 1);
    assert.equal(shown[0]!.message, `Stopped elsewhere: ${dom.name} on ${api.connections.get(connectionId).config.name}: Forced off by another client`);
    assert.deepEqual(shown[0]!.actions, ['Start', 'Open Details', 'Show Alerts']);

    // Start from the alert's row (the notification's Start runs the same command), then Force Off
    // through the extension: expected, so no alert.
    await vscode.commands.executeCommand('libvirtVms.alerts.startVm', { kind: 'alert', alert });
    await waitFor('the alert resolves', () => api.alerts.active().length === 0, 60_000);
    assert.equal(api.alerts.recent()[0]?.resolution, 'running again');
    api.prompts.setResponder({ confirm: () => true });
    await vscode.commands.executeCommand('libvirtVms.vm.forceOff', { connectionId, uuid: dom.uuid });
    await waitFor('tree shows shut off', () => api.tree.vmItem(connectionId, dom.name)?.contextValue?.startsWith('vm.shutoff.') === true, 60_000);
    await sleep(2000);
    assert.equal(api.alerts.active().length, 0, 'a Force Off from here raises no alert');
    assert.equal(api.alerts.notifications.length, before + 1);
  });

  it('Dismiss moves an active alert to Recent', async () => {
    await setRules([{ name: 'Stopped elsewhere', kind: 'unexpectedStop', scope: `vm:${dom.uuid}` }]);
    await waitFor('rule read', () => api.alerts.rules.rules.length === 1);
    dom = await outside.domainCreate(dom);
    // As in the test above: a stop counts as unexpected once the window has seen the VM run.
    await waitFor('tree shows running', () => api.tree.vmItem(connectionId, dom.name)?.contextValue?.startsWith('vm.running.') === true, 60_000);
    await outside.domainDestroy(dom);
    const alert = await waitFor('an active alert', () => api.alerts.active().find((a) => a.subject.vmUuid === dom.uuid), 60_000);
    await vscode.commands.executeCommand('libvirtVms.alerts.dismiss', { kind: 'alert', alert });
    assert.equal(api.alerts.active().length, 0);
    assert.equal(api.alerts.recent()[0]?.id, alert.id);
    assert.equal(api.alerts.recent()[0]?.resolution, 'dismissed');
  });
});
