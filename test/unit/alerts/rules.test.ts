import * as assert from 'node:assert/strict';
import { agentChannelState, filesystemUsage, vmReading } from '../../../src/libvirt/alerts/monitor';
import { perfCounters } from '../../../src/libvirt/domainPerf';
import { describeRule, parseRules, ruleToSetting } from '../../../src/libvirt/alerts/rules';

describe('alert rules (unit)', () => {
  it('reads every kind with its defaults', () => {
    const { rules, problems } = parseRules([
      { name: 'a', kind: 'cpu', threshold: 90, minutes: 5, scope: 'tag:web' },
      { name: 'b', kind: 'memory', threshold: 80, scope: 'vm:0123ABCD-0000-0000-0000-00000000000A' },
      { name: 'c', kind: 'guestFilesystem', threshold: 85, mountpoint: '/' },
      { name: 'd', kind: 'crashed' },
      { name: 'e', kind: 'unexpectedStop', connection: 'local' },
      { name: 'f', kind: 'poolFull', threshold: 95, pool: 'default' },
      { name: 'g', kind: 'hostUnreachable' },
      { name: 'h', kind: 'agentUnresponsive', minutes: 1 },
    ]);
    assert.deepEqual(problems, []);
    assert.equal(rules.length, 8);
    assert.deepEqual(rules[0]!.scope, { kind: 'tag', tag: 'web' });
    assert.equal(rules[0]!.forMs, 300_000);
    assert.deepEqual(rules[1]!.scope, { kind: 'vm', uuid: '0123abcd-0000-0000-0000-00000000000a' });
    assert.equal(rules[6]!.forMs, 120_000, 'hostUnreachable defaults to 2 minutes');
    assert.equal(rules[7]!.forMs, 60_000);
    assert.equal(describeRule(rules[0]!), 'CPU above 90 % for 5 min · tag:web');
    assert.equal(describeRule(rules[5]!), 'Pool default above 95 %');
  });

  it('a bad rule gives one problem naming the rule and the field; the others still work', () => {
    const { rules, problems } = parseRules([
      { name: 'ok', kind: 'crashed' },
      { name: 'no threshold', kind: 'cpu' },
      { name: 'bad scope', kind: 'cpu', threshold: 50, scope: 'vm:nope' },
      { name: 'high', kind: 'memory', threshold: 150 },
      { name: 'typo', kind: 'crashed', scpoe: 'all' },
      { kind: 'crashed' },
      { name: 'ok', kind: 'crashed' },
      { name: 'pool on vm', kind: 'poolFull', threshold: 50, scope: 'tag:x' },
      { name: 'hyst', kind: 'cpu', threshold: 50, clearBelow: 60 },
      'text',
      { name: 'off', kind: 'cpu', threshold: 50, enabled: false },
    ]);
    assert.deepEqual(
      rules.map((r) => r.name),
      ['ok'],
    );
    assert.deepEqual(problems, [
      'Alert rule "no threshold": "threshold" (percent) is required for this kind; the rule is ignored',
      'Alert rule "bad scope": "scope": "nope" is not a VM UUID; the rule is ignored',
      'Alert rule "high": "threshold" must be a number from 0 to 100; the rule is ignored',
      'Alert rule "typo": "scpoe" is not a rule field; the rule is ignored',
      'Alert rule #6: "name" must be a non-empty string',
      'Alert rule "ok": "name" is used by an earlier rule',
      'Alert rule "pool on vm": "scope" applies to VM rules only (use "connection" or "pool"); the rule is ignored',
      'Alert rule "hyst": "clearBelow" (60) must not be above "threshold" (50); the rule is ignored',
      'Alert rule #10: must be an object with "name" and "kind"',
    ]);
    assert.deepEqual(parseRules({}).problems, ['libvirtVms.alerts.rules must be a list of rules']);
  });

  it('writes back what it read', () => {
    const input = [
      { name: 'a', kind: 'cpu', threshold: 90, minutes: 5, scope: 'tag:web' },
      { name: 'b', kind: 'poolFull', threshold: 70, clearBelow: 50, pool: 'default', connection: 'local' },
      { name: 'c', kind: 'crashed', scope: 'all' },
    ];
    assert.deepEqual(parseRules(input).rules.map(ruleToSetting), input);
  });

  it('reads the agent channel state and filesystem usage', () => {
    const xml = `<domain><devices><channel type='unix'><source mode='bind' path='/x'/><target type='virtio' name='org.qemu.guest_agent.0' state='connected'/></channel></devices></domain>`;
    assert.equal(agentChannelState(xml), 'connected');
    assert.equal(agentChannelState(xml.replace("state='connected'", "state='disconnected'")), 'disconnected');
    assert.equal(agentChannelState('<domain><devices><channel type="spicevmc"><target type="virtio" name="com.redhat.spice.0"/></channel></devices></domain>'), 'absent');
    const usage = filesystemUsage(JSON.stringify({ return: [{ mountpoint: '/', 'total-bytes': 1000, 'used-bytes': 250 }, { mountpoint: '/boot', 'used-bytes': 5 }] }));
    assert.deepEqual([...usage], [['/', 25]]);
  });

  it('memory in use counts only from balloon statistics or RSS, never from the memory the guest has', () => {
    const ref = { name: 'v', uuid: 'u', id: 3 };
    const guest = perfCounters({ 'balloon.current': 1000, 'balloon.unused': 250 }, 0, true);
    assert.equal(vmReading(ref, guest, undefined, []).memoryPercent, 75);
    const rss = perfCounters({ 'balloon.current': 1000, 'balloon.rss': 400 }, 0, true);
    assert.equal(vmReading(ref, rss, undefined, []).memoryPercent, 40);
    const none = perfCounters({ 'balloon.current': 1000 }, 0, true);
    assert.equal(vmReading(ref, none, undefined, []).memoryPercent, undefined);
    const off = perfCounters({ 'balloon.current': 1000, 'balloon.rss': 400 }, 0, false);
    assert.equal(vmReading({ ...ref, id: -1 }, off, undefined, []).memoryPercent, undefined);
  });
});
