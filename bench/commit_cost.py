#!/usr/bin/env python3
"""What one commit costs: a one-vector insert into a 20k x 128 index, alternating two caliby
binaries (e.g. before and after a storage change) so machine drift falls on both alike.

usage: bench/commit_cost.py NEW_CALIBY OLD_CALIBY [--runs 20]
Prints the median and quartiles of the wall time per command for each binary, and their ratio.
Needs numpy (to make the vectors). Data directories go under $CALIBY_BENCH_HOME (default /tmp).
"""
import argparse
import os
import shutil
import statistics
import subprocess
import time

import numpy as np


def fvecs(path, rows):
    n, d = rows.shape
    out = np.empty((n, d + 1), dtype=np.float32)
    out[:, 0] = np.array([d], dtype=np.int32).view(np.float32)[0]
    out[:, 1:] = rows
    out.tofile(path)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("new")
    parser.add_argument("old")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    home = os.path.join(os.environ.get("CALIBY_BENCH_HOME", "/tmp"), "caliby-commit-cost")
    shutil.rmtree(home, ignore_errors=True)
    os.makedirs(home)
    rng = np.random.default_rng(7)
    base, one = os.path.join(home, "base.fvecs"), os.path.join(home, "one.fvecs")
    fvecs(base, rng.standard_normal((20000, 128)).astype(np.float32))
    fvecs(one, rng.standard_normal((1, 128)).astype(np.float32))
    binaries = {"new": args.new, "old": args.old}
    for name, caliby in binaries.items():
        d = os.path.join(home, name)
        for command in (["init"], ["create", "v", "--dim", "128", "--max-elements", "100000"], ["insert", "v", base, "--quiet"]):
            subprocess.run([caliby] + command + ["--dir", d], check=True, stdout=subprocess.DEVNULL)
    times = {name: [] for name in binaries}
    for _ in range(args.runs):
        for name, caliby in binaries.items():
            start = time.perf_counter()
            subprocess.run([caliby, "insert", "v", one, "--quiet", "--dir", os.path.join(home, name)], check=True)
            times[name].append(time.perf_counter() - start)
    for name, values in times.items():
        q = statistics.quantiles(values, n=4)
        print(f"{name}: median {statistics.median(values) * 1000:.1f} ms (quartiles {q[0] * 1000:.1f}-{q[2] * 1000:.1f})")
    ratios = [a / b for a, b in zip(times["new"], times["old"])]
    print(f"new/old, pairwise median: {statistics.median(ratios):.2f}")


if __name__ == "__main__":
    main()
