#!/usr/bin/python3
"""Our SMO beside scikit-learn's SVC (libsvm) on one precomputed Gram matrix, in one session.

  /usr/bin/python3 bench/peers/svm.py [--n 5000] [--repeats 5] [--out bench/results/epyc-2core/svm.md]

1. builds the runner and makes sure the problem files exist (`fusion bench svm --generate-only`):
   n MNIST digits for training, the others (up to 5 000) for testing, pixel view, RBF kernel with
   the median-heuristic gamma, as float32 Gram files (format: src/Models/Mkl/GramFile.cs:
   "FSGM", int32 type, int32 rows, int32 cols, then the values) plus problem.json (C, tol, ...);
2. runs, each in a fresh process and interleaved (ours on 1 thread, ours on all threads, sklearn,
   ours, ...), the same work: load the files, one untimed warm-up fit on the first 300 digits, then
   one timed one-vs-one fit on all n (C = 10, tol = 1e-3) and a prediction of the test digits;
3. prints the best fit time of each side, the ratios, test accuracy (difference in points),
   support vectors (training points with alpha > 0 in any machine) and SMO iterations.

sklearn gets the Gram already as C-contiguous float64 (what fit would otherwise convert to, so the
conversion is not timed) and a kernel cache of 1 000 MB, more than the whole 5 000 x 5 000 Gram in
libsvm's float32 cache. libsvm trains its 45 machines one after another on one thread, with
shrinking (sklearn's default). Needs Debian's python3-sklearn (apt-get install python3-sklearn).
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from sidebyside import ROOT, build_runner, run_json

WARM_UP = 300


def load(path: Path, dtype):
    """A GramFile: 16-byte header ("FSGM", int32 type, rows, cols), then rows x cols values."""
    import numpy as np

    header = np.fromfile(path, dtype=np.int32, count=4)
    if path.read_bytes()[:4] != b"FSGM":
        raise SystemExit(f"{path}: not a Gram file")
    expected = {np.float32: 1, np.int32: 2}[dtype]
    if header[1] != expected:
        raise SystemExit(f"{path}: element type {header[1]}, expected {expected}")
    rows, cols = int(header[2]), int(header[3])
    return np.fromfile(path, dtype=dtype, offset=16).reshape(rows, cols)


def sklearn_fit(folder: Path):
    import numpy as np
    import sklearn
    from sklearn.svm import SVC

    problem = json.loads((folder / "problem.json").read_text())
    k_train = np.ascontiguousarray(load(folder / "train.gram", np.float32), dtype=np.float64)
    y_train = load(folder / "train.labels", np.int32).ravel()
    k_test = np.ascontiguousarray(load(folder / "test.gram", np.float32), dtype=np.float64)
    y_test = load(folder / "test.labels", np.int32).ravel()

    def svc():
        return SVC(kernel="precomputed", C=problem["c"], tol=problem["tol"], cache_size=1000,
                   decision_function_shape="ovo")

    svc().fit(k_train[:WARM_UP, :WARM_UP], y_train[:WARM_UP])
    model = svc()
    t0, c0 = time.perf_counter(), time.process_time()
    model.fit(k_train, y_train)
    fit, fit_cpu = time.perf_counter() - t0, time.process_time() - c0
    t0 = time.perf_counter()
    predicted = model.predict(k_test)
    predict = time.perf_counter() - t0
    print(json.dumps({
        "workload": "svm", "impl": "scikit-learn " + sklearn.__version__ + " (libsvm)",
        "sizes": f"{len(y_train)} train, {len(y_test)} test", "threads": 1,
        "seconds": fit, "cpu_seconds": fit_cpu, "predict_seconds": predict, "accuracy": float(np.mean(predicted == y_test)),
        "support_vectors": int(model.support_.size), "iterations": int(np.sum(model.n_iter_)),
        "machines": int(len(model.n_iter_)), "c": problem["c"], "gamma": problem["gamma"],
    }))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=5000)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--dir", type=Path)
    p.add_argument("--out", type=Path)
    p.add_argument("--sklearn", type=Path, help=argparse.SUPPRESS)  # child mode: the sklearn side on a folder
    args = p.parse_args()
    if args.sklearn:
        sklearn_fit(args.sklearn)
        return

    fusion = build_runner()
    folder = args.dir or Path(f"/tmp/fusionscratch-svm-{args.n}")
    bench = ["bench", "svm", "--n", str(args.n), "--dir", str(folder)]
    subprocess.run(fusion + bench + ["--generate-only"], check=True, cwd=ROOT)

    load_before = os.getloadavg()[0]
    sides = {"ours1": [], "oursT": [], "sklearn": []}
    for _ in range(args.repeats):
        sides["ours1"].append(run_json(fusion + ["--threads", "1"] + bench + ["--json"]))
        sides["sklearn"].append(run_json([sys.executable, __file__, "--sklearn", str(folder)]))
        if args.threads > 1:
            sides["oursT"].append(run_json(fusion + ["--threads", str(args.threads)] + bench + ["--json"]))

    def best(runs):
        return min(runs, key=lambda r: r["seconds"])

    sk = best(sides["sklearn"])
    ours = [best(sides["ours1"])] + ([best(sides["oursT"])] if sides["oursT"] else [])
    for r in sides["ours1"] + sides["oursT"]:
        if abs(r["accuracy"] - sk["accuracy"]) > 0.003:
            print(f"warning: our accuracy {r['accuracy']} is more than 0.3 points from sklearn's {sk['accuracy']}", file=sys.stderr)
    problem = json.loads((folder / "problem.json").read_text())
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), platform.machine())
    lines = [
        f"Machine: {platform.node()}, {cpu}, {os.cpu_count()} cores shared with other work (load average "
        f"{load_before:.1f} before, {os.getloadavg()[0]:.1f} after), `{' '.join(sys.argv)}`. Problem: {sk['sizes']} MNIST digits, "
        f"pixel view, RBF γ = {problem['gamma']:.4g} (median heuristic), C = {problem['c']:g}, tol = {problem['tol']:g}, "
        f"one-vs-one ({sk['machines']} machines), one precomputed float32 Gram for both. Fit time: best of {args.repeats} "
        f"interleaved runs each, fresh process each, after an untimed warm-up fit on {WARM_UP} digits.", "",
        "| | " + " | ".join(f"FusionScratch SMO ({r['threads']} thread{'s' if r['threads'] > 1 else ''})" for r in ours)
        + f" | {sk['impl']}, 1 thread |",
        "|---|" + "---|" * (len(ours) + 1),
        "| fit time (best) | " + " | ".join(f"{r['seconds']:.3f} s" for r in ours) + f" | {sk['seconds']:.3f} s |",
        "| fit time / sklearn's | " + " | ".join(f"**{r['seconds'] / sk['seconds']:.2f}×**" for r in ours) + " | 1 |",
        "| fit CPU time (best; all threads) | " + " | ".join(
            f"{min(x['cpu_seconds'] for x in runs):.3f} s" for runs in [sides["ours1"], sides["oursT"]][:len(ours)]) +
        f" | {min(x['cpu_seconds'] for x in sides['sklearn']):.3f} s |",
        "| fit time (median) | " + " | ".join(
            f"{sorted(x['seconds'] for x in runs)[len(runs) // 2]:.3f} s"
            for runs in [sides["ours1"], sides["oursT"]][:len(ours)]) +
        f" | {sorted(x['seconds'] for x in sides['sklearn'])[len(sides['sklearn']) // 2]:.3f} s |",
        "| test accuracy | " + " | ".join(f"{100 * r['accuracy']:.2f} % ({100 * (r['accuracy'] - sk['accuracy']):+.2f} points)" for r in ours)
        + f" | {100 * sk['accuracy']:.2f} % |",
        "| support vectors | " + " | ".join(str(r["support_vectors"]) for r in ours) + f" | {sk['support_vectors']} |",
        "| SMO iterations (all machines) | " + " | ".join(f"{r['iterations']:,}" for r in ours) + f" | {sk['iterations']:,} |",
        "| predict (not compared) | " + " | ".join(f"{r['predict_seconds']:.3f} s" for r in ours) + f" | {sk['predict_seconds']:.3f} s |",
    ]
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
