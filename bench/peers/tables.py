#!/usr/bin/python3
"""The customers study's fusion at scale, FusionScratch beside pandas, in one session.

  /usr/bin/python3 bench/peers/tables.py [--customers 1000000] [--repeats 2] [--out bench/results/epyc-2core/tables.md]

1. builds the runner and makes sure the generated CSVs exist (`fusion bench tables --generate-only`:
   customers.csv, purchases.csv, activity.csv, images.csv; about 10 purchases and 10 visits per
   customer, so 1 000 000 customers give about 10 000 000 rows each);
2. runs, each in a fresh process and interleaved (ours, pandas, ours, pandas, ...), the same work:
   read the four CSVs, aggregate purchases and activity per customer (rows, sum, mean, max, most
   frequent product / page, support and cancel visits), left-join them and the image references to
   the customers, fill counts of customers without rows with 0, round sums, write the fused CSV;
3. prints each side's best time and peak memory (the process's peak resident set) and the ratios.

Needs Debian's python3-pandas (apt-get install python3-pandas) and /usr/bin/python3. pandas gets
the dtype hints a careful user would give it (product and page as categories), and the fastest
idiom we found for "most frequent value per group" (count per (group, value), unstack, idxmax: 5×
faster here than sorting the long count table).
"""
import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

from sidebyside import ROOT, build_runner, run_json

def pandas_fuse(folder: Path):
    import pandas as pd

    t0 = time.perf_counter()
    customers = pd.read_csv(folder / "customers.csv")
    purchases = pd.read_csv(folder / "purchases.csv", dtype={"product": "category"})
    activity = pd.read_csv(folder / "activity.csv", dtype={"page": "category"})
    images = pd.read_csv(folder / "images.csv")
    t1 = time.perf_counter()

    def most_frequent(df, value, name):
        # Counts per (customer, value) as a customers × values table, then the arg-max per row.
        # Categories are sorted, and idxmax takes the first maximum: ties go to the smaller
        # string, as in FusionScratch's Mode. (Faster than sorting the long count table.)
        counts = df.groupby(["customer_id", value], observed=True).size().unstack(fill_value=0).sort_index(axis=1)
        return counts.idxmax(axis=1).astype(str).rename(name)

    spend = purchases.groupby("customer_id").agg(
        purchases=("purchase_id", "size"), spend_total=("amount", "sum"),
        spend_mean=("amount", "mean"), spend_max=("amount", "max"))
    spend = spend.join(most_frequent(purchases, "product", "top_product"))
    activity["is_support"] = (activity["page"] == "support").astype("float64")
    activity["is_cancel"] = (activity["page"] == "cancel").astype("float64")
    visits = activity.groupby("customer_id").agg(
        visits=("activity_id", "size"), time_on_site=("duration_seconds", "sum"),
        visit_mean_seconds=("duration_seconds", "mean"),
        support_visits=("is_support", "sum"), cancel_visits=("is_cancel", "sum"))
    visits = visits.join(most_frequent(activity, "page", "top_page"))
    visits = visits[["visits", "time_on_site", "visit_mean_seconds", "top_page", "support_visits", "cancel_visits"]]

    fused = customers.merge(spend, on="customer_id", how="left").merge(visits, on="customer_id", how="left")
    for column in ["purchases", "spend_total", "visits", "time_on_site", "support_visits", "cancel_visits"]:
        fused[column] = fused[column].fillna(0)
    fused = fused.round({"spend_total": 2, "spend_mean": 2, "time_on_site": 1, "visit_mean_seconds": 1})
    fused = fused.merge(images, on="customer_id", how="left")
    t2 = time.perf_counter()
    fused.to_csv(folder / "fused.pandas.csv", index=False)
    t3 = time.perf_counter()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps({
        "workload": "tables", "impl": "pandas " + pd.__version__,
        "sizes": f"{len(customers)}/{len(purchases)}/{len(activity)}", "threads": 1,
        "seconds": t3 - t0, "read_seconds": t1 - t0, "fuse_seconds": t2 - t1, "write_seconds": t3 - t2,
        "fused_rows": len(fused), "peak_rss_mb": peak_mb,
    }))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--customers", type=int, default=1_000_000)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--dir", type=Path)
    p.add_argument("--out", type=Path)
    p.add_argument("--pandas", type=Path, help=argparse.SUPPRESS)  # child mode: run the pandas side on a folder
    args = p.parse_args()
    if args.pandas:
        pandas_fuse(args.pandas)
        return

    fusion = build_runner() + ["bench", "tables",
                                "--customers", str(args.customers), "--threads", str(args.threads)]
    if args.dir:
        fusion += ["--dir", str(args.dir)]
    subprocess.run(fusion + ["--generate-only"], check=True, cwd=ROOT)
    folder = args.dir or Path(f"/tmp/fusionscratch-tables-{args.customers}")

    ours, theirs = [], []
    for _ in range(args.repeats):
        ours.append(run_json(fusion + ["--json"]))
        theirs.append(run_json([sys.executable, __file__, "--pandas", str(folder)]))

    def best(runs):
        return min(runs, key=lambda r: r["seconds"])

    a, b = best(ours), best(theirs)
    rows = [
        ("total (read + fuse + write)", a["seconds"], b["seconds"]),
        ("read the four CSVs", a["read_seconds"], b["read_seconds"]),
        ("aggregate + join", a["fuse_seconds"], b["fuse_seconds"]),
        ("write the fused CSV", a["write_seconds"], b["write_seconds"]),
    ]
    lines = [
        f"Machine: {platform.node()} ({os.cpu_count()} cores), `{' '.join(sys.argv)}`; rows: {a['sizes']} "
        f"(customers/purchases/activity); best of {args.repeats} interleaved runs each, fresh process each.", "",
        f"| stage | FusionScratch ({a['threads']} threads) | {b['impl']} | speed-up |",
        "|---|---|---|---|",
    ]
    for name, ours_s, pandas_s in rows:
        lines.append(f"| {name} | {ours_s:.2f} s | {pandas_s:.2f} s | **{pandas_s / ours_s:.2f}×** |")
    peak_a = max(r["peak_rss_mb"] for r in ours)
    peak_b = max(r["peak_rss_mb"] for r in theirs)
    lines.append(f"| peak memory (resident) | {peak_a:.0f} MB | {peak_b:.0f} MB | **{peak_b / peak_a:.2f}× less** |")
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
