#!/usr/bin/env python3
"""DiskANN larger than memory: caliby's index searched through a small buffer pool against diskannpy's
disk index (StaticDiskIndex), with the same bytes of PQ code per vector in memory, the same graph
(R, build L), beam width and list sizes, one search thread, the same queries. Each measurement is a
fresh process; "cold" first drops both indexes' files from the OS page cache (posix_fadvise
DONTNEED on each file, so programs and libraries stay cached and the bytes read are the index's),
"warm" runs the same command again at once (the page cache holds what the cold run read; caliby's pool starts
empty either way). Medians of alternated rounds. QPS is the search as each system times it: caliby's
includes reading the PQ codes into its pool, diskannpy's excludes loading them (its constructor does);
"QPS with open" counts opening the index too, for both. A second table sets each caliby point against
diskannpy's QPS interpolated at the same recall (the graphs differ, so one L gives each its own recall).
Bytes read per query are what the kernel read from disk for the whole process (block reads, readahead
included, as getrusage counts them for a child), divided by the queries.

usage: diskann_cold.py DATA --caliby PATH [--caliby PATH ...] [--buffer 8M] [--pq-bytes 32] [--Ls 32,64,128]
       [--width 4] [--queries 100] [--rounds 3] [--db DIR [--db DIR ...]] [--keep DIR]
A second --caliby (another build, for an A/B) is measured in the same rounds, named by its file name.
--db searches a caliby data directory built beforehand (index `v`, with the same R, L and PQ bytes),
so a large load can be timed and held to its own buffer; a second --db (e.g. a copy after `caliby
reorder`) is searched by the first --caliby as one more system, named by its directory's name.
--keep builds diskannpy's index in DIR, or reuses it when DIR already holds one.
Run with a Python that has diskannpy and numpy (diskannpy pins numpy 1.x: give it a venv of its own).
"""
import argparse, json, os, resource, shutil, statistics, subprocess, sys, tempfile

import numpy as np

from texmex import at_recall, dataset, evict, parse_rows, read_vecs, run, write_vecs

DISKANNPY_SEARCH = """
import json, resource, sys, time
import numpy as np, diskannpy
from texmex import read_vecs
index_dir, queries, gt, L, width = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
q = np.ascontiguousarray(read_vecs(queries, 'float32'))
truth = read_vecs(gt, 'int32')
# The search runs on one thread; the index gets two, because diskannpy 0.7's constructor spins in
# a futex forever with num_threads=1 on this machine.
# cache_mechanism 0: no node cache. The default (1) runs the index's sample queries (100k at 1M) at
# load, which reads the disk index over and over and leaves it in the page cache, so "cold" was warm.
opened = time.perf_counter()
index = diskannpy.StaticDiskIndex(index_directory=index_dir, num_threads=2, num_nodes_to_cache=0, cache_mechanism=0)
start = time.perf_counter()
ids, _ = index.batch_search(q, k_neighbors=10, complexity=L, num_threads=1, beam_width=width)
elapsed = time.perf_counter() - start
recall = float(np.mean([len(set(i[:10]) & set(t[:10])) / 10 for i, t in zip(ids, truth)]))
print('RESULT', json.dumps({'recall': recall, 'qps': len(q) / elapsed, 'qps_open': len(q) / (time.perf_counter() - opened),
                  'rss_mib': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def blocks_read():
    """512-byte blocks the finished children have read from disk so far."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_inblock


def caliby_search(cal, db, queries, gt, L, a):
    out = run([cal, 'search', 'v', '--dir', db, '--file', queries, '--groundtruth', gt, '-k', '10', '--L', str(L),
                     '--beam-width', str(a.width), '--buffer-size', a.buffer, '--format', 'tsv', '--stats-format', 'json'])
    row = parse_rows(out.stdout)[0]
    stats = json.loads(out.stderr.strip().splitlines()[-1])
    phases = stats['phases']
    return {'recall': float(row['recall']), 'qps': float(row['qps']), 'rss_mib': stats['peak_rss_bytes'] / 2**20,
            'qps_open': a.queries / (phases['open'] + phases['search'])}


def diskannpy_search(index_dir, queries, gt, L, a):
    here = os.path.dirname(os.path.abspath(__file__))
    out = run([sys.executable, '-c', DISKANNPY_SEARCH, index_dir, queries, gt, str(L), str(a.width)],
              env={**os.environ, 'PYTHONPATH': here})
    # diskannpy logs to stdout too.
    return json.loads(next(line for line in out.stdout.splitlines() if line.startswith('RESULT '))[7:])


def print_at_equal_recall(results, calibys, Ls):
    """Each caliby point against diskannpy's cold QPS at the same recall, interpolated linearly between
    the two list sizes of diskannpy that bracket it (points outside diskannpy's measured range are left
    out): the issue's "at equal recall", since at one L the two graphs do not give the same recall."""
    med = lambda system, L, key: statistics.median(r[key] for r in results[(L, system, 'cold')])
    curve = lambda key: sorted((med('diskannpy', L, 'recall'), med('diskannpy', L, key)) for L in Ls)
    print('\n| L | system | recall@10 | cold QPS against diskannpy at that recall | with open |')
    print('|---|---|---|---|---|')
    for system in calibys:
        for L in Ls:
            recall = med(system, L, 'recall')
            ratios = []
            for key in ('qps', 'qps_open'):
                theirs, exact, _ = at_recall(curve(key), recall)
                ratios.append(f'{med(system, L, key) / theirs:.2f}× ({med(system, L, key):,.0f} / {theirs:,.0f})'
                              if exact else None)
            if None not in ratios:
                print(f'| {L} | {system} | {recall:.4f} | {ratios[0]} | {ratios[1]} |')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('data')
    ap.add_argument('--caliby', required=True, action='append')
    ap.add_argument('--buffer', default='8M')
    ap.add_argument('--pq-bytes', type=int, default=32)
    ap.add_argument('--R', type=int, default=64)
    ap.add_argument('--L', type=int, default=100)
    ap.add_argument('--Ls', default='32,64,128')
    ap.add_argument('--width', type=int, default=4)
    ap.add_argument('--queries', type=int, default=100)
    ap.add_argument('--rounds', type=int, default=3)
    ap.add_argument('--db', action='append', default=[])
    ap.add_argument('--keep')
    a = ap.parse_args()
    import diskannpy
    base_file, query_file, gt_file, dim, n, _ = dataset(a.data)
    work = tempfile.mkdtemp(prefix='diskann-cold-')
    cal = a.caliby[0]
    db = a.db[0] if a.db else os.path.join(work, 'caliby')
    # Each caliby system: (binary, data directory).
    calibys = {'caliby': (cal, db), **{f'caliby {os.path.basename(p)}': (p, db) for p in a.caliby[1:]},
               **{f'caliby {os.path.basename(d.rstrip("/"))}': (cal, d) for d in a.db[1:]}}
    try:
        queries, gt = os.path.join(work, 'query.fvecs'), os.path.join(work, 'groundtruth.ivecs')
        write_vecs(queries, read_vecs(query_file, 'float32')[:a.queries], 'float32')
        write_vecs(gt, read_vecs(gt_file, 'int32')[:a.queries], 'int32')
        if not a.db:
            run([cal, 'init', '--dir', db])
            run([cal, 'create', 'v', '--dir', db, '--type', 'diskann', '--dim', str(dim), '--max-elements', str(n),
                       '--R', str(a.R), '--L', str(a.L), '--pq-bytes', str(a.pq_bytes)])
            run([cal, 'insert', 'v', base_file, '--dir', db, '--threads', '2', '--quiet'])
        index_dir = a.keep or os.path.join(work, 'diskannpy')
        if not (os.path.isdir(index_dir) and os.listdir(index_dir)):
            os.makedirs(index_dir, exist_ok=True)
            base = np.ascontiguousarray(read_vecs(base_file, 'float32'))
            # diskannpy sizes its in-memory PQ codes from this budget: pq_bytes per vector, as caliby's.
            diskannpy.build_disk_index(base, distance_metric='l2', index_directory=index_dir, complexity=a.L,
                                       graph_degree=a.R, search_memory_maximum=a.pq_bytes * n / 2**30,
                                       build_memory_maximum=4, num_threads=2)
            del base
        sizes = {'caliby': sum(os.path.getsize(os.path.join(db, f)) for f in os.listdir(db)),
                 'diskannpy': sum(os.path.getsize(os.path.join(index_dir, f)) for f in os.listdir(index_dir))}
        results = {}
        for _ in range(a.rounds):
            for L in map(int, a.Ls.split(',')):
                for system in (*calibys, 'diskannpy'):
                    for shape in ('cold', 'warm'):
                        if shape == 'cold':
                            evict([d for _, d in calibys.values()] + [index_dir])
                        before = blocks_read()
                        r = caliby_search(*calibys[system], queries, gt, L, a) if system in calibys else \
                            diskannpy_search(index_dir, queries, gt, L, a)
                        r['read_kib'] = (blocks_read() - before) / 2 / a.queries
                        results.setdefault((L, system, shape), []).append(r)
        print(f'{a.data}: {n} x {dim}, R {a.R}, build L {a.L}, {a.pq_bytes}-byte PQ codes, beam width {a.width}, '
              f'{a.queries} queries, 1 thread; caliby --buffer-size {a.buffer}; files: caliby '
              f'{sizes["caliby"] / 2**20:.0f} MiB, diskannpy {sizes["diskannpy"] / 2**20:.0f} MiB; medians of {a.rounds} rounds')
        print('| L | system | recall@10 | cold QPS | cold QPS with open | warm QPS | cold KiB read per query | peak RSS MiB |')
        print('|---|---|---|---|---|---|---|---|')
        for L in map(int, a.Ls.split(',')):
            for system in (*calibys, 'diskannpy'):
                cold, warm = results[(L, system, 'cold')], results[(L, system, 'warm')]
                med = lambda rs, key: statistics.median(r[key] for r in rs)
                print(f'| {L} | {system} | {med(cold, "recall"):.4f} | {med(cold, "qps"):,.0f} | {med(cold, "qps_open"):,.0f} | '
                      f'{med(warm, "qps"):,.0f} | '
                      f'{med(cold, "read_kib"):,.0f} | {max(r["rss_mib"] for r in cold + warm):.1f} |')
        print_at_equal_recall(results, calibys, list(map(int, a.Ls.split(','))))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    main()
