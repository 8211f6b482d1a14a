// The alert monitor's cost per bulk refresh: BENCH_DOMAINS (default 1000) running VMs re-reported
// every 5 s to CPU, memory, crash and stop rules for all VMs, half of them above the CPU threshold
// (so conditions move through pending and firing), for an hour of samples. The feed is an
// in-process AlertHost (no daemon): this measures the monitor and engine alone, on top of the
// bulk call the tree makes anyway. Reported: time per refresh and the share of one core at 5 s.
//
//   node out/bench/alertsBench.js     (after `npx tsc -p .`)

import { performance } from 'node:perf_hooks';
import { AlertMonitor, type AlertHost, type HostSample, type VmReading } from '../src/libvirt/alerts/monitor';
import { OperationJournal } from '../src/libvirt/alerts/operationJournal';
import { parseRules } from '../src/libvirt/alerts/rules';

export interface AlertsBench {
  readonly vms: number;
  readonly samples: number;
  readonly perSampleMs: number;
  readonly coreShareAt5s: number;
  readonly notifications: number;
}

export function benchAlerts(vms = Number(process.env['BENCH_DOMAINS'] ?? 1000), samples = 720): AlertsBench {
  let now = 0;
  let listener: ((s: HostSample) => void) | undefined;
  const host: AlertHost = {
    id: 'bench',
    name: 'bench',
    state: { kind: 'idle' },
    onStateChange: () => ({ dispose: () => undefined }),
    onDomainEvent: () => ({ dispose: () => undefined }),
    onStoragePoolEvent: () => ({ dispose: () => undefined }),
    onDidSample: (l) => {
      listener = l;
      return { dispose: () => undefined };
    },
    holdSampling: () => ({ dispose: () => undefined }),
  };
  const monitor = new AlertMonitor({ journal: new OperationJournal(() => now), clock: () => now, tickMs: 3_600_000 });
  monitor.setRules(
    parseRules([
      { name: 'cpu', kind: 'cpu', threshold: 90, minutes: 5 },
      { name: 'mem', kind: 'memory', threshold: 95 },
      { name: 'crash', kind: 'crashed' },
      { name: 'stop', kind: 'unexpectedStop' },
    ]).rules,
  );
  let notifications = 0;
  monitor.engine.onDidChange((c) => {
    if (c.type === 'fired') notifications++;
  });
  monitor.addHost(host);
  const refs = Array.from({ length: vms }, (_, i) => ({ name: `vm${i}`, uuid: `00000000-0000-0000-0000-${String(i).padStart(12, '0')}`, id: i + 1 }));
  const t0 = performance.now();
  for (let s = 0; s < samples; s++) {
    now += 5000;
    const readings: VmReading[] = refs.map((ref, i) => ({ ref, active: true, cpuPercent: i % 2 === 0 ? 95 : 10 + (s % 7), memoryPercent: 50, tags: [] }));
    listener?.({ at: now, vms: readings });
    monitor.engine.tick();
  }
  const total = performance.now() - t0;
  monitor.dispose();
  const perSampleMs = total / samples;
  return { vms, samples, perSampleMs, coreShareAt5s: perSampleMs / 5000, notifications };
}

export function formatAlertsBench(b: AlertsBench): string {
  return [
    `${b.vms} running VMs, 4 rules (CPU, memory, crash, stop), ${b.samples} refreshes (1 h at 5 s)`,
    `monitor + engine per refresh: ${b.perSampleMs.toFixed(2)} ms  →  ${(b.coreShareAt5s * 100).toFixed(3)} % of one core at a 5 s interval`,
    `notifications: ${b.notifications} (one per VM above the CPU threshold, none repeated)`,
  ].join('\n');
}

if (require.main === module) console.log(formatAlertsBench(benchAlerts()));
