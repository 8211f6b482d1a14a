#!/usr/bin/env python3
"""The same work as bench/ourClient.ts through libvirt's C library (python3-libvirt): open,
list all domains, bulk stats (state + balloon + vcpu). Prints one JSON line with the two counts
and the in-process time of each step (time.perf_counter, milliseconds), the same fields as
bench/ourClient.ts; `importMs` is the time to import the libvirt module."""
import json
import sys
import time

t_import = time.perf_counter()
import libvirt  # noqa: E402  (timed import)

import_ms = (time.perf_counter() - t_import) * 1000

uri = sys.argv[1] if len(sys.argv) > 1 else "qemu:///system"
flags = libvirt.VIR_DOMAIN_STATS_STATE | libvirt.VIR_DOMAIN_STATS_BALLOON | libvirt.VIR_DOMAIN_STATS_VCPU
t0 = time.perf_counter()
conn = libvirt.open(uri)
t1 = time.perf_counter()
doms = conn.listAllDomains(0)
t2 = time.perf_counter()
stats = conn.getAllDomainStats(flags, 0)
t3 = time.perf_counter()
conn.close()
print(
    json.dumps(
        {
            "domains": len(doms),
            "stats": len(stats),
            "importMs": import_ms,
            "openMs": (t1 - t0) * 1000,
            "listMs": (t2 - t1) * 1000,
            "statsMs": (t3 - t2) * 1000,
            "workMs": (t3 - t0) * 1000,
        }
    )
)
