// The stats groups (virDomainStatsTypes) of the tree's one bulk call per refresh. Without
// `vscode`, so the benchmarks time the same call.

import { VirDomainStatsTypes } from '../libvirt/generated/libvirtConstants';

/** Stats groups of the one bulk call per refresh (virDomainStatsTypes). */
export const TREE_STATS = VirDomainStatsTypes.STATE | VirDomainStatsTypes.CPU_TOTAL | VirDomainStatsTypes.BALLOON | VirDomainStatsTypes.VCPU;

/**
 * Added to the same bulk call while a details panel shows a VM's performance: disk and network
 * bytes. Left out otherwise, since for every VM they cost a monitor query (running) or a look at
 * each disk image (shut off); bench/detailsBench.ts measures the difference.
 */
export const PERF_STATS = VirDomainStatsTypes.BLOCK | VirDomainStatsTypes.INTERFACE;
