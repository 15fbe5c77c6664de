#!/usr/bin/env python3
"""Runs nix-instantiate and nixcfg on each workload, interleaved: every
round runs both, in alternating order, so that a slow phase of a shared
machine (single runs here vary by up to 2x) falls on both alike. Prints,
per workload, the median wall time, the median CPU time (user + system,
which includes Nix's garbage collector's page faults) and the peak RSS
of each, with the ratios nix / nixcfg (above 1: nixcfg is faster or
smaller), then the geometric means. Fails if the two print different
values.

    bench/side_by_side.py NIXCFG ROUNDS WORKLOAD.nix...
"""
import math
import os
import statistics
import subprocess
import sys
import time


def run(cmd):
    """Wall seconds, CPU seconds and peak RSS (KiB) of one run."""
    start = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - start
    if status != 0:
        sys.exit(f"{' '.join(cmd)} failed (status {status})")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def output(cmd):
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout


def main():
    nixcfg, rounds, workloads = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    tools = {
        "nix": ["nix-instantiate", "--eval", "--strict"],
        "nixcfg": [nixcfg, "nix-instantiate", "--eval", "--strict"],
    }
    print("%-22s %9s %9s %6s %9s %9s %6s %8s %8s %6s" % (
        "workload", "nix_ms", "nixcfg_ms", "speed", "nix_cpu", "ours_cpu", "cpu",
        "nix_MiB", "ours_MiB", "memory"))
    speeds, cpus, mems = [], [], []
    for w in workloads:
        a, b = (output(t + [w]) for t in tools.values())
        if a != b:
            sys.exit(f"{w}: nix printed {a!r}, nixcfg {b!r}")
        runs = {k: [] for k in tools}
        for r in range(rounds + 1):  # round 0 warms the caches
            order = list(tools) if r % 2 == 0 else list(reversed(tools))
            for k in order:
                m = run(tools[k] + [w])
                if r > 0:
                    runs[k].append(m)
        med = {k: [statistics.median(x[i] for x in v) * 1000 for i in (0, 1)]
               for k, v in runs.items()}
        peak = {k: max(x[2] for x in v) / 1024 for k, v in runs.items()}
        speed = med["nix"][0] / med["nixcfg"][0]
        cpu = med["nix"][1] / med["nixcfg"][1]
        mem = peak["nix"] / peak["nixcfg"]
        speeds.append(speed)
        cpus.append(cpu)
        mems.append(mem)
        name = os.path.basename(w).removesuffix(".nix")
        print("%-22s %9.1f %9.1f %5.2fx %9.1f %9.1f %5.2fx %8.1f %8.1f %5.2fx" % (
            name, med["nix"][0], med["nixcfg"][0], speed, med["nix"][1],
            med["nixcfg"][1], cpu, peak["nix"], peak["nixcfg"], mem), flush=True)

    def geo(xs):
        return math.exp(sum(map(math.log, xs)) / len(xs))

    print("%-22s %19s %5.2fx %19s %5.2fx %17s %5.2fx" % (
        "geometric mean", "", geo(speeds), "", geo(cpus), "", geo(mems)))


if __name__ == "__main__":
    main()
