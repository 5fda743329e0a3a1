#!/usr/bin/python3
"""cuBLAS SGEMM through PyTorch on the GPU, the peer for GpuGemmBench (bench/GpuBench.cs).

  /usr/bin/python3 bench/peers/gpu_matmul.py            # 4096^3, FP32 with TF32 off
  /usr/bin/python3 bench/peers/gpu_matmul.py --n 1024

TF32 is switched off (torch.backends.cuda.matmul.allow_tf32 = False) so cuBLAS does true FP32,
like our kernels; the issue's target is GpuTiled >= 50 % of this GFLOP/s on the same GPU.
Prints one JSON line like `fusion bench`: workload, sizes, seconds (best), GFLOP/s, device.
Without PyTorch or without a CUDA device it prints one line saying so and exits 0.
"""
import argparse
import json
import sys
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=4096, help="M = N = K")
    ap.add_argument("--repeats", type=int, default=20)
    args = ap.parse_args()
    try:
        import torch
    except ImportError:
        print("no CUDA: PyTorch is not installed (apt-get install python3-torch, or a CUDA build of torch)")
        return 0
    if not torch.cuda.is_available():
        print("no CUDA: torch.cuda.is_available() is False; nothing to measure")
        return 0
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    n = args.n
    g = torch.Generator(device="cuda").manual_seed(1)
    a = torch.rand((n, n), device="cuda", dtype=torch.float32, generator=g) * 2 - 1
    b = torch.rand((n, n), device="cuda", dtype=torch.float32, generator=g) * 2 - 1
    for _ in range(3):  # warm-up: cuBLAS handle, heuristics, clocks
        torch.matmul(a, b)
    torch.cuda.synchronize()
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        torch.matmul(a, b)
        torch.cuda.synchronize()  # device-resident timing: wait for the kernel, no transfers
        times.append(time.perf_counter() - start)
    best = min(times)
    print(json.dumps({
        "workload": "gemm-gpu", "impl": "torch-cublas-fp32", "sizes": [n, n, n],
        "seconds": best, "median_seconds": sorted(times)[len(times) // 2],
        "gflops": 2.0 * n ** 3 / best / 1e9, "device": torch.cuda.get_device_name(0),
        "tf32": False,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
