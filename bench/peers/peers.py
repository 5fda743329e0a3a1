#!/usr/bin/python3
"""Peer implementations of the `fusion bench` workloads, timed the same way (warm-up, then
best and median of repeats within a time budget), printing the same JSON lines.

  /usr/bin/python3 bench/peers/peers.py gemm --impl numpy --threads 1
  /usr/bin/python3 bench/peers/peers.py train --impl torch --threads 2

Run it with Debian's /usr/bin/python3 (python3-numpy, libopenblas0-pthread, python3-torch).
OpenBLAS mistakes this CPU for an old one and runs SSE3 kernels unless OPENBLAS_CORETYPE=SkylakeX
is set; compare.py sets it (and the thread variables) before starting this script.
"""
import argparse
import json
import os
import sys
import time

GEMM_SIZES = [(256, 256, 256), (1024, 1024, 1024), (21632, 64, 288)]


def measure(work, budget, min_repeats=5, max_repeats=1000):
    t0 = time.perf_counter()
    i = 0
    while i < 3 or (time.perf_counter() - t0 < budget * 0.2 and i < 200):
        work()
        i += 1
    times = []
    start = time.perf_counter()
    while len(times) < min_repeats or (time.perf_counter() - start < budget and len(times) < max_repeats):
        t = time.perf_counter()
        work()
        times.append(time.perf_counter() - t)
    times.sort()
    return times[0], times[len(times) // 2]


def emit(workload, sizes, threads, best, median, impl, gflops=None, items=None):
    print(json.dumps({"workload": workload, "sizes": sizes, "threads": threads, "seconds": best,
                      "median_seconds": median, "gflops": gflops, "items_per_second": items, "impl": impl}),
          flush=True)


def gemm(impl, threads, budget):
    if impl == "numpy":
        import numpy as np
        rng = np.random.default_rng(42)
        for m, n, k in GEMM_SIZES:
            a = rng.uniform(-1, 1, (m, k)).astype(np.float32)
            b = rng.uniform(-1, 1, (k, n)).astype(np.float32)
            c = np.empty((m, n), np.float32)
            best, med = measure(lambda: np.matmul(a, b, out=c), budget)
            emit("gemm", f"{m}x{n}x{k}", threads, best, med, "numpy", gflops=2 * m * n * k / best / 1e9)
    else:
        import torch
        torch.manual_seed(42)
        for m, n, k in GEMM_SIZES:
            a = torch.rand(m, k) * 2 - 1
            b = torch.rand(k, n) * 2 - 1
            c = torch.empty(m, n)
            best, med = measure(lambda: torch.mm(a, b, out=c), budget)
            emit("gemm", f"{m}x{n}x{k}", threads, best, med, "torch", gflops=2 * m * n * k / best / 1e9)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("workload", choices=["gemm"])
    p.add_argument("--impl", choices=["numpy", "torch"], required=True)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--seconds", type=float, default=1.0)
    args = p.parse_args()
    if args.impl == "torch":
        import torch
        torch.set_num_threads(args.threads)
    {"gemm": gemm}[args.workload](args.impl, args.threads, args.seconds)


if __name__ == "__main__":
    sys.exit(main())
