// The alert state machine, one condition per rule and subject (a VM, a pool, a host):
//
//   ok ──value hot──▶ pending ──hot for the rule's duration──▶ firing ──value cool──▶ resolved (ok)
//          ◀──value no longer hot──┘
//
// "Hot" is above the threshold; "cool" is below the rule's clearBelow (hysteresis), so a value
// hovering at the threshold neither resolves nor fires again. An alert fires once per rule and
// subject and is not announced again until it has resolved: no notification storms. Event rules
// (crash, unexpected stop) fire at once through trigger() and resolve through clear() (the VM runs
// again) or dismiss(). Time comes from the injected clock, so the tests run on a synthetic one.

import type { Disposable } from '../rpc/types';
import { ALERT_KINDS, type AlertKind, type AlertRule } from './rules';

/** What an alert is about. `key` is unique across hosts, e.g. "<connection id>/vm/<uuid>". */
export interface AlertSubject {
  readonly key: string;
  readonly connectionId: string;
  readonly connectionName: string;
  /** VM, pool or host name as the user sees it. */
  readonly label: string;
  readonly vmUuid?: string;
}

export interface Alert {
  /** Unique for this firing (rule, subject, time): a later firing of the same pair is another alert. */
  readonly id: string;
  readonly rule: string;
  readonly kind: AlertKind;
  readonly subject: AlertSubject;
  readonly phase: 'firing' | 'resolved';
  readonly firedAt: number;
  readonly resolvedAt?: number;
  /** What happened, e.g. "CPU 97 % (above 90 % for 5 min)". */
  readonly message: string;
  /** Why it resolved, e.g. "CPU 12 %" or "dismissed". */
  readonly resolution?: string;
}

export type AlertChange = { readonly type: 'fired'; readonly alert: Alert } | { readonly type: 'resolved'; readonly alert: Alert } | { readonly type: 'updated'; readonly alert: Alert };

interface Condition {
  rule: AlertRule;
  subject: AlertSubject;
  phase: 'ok' | 'pending' | 'firing';
  pendingSince: number;
  value: number | undefined;
  detail: string | undefined;
  alert: Alert | undefined;
}

export interface EngineOptions {
  /** How many resolved alerts the recent list keeps. Default 50. */
  readonly recentLimit?: number;
}

function sameRule(a: AlertRule, b: AlertRule): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** "97 %" with at most one decimal. */
function pct(v: number): string {
  return `${Math.round(v * 10) / 10} %`;
}

function minutes(ms: number): string {
  const m = ms / 60_000;
  return m >= 1 ? `${Math.round(m * 10) / 10} min` : `${Math.round(ms / 1000)} s`;
}

/** The message of a firing condition. */
function firingMessage(c: Condition): string {
  const r = c.rule;
  const v = c.value ?? 0;
  const held = r.forMs > 0 ? ` for ${minutes(r.forMs)}` : '';
  const d = c.detail !== undefined ? ` ${c.detail}` : '';
  switch (r.kind) {
    case 'cpu':
      return `CPU ${pct(v)} (above ${pct(r.threshold)}${held})`;
    case 'memory':
      return `Memory ${pct(v)} in use (above ${pct(r.threshold)}${held})`;
    case 'guestFilesystem':
      return `Filesystem${d} ${pct(v)} full (above ${pct(r.threshold)})`;
    case 'poolFull':
      return `Pool ${pct(v)} full (above ${pct(r.threshold)})`;
    case 'hostUnreachable':
      return `Unreachable${held}${c.detail !== undefined ? `: ${c.detail}` : ''}`;
    case 'agentUnresponsive':
      return `Guest agent not answering${held}${c.detail !== undefined ? `: ${c.detail}` : ''}`;
    case 'crashed':
    case 'unexpectedStop':
      return c.detail ?? ALERT_KINDS[r.kind].label;
  }
}

function resolvedMessage(c: Condition): string {
  const v = c.value;
  switch (c.rule.kind) {
    case 'cpu':
      return v === undefined ? 'no longer measured' : `CPU ${pct(v)}`;
    case 'memory':
      return v === undefined ? 'no longer measured' : `memory ${pct(v)} in use`;
    case 'guestFilesystem':
    case 'poolFull':
      return v === undefined ? 'no longer measured' : `${pct(v)} full`;
    case 'hostUnreachable':
      return v === undefined ? 'no longer watched' : 'reachable again';
    case 'agentUnresponsive':
      return v === undefined ? 'no longer watched' : 'answering again';
    case 'crashed':
    case 'unexpectedStop':
      return c.detail ?? 'cleared';
  }
}

export class AlertEngine {
  private readonly conditions = new Map<string, Condition>();
  private readonly recentList: Alert[] = [];
  private readonly listeners = new Set<(c: AlertChange) => void>();
  private rules = new Map<string, AlertRule>();
  private seq = 0;
  private readonly recentLimit: number;

  constructor(
    private readonly clock: () => number,
    opts: EngineOptions = {},
  ) {
    this.recentLimit = opts.recentLimit ?? 50;
  }

  onDidChange(listener: (c: AlertChange) => void): Disposable {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** Replaces the rules. Conditions of removed or changed rules end (a firing one resolves). */
  setRules(rules: readonly AlertRule[]): void {
    this.rules = new Map(rules.map((r) => [r.name, r]));
    for (const [key, c] of this.conditions) {
      const now = this.rules.get(c.rule.name);
      if (now && sameRule(now, c.rule)) continue;
      if (c.phase === 'firing') this.resolve(c, now ? 'the rule changed' : 'the rule was removed');
      this.conditions.delete(key);
    }
  }

  getRules(): readonly AlertRule[] {
    return [...this.rules.values()];
  }

  /**
   * A measurement for a threshold or duration rule: a percentage, or 1 (condition holds) / 0 for
   * host and agent rules. `undefined`: no longer measured (VM stopped, pool gone): a pending
   * condition ends, a firing one resolves.
   */
  observe(rule: AlertRule, subject: AlertSubject, value: number | undefined, detail?: string): void {
    const c = this.condition(rule, subject);
    if (!c) return;
    c.value = value;
    c.detail = detail;
    this.evaluate(c);
  }

  /** An event rule's event (crash, stop): fires at once unless the rule and subject already fire. */
  trigger(rule: AlertRule, subject: AlertSubject, detail: string): void {
    const c = this.condition(rule, subject);
    if (!c) return;
    c.detail = detail;
    if (c.phase === 'firing') return;
    this.fire(c);
  }

  /** The condition behind an event alert ended (the VM runs again, or was undefined). */
  clear(ruleName: string, subjectKey: string, detail: string): void {
    const c = this.conditions.get(`${ruleName}\0${subjectKey}`);
    if (!c) return;
    if (c.phase === 'firing') {
      c.detail = detail;
      this.resolve(c, detail);
    }
    this.conditions.delete(`${ruleName}\0${subjectKey}`);
  }

  /** Ends every condition about a subject (a VM undefined, a pool deleted). */
  forget(subjectKey: string, detail: string): void {
    for (const [key, c] of this.conditions) {
      if (c.subject.key !== subjectKey) continue;
      if (c.phase === 'firing') this.resolve(c, detail);
      this.conditions.delete(key);
    }
  }

  /** The user dismissed an active alert: it moves to recent; it fires again only after clearing. */
  dismiss(alertId: string): boolean {
    for (const c of this.conditions.values()) {
      if (c.alert?.id !== alertId || c.phase !== 'firing') continue;
      this.resolve(c, 'dismissed');
      // Until the value cools down (or the event clears), the condition must not fire again.
      c.phase = 'pending';
      c.pendingSince = Number.POSITIVE_INFINITY;
      return true;
    }
    return false;
  }

  /** Re-evaluates durations with the last values (a pending condition may now fire). */
  tick(): void {
    for (const c of this.conditions.values()) if (c.rule.kind !== 'crashed' && c.rule.kind !== 'unexpectedStop') this.evaluate(c);
  }

  /** Firing alerts, oldest first. */
  active(): Alert[] {
    return [...this.conditions.values()].flatMap((c) => (c.phase === 'firing' && c.alert ? [c.alert] : [])).sort((a, b) => a.firedAt - b.firedAt);
  }

  /** Resolved alerts, newest first. */
  recent(): readonly Alert[] {
    return this.recentList;
  }

  clearRecent(): void {
    this.recentList.length = 0;
  }

  /** Subjects whose condition for this rule is pending or firing (for tests and the monitor). */
  phaseOf(ruleName: string, subjectKey: string): 'ok' | 'pending' | 'firing' {
    return this.conditions.get(`${ruleName}\0${subjectKey}`)?.phase ?? 'ok';
  }

  private condition(rule: AlertRule, subject: AlertSubject): Condition | undefined {
    const current = this.rules.get(rule.name);
    if (!current || (current !== rule && !sameRule(current, rule))) return undefined;
    const key = `${rule.name}\0${subject.key}`;
    let c = this.conditions.get(key);
    if (!c) {
      c = { rule, subject, phase: 'ok', pendingSince: 0, value: undefined, detail: undefined, alert: undefined };
      this.conditions.set(key, c);
    } else c.subject = subject;
    return c;
  }

  private hot(c: Condition): boolean {
    if (c.value === undefined) return false;
    return ALERT_KINDS[c.rule.kind].percent ? c.value > c.rule.threshold : c.value >= 1;
  }

  private cool(c: Condition): boolean {
    if (c.value === undefined) return true;
    return ALERT_KINDS[c.rule.kind].percent ? c.value < c.rule.clearBelow : c.value < 1;
  }

  private evaluate(c: Condition): void {
    const now = this.clock();
    switch (c.phase) {
      case 'ok':
        if (!this.hot(c)) return;
        c.phase = 'pending';
        c.pendingSince = now;
        if (c.rule.forMs <= 0) this.fire(c);
        return;
      case 'pending':
        // After a dismissal (pendingSince = ∞) the condition waits to cool down, like a firing one.
        if (c.pendingSince === Number.POSITIVE_INFINITY ? this.cool(c) : !this.hot(c)) {
          c.phase = 'ok';
          if (c.value === undefined) this.conditions.delete(`${c.rule.name}\0${c.subject.key}`);
        } else if (now - c.pendingSince >= c.rule.forMs) this.fire(c);
        return;
      case 'firing':
        if (this.cool(c)) {
          this.resolve(c, resolvedMessage(c));
          if (c.value === undefined) this.conditions.delete(`${c.rule.name}\0${c.subject.key}`);
        } else if (c.alert) {
          const message = firingMessage(c);
          if (message !== c.alert.message) {
            c.alert = { ...c.alert, message };
            this.emit({ type: 'updated', alert: c.alert });
          }
        }
        return;
    }
  }

  private fire(c: Condition): void {
    const now = this.clock();
    c.phase = 'firing';
    c.alert = {
      id: `${c.rule.name}\0${c.subject.key}\0${now}\0${++this.seq}`,
      rule: c.rule.name,
      kind: c.rule.kind,
      subject: c.subject,
      phase: 'firing',
      firedAt: now,
      message: firingMessage(c),
    };
    this.emit({ type: 'fired', alert: c.alert });
  }

  private resolve(c: Condition, resolution: string): void {
    const alert = c.alert;
    c.phase = 'ok';
    c.alert = undefined;
    if (!alert) return;
    const done: Alert = { ...alert, phase: 'resolved', resolvedAt: this.clock(), resolution };
    this.recentList.unshift(done);
    if (this.recentList.length > this.recentLimit) this.recentList.length = this.recentLimit;
    this.emit({ type: 'resolved', alert: done });
  }

  private emit(change: AlertChange): void {
    for (const l of [...this.listeners]) l(change);
  }
}
