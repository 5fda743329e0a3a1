#!/usr/bin/python3
"""Peer implementations of the `fusion bench` workloads, timed the same way (warm-up, then
best and median of repeats within a time budget), printing the same JSON lines.

  /usr/bin/python3 bench/peers/peers.py gemm --impl numpy --threads 1
  /usr/bin/python3 bench/peers/peers.py train --impl torch --threads 2
  /usr/bin/python3 bench/peers/peers.py lmf --impl torch --threads 1

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


BATCH = 128


def conv(impl, threads, budget):
    """conv 3x3, 32 -> 64 on (128, 32, 26, 26): forward + input and weight gradients."""
    import torch
    torch.manual_seed(42)
    x = (torch.rand(BATCH, 32, 26, 26) * 2 - 1).requires_grad_()
    layer = torch.nn.Conv2d(32, 64, 3)

    def step():
        x.grad = None
        layer.zero_grad()
        layer(x).sum().backward()

    best, med = measure(step, budget)
    flops = 3 * 2.0 * BATCH * 64 * 32 * 9 * 24 * 24
    emit("conv", "128x32x26x26 k3 32->64 fwd+bwd", threads, best, med, "torch", gflops=flops / best / 1e9,
         items=BATCH / best)


def reference_cnn():
    import torch.nn as nn
    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(),
        nn.Conv2d(32, 64, 3), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(9216, 128), nn.ReLU(),
        nn.Linear(128, 10))


def train(impl, threads, budget):
    """One SGD-with-momentum step of the reference CNN on 128 images of 28x28x1."""
    import torch
    import torch.nn.functional as F
    torch.manual_seed(42)
    model = reference_cnn()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.rand(BATCH, 1, 28, 28)
    y = torch.randint(0, 10, (BATCH,))

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()

    best, med = measure(step, budget)
    emit("train", f"reference cnn, batch {BATCH}, 28x28x1", threads, best, med, "torch", items=BATCH / best)


def lmf(impl, threads, budget):
    """LMF layer (Liu et al. 2018) as the authors' code composes it: modalities 128/64/300, each
    extended by a 1, times factors (r, d+1, h), Hadamard product over modalities, weighted sum over
    the rank, + bias; rank 4, 32 outputs, batch 256. fwd + sum + bwd, first with gradients for the
    parameters only, then for the inputs too (the same two lines `fusion bench lmf` prints)."""
    import torch
    torch.manual_seed(42)
    dims, batch, rank, out = (128, 64, 300), 256, 4, 32
    factors = [torch.nn.Parameter(torch.randn(rank, d + 1, out) * (2.0 / (d + 1 + out)) ** 0.5) for d in dims]
    weights = torch.nn.Parameter(torch.randn(1, rank) * (2.0 / (1 + rank)) ** 0.5)
    bias = torch.nn.Parameter(torch.zeros(1, out))
    params = factors + [weights, bias]
    for input_grads in (False, True):
        zs = [torch.randn(batch, d, requires_grad=input_grads) for d in dims]

        def step():
            for p in params + zs:
                p.grad = None
            ones = torch.ones(batch, 1)
            fused = None
            for z, w in zip(zs, factors):
                proj = torch.matmul(torch.cat((z, ones), dim=1), w)   # (r, B, out)
                fused = proj if fused is None else fused * proj
            y = torch.matmul(weights, fused.permute(1, 0, 2)).squeeze(1) + bias   # (B, out)
            y.sum().backward()

        best, med = measure(step, budget)
        flops = (3 if input_grads else 2) * 2.0 * batch * rank * out * sum(dims)
        emit("lmf", f"128/64/300 r{rank} h{out} b{batch}{' +dx' if input_grads else ''}", threads, best, med, "torch",
             gflops=flops / best / 1e9, items=batch / best)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("workload", choices=["gemm", "conv", "train", "lmf"])
    p.add_argument("--impl", choices=["numpy", "torch"], required=True)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--seconds", type=float, default=1.0)
    args = p.parse_args()
    if args.impl == "torch":
        import torch
        torch.set_num_threads(args.threads)
    if args.workload != "gemm" and args.impl != "torch":
        p.error(f"{args.workload} has a torch peer only")
    {"gemm": gemm, "conv": conv, "train": train, "lmf": lmf}[args.workload](args.impl, args.threads, args.seconds)


if __name__ == "__main__":
    sys.exit(main())
