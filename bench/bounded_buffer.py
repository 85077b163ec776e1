#!/usr/bin/env python3
"""An index built and searched through a buffer far smaller than it (issue 14's "1/10 of the index"),
against the same data built with room for everything: build time, peak RSS and bytes read, then
recall, QPS and bytes read per query for each search setting, cold (the directory's files dropped
from the OS page cache first, posix_fadvise DONTNEED, no root needed) and warm.

usage: bounded_buffer.py DATA --caliby PATH --db DIR --buffer 69M [--reference DIR] [--create "--dim 128 ..."]
                         [--search "--ef 40" --search "--ef 64"] [--queries 100] [--rounds 2]
DIR is built when it does not exist yet (`init`, `create v CREATE`, `insert --threads 2` through the
buffer), and kept: a 1M build through 1/10 of its file takes the better part of an hour. The
--reference directory, built the same way with the default buffer, gives the in-memory recall.
"""
import argparse, json, os, shlex, shutil, statistics, subprocess, sys, tempfile, time

from texmex import dataset, evict, parse_rows, read_vecs, write_vecs


def caliby(binary, args, stats=True):
    """Runs one command, with --stats unless told; (stdout, its stats as a dict, wall seconds)."""
    start = time.perf_counter()
    p = subprocess.run([binary] + args + (['--stats', '--stats-format', 'json'] if stats else []), capture_output=True, text=True)
    wall = time.perf_counter() - start
    if p.returncode != 0:
        sys.exit(f'{binary} {shlex.join(args)} exited {p.returncode}: {p.stderr.strip()[:2000]}')
    report = json.loads(next(line for line in p.stderr.splitlines() if line.startswith('{'))) if stats else {}
    return p.stdout, report, wall


def build(binary, base, db, buffer, create):
    caliby(binary, ['init', '--dir', db], stats=False)
    caliby(binary, ['create', 'v', '--dir', db] + shlex.split(create), stats=False)
    _, stats, wall = caliby(binary, ['insert', 'v', base, '--dir', db, '--threads', '2', '--quiet']
                            + (['--buffer-size', buffer] if buffer else []))
    print(f'built {db}{" through " + buffer if buffer else ""}: {wall:.0f} s, peak RSS {stats["peak_rss_bytes"] / 2**20:.1f} MiB, '
          f'{stats["bytes_read"] / 2**30:.1f} GiB read in {stats["pages_read"]:,} pages, {stats["evictions"]:,} evictions',
          flush=True)


def search(binary, db, buffer, queries, truth, setting, cold):
    if cold:
        evict([db])
    out, stats, _ = caliby(binary, ['search', 'v', '--dir', db, '--file', queries, '--groundtruth', truth, '-k', '10',
                                    '--format', 'tsv'] + (['--buffer-size', buffer] if buffer else []) + shlex.split(setting))
    row = parse_rows(out)[0]
    n = int(row['queries'])
    return dict(recall=float(row['recall']), qps=n / stats['phases']['search'], kib=stats['bytes_read'] / 1024 / n,
                rss=stats['peak_rss_bytes'] / 2**20)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('data')
    ap.add_argument('--caliby', required=True)
    ap.add_argument('--db', required=True)
    ap.add_argument('--buffer', required=True)
    ap.add_argument('--reference')
    ap.add_argument('--create', default='')
    ap.add_argument('--search', action='append', default=[])
    ap.add_argument('--queries', type=int, default=100)
    ap.add_argument('--rounds', type=int, default=2)
    a = ap.parse_args()
    base, query, gt, dim, n, _ = dataset(a.data)
    create = a.create or f'--dim {dim} --max-elements {n}'
    if not os.path.exists(a.db):
        build(a.caliby, base, a.db, a.buffer, create)
    if a.reference and not os.path.exists(a.reference):
        build(a.caliby, base, a.reference, None, create)
    work = tempfile.mkdtemp(prefix='bounded-')
    try:
        queries, truth = os.path.join(work, 'q.fvecs'), os.path.join(work, 'gt.ivecs')
        write_vecs(queries, read_vecs(query, 'float32')[:a.queries], 'float32')
        write_vecs(truth, read_vecs(gt, 'int32')[:a.queries], 'int32')
        print(f'{a.queries} queries, buffer {a.buffer}, medians of {a.rounds}')
        print('| search | recall@10 (buffer / in memory) | cold QPS | warm QPS | cold KiB read per query | peak RSS MiB |')
        print('|---|---|---|---|---|---|')
        for setting in a.search or ['']:
            runs = {True: [], False: []}
            for _ in range(a.rounds):
                for cold in (True, False):
                    runs[cold].append(search(a.caliby, a.db, a.buffer, queries, truth, setting, cold))
            reference = search(a.caliby, a.reference, None, queries, truth, setting, False)['recall'] if a.reference else float('nan')
            med = lambda cold, key: statistics.median(r[key] for r in runs[cold])
            print(f'| {setting or "default"} | {runs[True][0]["recall"]:.3f} / {reference:.3f} | {med(True, "qps"):,.0f} | '
                  f'{med(False, "qps"):,.0f} | {med(True, "kib"):,.0f} | {max(r["rss"] for rs in runs.values() for r in rs):.1f} |',
                  flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    main()
