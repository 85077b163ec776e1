#!/usr/bin/env python3
"""Writes a clustered random vector set for bulk-fvecs.sh, with nothing but the standard library:
base.fvecs (the vectors to index), queries.fvecs, and groundtruth.ivecs (each query's true k
nearest base vectors by squared L2, found by brute force), in the TEXMEX formats caliby reads.

usage: make-vectors.py OUT_DIR [--count N] [--dim D] [--queries Q] [-k K] [--seed S]
"""
import argparse
import heapq
import os
import random
import struct


def write_vecs(path, rows, code):
    """.fvecs (code 'f') or .ivecs (code 'i'): per row, an int32 dimension, then the values."""
    with open(path, "wb") as out:
        for row in rows:
            out.write(struct.pack("<i%d%s" % (len(row), code), len(row), *row))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir")
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--dim", type=int, default=24)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("-k", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    centres = [[rng.gauss(0, 10) for _ in range(args.dim)] for _ in range(20)]

    def vector():
        centre = rng.choice(centres)
        return [c + rng.gauss(0, 2) for c in centre]

    base = [vector() for _ in range(args.count)]
    queries = [vector() for _ in range(args.queries)]
    truth = []
    for query in queries:
        distances = ((sum((q - b) ** 2 for q, b in zip(query, row)), i) for i, row in enumerate(base))
        truth.append([i for _, i in heapq.nsmallest(args.k, distances)])

    os.makedirs(args.out_dir, exist_ok=True)
    write_vecs(os.path.join(args.out_dir, "base.fvecs"), base, "f")
    write_vecs(os.path.join(args.out_dir, "queries.fvecs"), queries, "f")
    write_vecs(os.path.join(args.out_dir, "groundtruth.ivecs"), truth, "i")


if __name__ == "__main__":
    main()
