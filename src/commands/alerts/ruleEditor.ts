// "New Alert Rule…" and "Edit Alert Rules…": quick picks and input boxes (the way VS Code users
// edit small structured settings) that write `libvirtVms.alerts.rules`. A webview would add a
// second copy of the rule model for little gain: a rule has at most six fields, each a pick or a
// number. The rule's JSON stays editable in settings.json, and the editor keeps fields it does not
// ask about.

import * as vscode from 'vscode';
import { ALERT_KIND_IDS, ALERT_KINDS, describeRule, formatScope, parseRules, type AlertKind } from '../../libvirt/alerts/rules';
import { UserCancelledError } from '../../ui/cancel';
import { ALERT_RULES_SETTING } from '../../views/alerts/alertService';
import type { HostSession } from '../../views/hostSession';
import type { PickItem, Prompts } from '../prompts';

type RawRule = Record<string, unknown>;

function rawRules(): RawRule[] {
  const v = vscode.workspace.getConfiguration().get<unknown>(ALERT_RULES_SETTING, []);
  return Array.isArray(v) ? v.map((x: unknown) => (typeof x === 'object' && x !== null && !Array.isArray(x) ? { ...(x as RawRule) } : { invalid: x })) : [];
}

/** Writes where the value lives now: the workspace's settings when it sets the rules, else the user's. */
async function writeRules(rules: readonly RawRule[]): Promise<void> {
  const config = vscode.workspace.getConfiguration();
  const where = config.inspect(ALERT_RULES_SETTING);
  const target = where?.workspaceFolderValue !== undefined ? vscode.ConfigurationTarget.WorkspaceFolder : where?.workspaceValue !== undefined ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  await config.update(ALERT_RULES_SETTING, rules.length > 0 ? rules : undefined, target);
}

function need<T>(v: T | undefined): T {
  if (v === undefined) throw new UserCancelledError();
  return v;
}

function numberCheck(min: number, max: number): (v: string) => string | undefined {
  return (v) => {
    const n = Number(v.trim());
    return v.trim() !== '' && Number.isFinite(n) && n >= min && n <= max ? undefined : `Enter a number from ${min} to ${max}.`;
  };
}

export interface EditorContext {
  readonly prompts: Prompts;
  readonly sessions: () => HostSession[];
}

/** Asks for every field of a rule, starting from `start` (an existing rule or nothing). */
async function askRule(ctx: EditorContext, start: RawRule | undefined, taken: ReadonlySet<string>): Promise<RawRule> {
  const { prompts } = ctx;
  const title = start ? `Edit Alert Rule "${String(start.name)}"` : 'New Alert Rule';
  const kind = need(
    await prompts.pickOne<AlertKind>({
      title,
      placeHolder: 'Alert when…',
      items: ALERT_KIND_IDS.map((k) => ({ label: ALERT_KINDS[k].label, value: k, picked: start?.kind === k, description: start?.kind === k ? 'current' : undefined })),
    }),
  ).value;
  const info = ALERT_KINDS[kind];
  const rule: RawRule = { ...(start ?? {}), kind };
  // Fields that do not apply to the new kind go; the validator would refuse them.
  if (!info.percent) {
    delete rule.threshold;
    delete rule.clearBelow;
  }
  if (!info.duration) delete rule.minutes;
  if (!info.vm) delete rule.scope;
  if (kind !== 'poolFull') delete rule.pool;
  if (kind !== 'guestFilesystem') delete rule.mountpoint;
  if (info.percent) {
    const t = need(await prompts.input({ title, prompt: 'Threshold in percent (0–100): the alert fires above it', value: String(typeof start?.threshold === 'number' && start.kind === kind ? start.threshold : info.defaultThreshold), validate: numberCheck(0, 100) }));
    const threshold = Number(t.trim());
    rule.threshold = threshold;
    if (typeof rule.clearBelow === 'number' && rule.clearBelow > threshold) delete rule.clearBelow;
  }
  if (info.duration) {
    const m = need(
      await prompts.input({
        title,
        prompt: kind === 'hostUnreachable' ? 'Minutes the host must stay unreachable' : kind === 'agentUnresponsive' ? 'Minutes the agent must stay silent' : 'Minutes the value must stay above the threshold (0: at once)',
        value: String(typeof start?.minutes === 'number' && start.kind === kind ? start.minutes : info.defaultMinutes),
        validate: numberCheck(0, 10080),
      }),
    );
    rule.minutes = Number(m.trim());
  }
  if (info.vm) rule.scope = await askScope(ctx, title, typeof start?.scope === 'string' ? start.scope : 'all');
  if (kind === 'poolFull') {
    const pool = need(await prompts.input({ title, prompt: 'Pool name (empty: every active pool)', value: typeof start?.pool === 'string' ? start.pool : '' })).trim();
    if (pool) rule.pool = pool;
    else delete rule.pool;
  }
  if (kind === 'guestFilesystem') {
    const mp = need(await prompts.input({ title, prompt: 'Mount point in the guest (empty: every filesystem)', value: typeof start?.mountpoint === 'string' ? start.mountpoint : '' })).trim();
    if (mp) rule.mountpoint = mp;
    else delete rule.mountpoint;
  }
  const hosts = ctx.sessions().map((s) => s.config.name);
  if (hosts.length > 1 || typeof start?.connection === 'string') {
    const picked = need(
      await prompts.pickOne<string | undefined>({
        title,
        placeHolder: 'On which connection?',
        items: [{ label: 'Every connection', value: undefined, picked: start?.connection === undefined }, ...hosts.map((h) => ({ label: h, value: h, picked: start?.connection === h }))],
      }),
    ).value;
    if (picked === undefined) delete rule.connection;
    else rule.connection = picked;
  }
  const parsedForName = parseRules([{ ...rule, name: 'x' }]).rules[0];
  const suggested = typeof start?.name === 'string' ? start.name : parsedForName ? describeRule(parsedForName) : ALERT_KINDS[kind].label;
  rule.name = need(
    await prompts.input({
      title,
      prompt: 'Rule name (notifications and the Alerts list show it)',
      value: suggested,
      validate: (v) => (v.trim() === '' ? 'A rule needs a name.' : taken.has(v.trim()) ? 'Another rule has this name.' : undefined),
    }),
  ).trim();
  const { problems } = parseRules([rule]);
  if (problems.length > 0) throw new Error(problems[0]);
  return rule;
}

async function askScope(ctx: EditorContext, title: string, current: string): Promise<string> {
  const kind = need(
    await ctx.prompts.pickOne<'all' | 'tag' | 'vm'>({
      title,
      placeHolder: 'Which VMs?',
      items: [
        { label: '$(vm) All VMs', value: 'all', picked: current === 'all' },
        { label: '$(tag) VMs with a tag…', value: 'tag', picked: current.startsWith('tag:') },
        { label: '$(vm-active) One VM…', value: 'vm', picked: current.startsWith('vm:') },
      ],
    }),
  ).value;
  if (kind === 'all') return 'all';
  if (kind === 'tag') {
    const tag = need(await ctx.prompts.input({ title, prompt: 'Tag (as in the VM details Tags field)', value: current.startsWith('tag:') ? current.slice(4) : '', validate: (v) => (v.trim() ? undefined : 'Enter a tag.') }));
    return formatScope({ kind: 'tag', tag: tag.trim() });
  }
  const items: PickItem<string>[] = [];
  for (const s of ctx.sessions()) for (const v of s.snapshots()) items.push({ label: v.ref.name, description: s.config.name, detail: v.ref.uuid, value: v.ref.uuid, picked: current === `vm:${v.ref.uuid}` });
  if (items.length === 0) throw new Error('No VM is listed: connect to a host first.');
  return `vm:${need(await ctx.prompts.pickOne({ title, placeHolder: 'Which VM?', items })).value}`;
}

/** New Alert Rule…: asks, then appends the rule to the setting. Returns its name. */
export async function newAlertRule(ctx: EditorContext): Promise<string> {
  const rules = rawRules();
  const rule = await askRule(ctx, undefined, new Set(rules.map((r) => String(r.name))));
  await writeRules([...rules, rule]);
  return String(rule.name);
}

type EditAction = 'edit' | 'toggle' | 'delete';

/** Edit Alert Rules…: pick a rule, then change, disable/enable or delete it. */
export async function editAlertRules(ctx: EditorContext): Promise<void> {
  const rules = rawRules();
  const { problems } = parseRules(rules);
  const items: PickItem<number | 'new' | 'json'>[] = rules.map((r, i) => {
    const parsed = parseRules([{ ...r, enabled: true }]);
    const rule = parsed.rules[0];
    const problem = parsed.problems[0];
    return {
      label: `${r.enabled === false ? '$(circle-slash) ' : problem ? '$(warning) ' : ''}${typeof r.name === 'string' ? r.name : `Rule #${i + 1}`}`,
      description: rule ? describeRule(rule) : undefined,
      detail: problem ?? (r.enabled === false ? 'Disabled' : undefined),
      value: i,
    };
  });
  items.push({ label: '$(add) New Alert Rule…', value: 'new' }, { label: '$(json) Open settings.json', value: 'json' });
  const picked = need(await ctx.prompts.pickOne({ title: 'Edit Alert Rules', placeHolder: problems.length > 0 ? `${problems.length} rule(s) have problems` : 'Pick a rule', items })).value;
  if (picked === 'new') {
    await newAlertRule(ctx);
    return;
  }
  if (picked === 'json') {
    await vscode.commands.executeCommand('workbench.action.openSettingsJson', { revealSetting: { key: ALERT_RULES_SETTING } });
    return;
  }
  const rule = rules[picked]!;
  const name = typeof rule.name === 'string' ? rule.name : `Rule #${picked + 1}`;
  const action = need(
    await ctx.prompts.pickOne<EditAction>({
      title: `Alert Rule "${name}"`,
      items: [
        { label: '$(edit) Change…', value: 'edit' },
        { label: rule.enabled === false ? '$(check) Enable' : '$(circle-slash) Disable', value: 'toggle' },
        { label: '$(trash) Delete', value: 'delete' },
      ],
    }),
  ).value;
  const next = [...rules];
  if (action === 'edit') {
    const others = new Set(rules.filter((_, i) => i !== picked).map((r) => String(r.name)));
    next[picked] = await askRule(ctx, rule, others);
  } else if (action === 'toggle') {
    const copy = { ...rule };
    if (copy.enabled === false) delete copy.enabled;
    else copy.enabled = false;
    next[picked] = copy;
  } else {
    if (!(await ctx.prompts.confirm({ message: `Delete the alert rule "${name}"?`, detail: 'Its active alerts resolve. Other rules are kept.', button: 'Delete' }))) return;
    // Re-read: the setting may have changed while the dialog was open.
    const now = rawRules();
    const at = now.findIndex((r) => JSON.stringify(r) === JSON.stringify(rule));
    if (at === -1) throw new Error(`The alert rule "${name}" changed meanwhile; nothing was deleted.`);
    now.splice(at, 1);
    await writeRules(now);
    return;
  }
  await writeRules(next);
}
