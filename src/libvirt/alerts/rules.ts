// Alert rules: what the setting `libvirtVms.alerts.rules` holds, read and checked without trusting
// it. One bad rule yields one problem naming the rule and the field; the other rules still work.
// package.json's JSON schema for the setting says the same thing to the settings editor; this
// file is the authority at run time (settings.json can hold anything).

/** Which VMs a rule watches: every VM, those with a tag, or one VM by UUID. */
export type AlertScope = { readonly kind: 'all' } | { readonly kind: 'tag'; readonly tag: string } | { readonly kind: 'vm'; readonly uuid: string };

export type AlertKind = 'cpu' | 'memory' | 'guestFilesystem' | 'crashed' | 'unexpectedStop' | 'poolFull' | 'hostUnreachable' | 'agentUnresponsive';

export interface AlertRule {
  /** Unique among the rules: notifications and the alerts list name the rule by it. */
  readonly name: string;
  readonly kind: AlertKind;
  /** Percent for cpu, memory, guestFilesystem and poolFull; unused otherwise. */
  readonly threshold: number;
  /** How long the condition must hold before the alert fires (0 = at once). */
  readonly forMs: number;
  /**
   * Hysteresis: a firing threshold alert resolves only when the value drops below this (percent),
   * so a value hovering around the threshold does not fire again and again.
   */
  readonly clearBelow: number;
  /** VM rules only; pool and host rules watch every pool or host of the connections in `connection`. */
  readonly scope: AlertScope;
  /** Only this connection (its name as the tree shows it); every connection when absent. */
  readonly connection?: string;
  /** poolFull only: one pool by name; every active pool when absent. */
  readonly pool?: string;
  /** guestFilesystem only: one mount point; every mounted filesystem when absent. */
  readonly mountpoint?: string;
}

export interface AlertKindInfo {
  readonly label: string;
  /** Whether the rule compares a percentage with a threshold. */
  readonly percent: boolean;
  /** Whether "for N minutes" applies. */
  readonly duration: boolean;
  /** Whether the rule watches VMs (and so has a VM scope). */
  readonly vm: boolean;
  /** Defaults the editor offers. */
  readonly defaultThreshold: number;
  readonly defaultMinutes: number;
}

/** Everything the editor, the validator and the messages need to know about each kind. */
export const ALERT_KINDS: Readonly<Record<AlertKind, AlertKindInfo>> = {
  cpu: { label: 'CPU above a threshold', percent: true, duration: true, vm: true, defaultThreshold: 90, defaultMinutes: 5 },
  memory: { label: 'Memory use above a threshold', percent: true, duration: true, vm: true, defaultThreshold: 90, defaultMinutes: 0 },
  guestFilesystem: { label: 'Guest filesystem nearly full (guest agent)', percent: true, duration: false, vm: true, defaultThreshold: 90, defaultMinutes: 0 },
  crashed: { label: 'VM crashed or panicked', percent: false, duration: false, vm: true, defaultThreshold: 0, defaultMinutes: 0 },
  unexpectedStop: { label: 'VM stopped, not from here', percent: false, duration: false, vm: true, defaultThreshold: 0, defaultMinutes: 0 },
  poolFull: { label: 'Storage pool nearly full', percent: true, duration: false, vm: false, defaultThreshold: 90, defaultMinutes: 0 },
  hostUnreachable: { label: 'Host unreachable', percent: false, duration: true, vm: false, defaultThreshold: 0, defaultMinutes: 2 },
  agentUnresponsive: { label: 'Guest agent not answering', percent: false, duration: true, vm: true, defaultThreshold: 0, defaultMinutes: 3 },
};

export const ALERT_KIND_IDS = Object.keys(ALERT_KINDS) as AlertKind[];

/** Percentage points below the threshold at which a firing alert resolves, unless the rule says. */
export const DEFAULT_HYSTERESIS = 5;

/** The setting's JSON form of a rule (what the editor writes and the user may type). */
export interface AlertRuleSetting {
  name: string;
  kind: AlertKind;
  threshold?: number;
  minutes?: number;
  clearBelow?: number;
  /** "all", "tag:NAME" or "vm:UUID". */
  scope?: string;
  connection?: string;
  pool?: string;
  mountpoint?: string;
  enabled?: boolean;
}

export interface ParsedRules {
  readonly rules: readonly AlertRule[];
  /** One line per refused rule: which rule, which field, what is wrong. */
  readonly problems: readonly string[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const KNOWN_FIELDS = new Set(['name', 'kind', 'threshold', 'minutes', 'clearBelow', 'scope', 'connection', 'pool', 'mountpoint', 'enabled']);

export function parseScope(text: string): AlertScope | string {
  if (text === 'all') return { kind: 'all' };
  if (text.startsWith('tag:')) {
    const tag = text.slice(4).trim();
    return tag ? { kind: 'tag', tag } : 'a tag scope needs a tag name, as in "tag:web"';
  }
  if (text.startsWith('vm:')) {
    const uuid = text.slice(3).trim().toLowerCase();
    return UUID.test(uuid) ? { kind: 'vm', uuid } : `"${text.slice(3)}" is not a VM UUID`;
  }
  return `"${text}" is not "all", "tag:NAME" or "vm:UUID"`;
}

export function formatScope(scope: AlertScope): string {
  return scope.kind === 'all' ? 'all' : scope.kind === 'tag' ? `tag:${scope.tag}` : `vm:${scope.uuid}`;
}

class RuleProblem extends Error {}

function optionalString(o: Record<string, unknown>, key: string): string | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.trim() === '') throw new RuleProblem(`"${key}" must be a non-empty string`);
  return v.trim();
}

function optionalNumber(o: Record<string, unknown>, key: string, min: number, max: number): number | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) throw new RuleProblem(`"${key}" must be a number from ${min} to ${max}`);
  return v;
}

function parseOne(o: Record<string, unknown>): AlertRule | undefined {
  if (o.enabled !== undefined && typeof o.enabled !== 'boolean') throw new RuleProblem('"enabled" must be true or false');
  const unknown = Object.keys(o).find((k) => !KNOWN_FIELDS.has(k));
  if (unknown !== undefined) throw new RuleProblem(`"${unknown}" is not a rule field`);
  const kind = o.kind;
  if (typeof kind !== 'string' || !(kind in ALERT_KINDS)) throw new RuleProblem(`"kind" must be one of ${ALERT_KIND_IDS.join(', ')}`);
  const info = ALERT_KINDS[kind as AlertKind];
  const threshold = optionalNumber(o, 'threshold', 0, 100);
  if (info.percent && threshold === undefined) throw new RuleProblem('"threshold" (percent) is required for this kind');
  const minutes = optionalNumber(o, 'minutes', 0, 10080);
  const clearBelow = optionalNumber(o, 'clearBelow', 0, 100);
  const t = threshold ?? 0;
  if (clearBelow !== undefined && clearBelow > t) throw new RuleProblem(`"clearBelow" (${clearBelow}) must not be above "threshold" (${t})`);
  const scopeText = optionalString(o, 'scope') ?? 'all';
  const scope = parseScope(scopeText);
  if (typeof scope === 'string') throw new RuleProblem(`"scope": ${scope}`);
  if (!info.vm && scope.kind !== 'all') throw new RuleProblem('"scope" applies to VM rules only (use "connection" or "pool")');
  const pool = optionalString(o, 'pool');
  if (pool !== undefined && kind !== 'poolFull') throw new RuleProblem('"pool" applies to poolFull rules only');
  const mountpoint = optionalString(o, 'mountpoint');
  if (mountpoint !== undefined && kind !== 'guestFilesystem') throw new RuleProblem('"mountpoint" applies to guestFilesystem rules only');
  if (o.enabled === false) return undefined;
  const minutesOrDefault = info.duration ? (minutes ?? info.defaultMinutes) : 0;
  return {
    name: String(o.name),
    kind: kind as AlertKind,
    threshold: t,
    forMs: Math.round(minutesOrDefault * 60_000),
    clearBelow: info.percent ? (clearBelow ?? Math.max(0, t - DEFAULT_HYSTERESIS)) : 0,
    scope,
    connection: optionalString(o, 'connection'),
    pool,
    mountpoint,
  };
}

/** Reads the setting's value. Disabled rules are left out without a problem. */
export function parseRules(raw: unknown): ParsedRules {
  if (raw === undefined || raw === null) return { rules: [], problems: [] };
  if (!Array.isArray(raw)) return { rules: [], problems: ['libvirtVms.alerts.rules must be a list of rules'] };
  const rules: AlertRule[] = [];
  const problems: string[] = [];
  const names = new Set<string>();
  raw.forEach((item: unknown, i) => {
    const label = (what: string): string => `Alert rule ${what}`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      problems.push(`${label(`#${i + 1}`)}: must be an object with "name" and "kind"`);
      return;
    }
    const o = item as Record<string, unknown>;
    const name = typeof o.name === 'string' && o.name.trim() !== '' ? o.name.trim() : undefined;
    const who = name !== undefined ? label(`"${name}"`) : label(`#${i + 1}`);
    if (name === undefined) {
      problems.push(`${who}: "name" must be a non-empty string`);
      return;
    }
    if (names.has(name)) {
      problems.push(`${who}: "name" is used by an earlier rule`);
      return;
    }
    names.add(name);
    try {
      const rule = parseOne({ ...o, name });
      if (rule) rules.push(rule);
    } catch (e) {
      if (!(e instanceof RuleProblem)) throw e;
      problems.push(`${who}: ${e.message}; the rule is ignored`);
    }
  });
  return { rules, problems };
}

/** The setting form of a rule (the editor writes this back). */
export function ruleToSetting(rule: AlertRule): AlertRuleSetting {
  const info = ALERT_KINDS[rule.kind];
  const s: AlertRuleSetting = { name: rule.name, kind: rule.kind };
  if (info.percent) s.threshold = rule.threshold;
  if (info.duration) s.minutes = rule.forMs / 60_000;
  if (info.percent && rule.clearBelow !== Math.max(0, rule.threshold - DEFAULT_HYSTERESIS)) s.clearBelow = rule.clearBelow;
  if (info.vm) s.scope = formatScope(rule.scope);
  if (rule.connection !== undefined) s.connection = rule.connection;
  if (rule.pool !== undefined) s.pool = rule.pool;
  if (rule.mountpoint !== undefined) s.mountpoint = rule.mountpoint;
  return s;
}

/** One line describing a rule, e.g. "CPU above 90 % for 5 min · tag:web". */
export function describeRule(rule: AlertRule): string {
  const info = ALERT_KINDS[rule.kind];
  const min = rule.forMs / 60_000;
  const dur = info.duration && min > 0 ? ` for ${min} min` : '';
  const what: Record<AlertKind, string> = {
    cpu: `CPU above ${rule.threshold} %${dur}`,
    memory: `Memory above ${rule.threshold} %${dur}`,
    guestFilesystem: `Guest filesystem${rule.mountpoint !== undefined ? ` ${rule.mountpoint}` : ''} above ${rule.threshold} %`,
    crashed: 'VM crashed or panicked',
    unexpectedStop: 'VM stopped, not from here',
    poolFull: `Pool${rule.pool !== undefined ? ` ${rule.pool}` : 's'} above ${rule.threshold} %`,
    hostUnreachable: `Host unreachable${dur}`,
    agentUnresponsive: `Guest agent not answering${dur}`,
  };
  const where = [info.vm ? formatScope(rule.scope) : undefined, rule.connection].filter((x) => x !== undefined).join(' · ');
  return where ? `${what[rule.kind]} · ${where}` : what[rule.kind];
}
