#!/usr/bin/env python3
"""The same work as bench/ourClient.ts through libvirt's C library (python3-libvirt): open,
list all domains, bulk stats (state + balloon + vcpu). Prints one JSON line with the two counts
and the in-process time of each step (time.perf_counter, milliseconds), the same fields as
bench/ourClient.ts; `importMs` is the time to import the libvirt module, `workCpuMs` this
process's CPU time (user + system) over the three steps. With a second argument
N, it then also repeats each step N times (warm, one connection for list and stats, a new one
per open) and adds the medians as warmOpenMs, warmListMs and warmStatsMs; a third argument W runs
the three steps W times first, untimed, as bench/main.ts does with ours."""
import json
import statistics
import sys
import time

t_import = time.perf_counter()
import libvirt  # noqa: E402  (timed import)

import_ms = (time.perf_counter() - t_import) * 1000

uri = sys.argv[1] if len(sys.argv) > 1 else "qemu:///system"
flags = libvirt.VIR_DOMAIN_STATS_STATE | libvirt.VIR_DOMAIN_STATS_BALLOON | libvirt.VIR_DOMAIN_STATS_VCPU
c0 = time.process_time()
t0 = time.perf_counter()
conn = libvirt.open(uri)
t1 = time.perf_counter()
doms = conn.listAllDomains(0)
t2 = time.perf_counter()
stats = conn.getAllDomainStats(flags, 0)
t3 = time.perf_counter()
c3 = time.process_time()
result = {
    "domains": len(doms),
    "stats": len(stats),
    "importMs": import_ms,
    "openMs": (t1 - t0) * 1000,
    "listMs": (t2 - t1) * 1000,
    "statsMs": (t3 - t2) * 1000,
    "workMs": (t3 - t0) * 1000,
    "workCpuMs": (c3 - c0) * 1000,
}


def timed_ms(fn):
    t = time.perf_counter()
    fn()
    return (time.perf_counter() - t) * 1000


def open_ms():
    t = time.perf_counter()
    c = libvirt.open(uri)
    ms = (time.perf_counter() - t) * 1000
    c.close()
    return ms


if len(sys.argv) > 2:
    repeat = int(sys.argv[2])
    warmup = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    for _ in range(warmup):
        conn.listAllDomains(0)
        conn.getAllDomainStats(flags, 0)
        open_ms()
    result["warmListMs"] = statistics.median(timed_ms(lambda: conn.listAllDomains(0)) for _ in range(repeat))
    result["warmStatsMs"] = statistics.median(timed_ms(lambda: conn.getAllDomainStats(flags, 0)) for _ in range(repeat))
    result["warmOpenMs"] = statistics.median(open_ms() for _ in range(repeat))
conn.close()
print(json.dumps(result))
