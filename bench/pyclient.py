#!/usr/bin/env python3
"""The same work as bench/ourClient.ts through libvirt's C library (python3-libvirt): open,
list all domains, bulk stats (state + balloon + vcpu). Prints the two counts."""
import sys

import libvirt

uri = sys.argv[1] if len(sys.argv) > 1 else "qemu:///system"
conn = libvirt.open(uri)
doms = conn.listAllDomains(0)
stats = conn.getAllDomainStats(
    libvirt.VIR_DOMAIN_STATS_STATE | libvirt.VIR_DOMAIN_STATS_BALLOON | libvirt.VIR_DOMAIN_STATS_VCPU, 0
)
print(len(doms), len(stats))
conn.close()
