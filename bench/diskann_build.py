#!/usr/bin/env python3
"""DiskANN build time: caliby against diskannpy's in-memory Vamana build, same R, L, alpha and
threads, alternated in rounds (medians), then recall@10 of each at a few search list sizes.

usage: diskann_build.py DATA --caliby PATH [--R 64] [--L 100] [--alpha 1.2] [--threads 2] [--rounds 3]
       [--pq-bytes 0] [--Ls 20,50,100]
DATA holds base.fvecs, query.fvecs, groundtruth.ivecs. Run with a Python that has diskannpy and
numpy (diskannpy pins numpy 1.x: give it a venv of its own). caliby's time is its whole `insert`
command (reading the file, the build, PQ training when --pq-bytes > 0, the commit); diskannpy's is
`build_memory_index` on an array already in memory, written to its index directory.
"""
import argparse, os, shutil, statistics, tempfile, time

import numpy as np

from texmex import dataset, parse_rows, read_vecs, run


def caliby_build(cal, data, a, work):
    d = os.path.join(work, 'db')
    shutil.rmtree(d, ignore_errors=True)
    base, _, _, dim, n, _ = dataset(data)
    run(cal + ['init', '--dir', d])
    run(cal + ['create', 'v', '--dir', d, '--type', 'diskann', '--dim', str(dim), '--max-elements', str(n),
               '--R', str(a.R), '--L', str(a.L), '--alpha', str(a.alpha), '--pq-bytes', str(a.pq_bytes)])
    start = time.perf_counter()
    run(cal + ['insert', 'v', base, '--dir', d, '--threads', str(a.threads), '--quiet'])
    return time.perf_counter() - start, d


def diskannpy_build(base, a, work):
    import diskannpy
    d = os.path.join(work, 'diskannpy')
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    start = time.perf_counter()
    diskannpy.build_memory_index(base, distance_metric='l2', index_directory=d, complexity=a.L, graph_degree=a.R,
                                 alpha=a.alpha, num_threads=a.threads)
    return time.perf_counter() - start, d


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('data')
    ap.add_argument('--caliby', required=True)
    ap.add_argument('--R', type=int, default=64)
    ap.add_argument('--L', type=int, default=100)
    ap.add_argument('--alpha', type=float, default=1.2)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--rounds', type=int, default=3)
    ap.add_argument('--pq-bytes', type=int, default=0)
    ap.add_argument('--Ls', default='20,50,100')
    a = ap.parse_args()
    base_file, query_file, gt_file, _, _, _ = dataset(a.data)
    base = np.ascontiguousarray(read_vecs(base_file, 'float32'))
    query = np.ascontiguousarray(read_vecs(query_file, 'float32'))
    gt = read_vecs(gt_file, 'int32')
    work = tempfile.mkdtemp(prefix='diskann-build-')
    cal = [a.caliby]
    times = {'caliby': [], 'diskannpy': []}
    try:
        for _ in range(a.rounds):
            t, caliby_dir = caliby_build(cal, a.data, a, work)
            times['caliby'].append(t)
            t, diskannpy_dir = diskannpy_build(base, a, work)
            times['diskannpy'].append(t)
        print(f'{a.data}: {len(base)} x {base.shape[1]}, R {a.R}, L {a.L}, alpha {a.alpha}, {a.threads} threads, '
              f'caliby --pq-bytes {a.pq_bytes}; medians of {a.rounds} alternated builds')
        c, p = statistics.median(times['caliby']), statistics.median(times['diskannpy'])
        print(f'| build s | caliby {c:.2f} | diskannpy {p:.2f} | ratio {c / p:.2f} |')
        import diskannpy
        index = diskannpy.StaticMemoryIndex(index_directory=diskannpy_dir, num_threads=1, initial_search_complexity=max(map(int, a.Ls.split(','))))
        for L in map(int, a.Ls.split(',')):
            ids, _ = index.batch_search(query, k_neighbors=10, complexity=L, num_threads=1)
            r = np.mean([len(set(i[:10]) & set(g[:10])) / 10 for i, g in zip(ids, gt)])
            row = parse_rows(run(cal + ['search', 'v', '--dir', caliby_dir, '--file', query_file, '--groundtruth', gt_file,
                                        '-k', '10', '--L', str(L), '--format', 'tsv']).stdout)[0]
            print(f'| L {L} | recall@10 caliby {float(row["recall"]):.4f} | diskannpy {r:.4f} |')
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    main()
