#!/usr/bin/env python3
"""End-to-end before/after for the run-time kernel choice: two caliby binaries, alternating in the
same run so that both see the same machine load, on each data set: HNSW build (one thread) and
search QPS at a fixed ef with recall@10 (one thread, --warmup); on the first data set also a
float16 HNSW index and a DiskANN index at one L. Prints markdown rows; the best of the rounds is
what BENCHMARKS.md quotes.

usage: kernels.py --before BIN --after BIN DATADIR:METRIC [DATADIR:METRIC ...]
                  [--rounds 2] [--ef 64] [--L 100] [--efc 100]
DATADIR holds base.fvecs, query.fvecs and groundtruth.ivecs (as bench/texmex.py and synth.py write).
"""
import argparse, os, shutil, tempfile, time

from texmex import dataset, parse_rows, run


def measure(caliby, data, metric, precision, kind, a):
    base, query, gt, dim, n, _ = dataset(data)
    work = tempfile.mkdtemp(prefix='caliby-kernels-')
    d = os.path.join(work, 'db')
    try:
        run([caliby, 'init', '--dir', d])
        create = [caliby, 'create', 'x', '--dir', d, '--dim', str(dim), '--max-elements', str(n), '--metric', metric,
                  '--precision', precision, '--type', kind]
        run(create + (['--M', '16', '--ef-construction', str(a.efc)] if kind == 'hnsw' else []))
        t = time.perf_counter()
        run([caliby, 'insert', 'x', base, '--dir', d, '--threads', '1'])
        build = time.perf_counter() - t
        size = ['--ef', str(a.ef)] if kind == 'hnsw' else ['--L', str(a.L)]
        row = parse_rows(run([caliby, 'search', 'x', '--dir', d, '--file', query, '--groundtruth', gt, '-k', '10',
                              '--warmup', '--threads', '1', '--format', 'tsv'] + size).stdout)[0]
        return build, float(row['qps']), float(row['recall'])
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--before', required=True)
    ap.add_argument('--after', required=True)
    ap.add_argument('--rounds', type=int, default=2)
    ap.add_argument('--ef', type=int, default=64)
    ap.add_argument('--L', type=int, default=100)
    ap.add_argument('--efc', type=int, default=100)
    ap.add_argument('sets', nargs='+')
    a = ap.parse_args()
    cases = []
    for i, spec in enumerate(a.sets):
        data, metric = spec.rsplit(':', 1)
        cases.append((data, metric, 'float32', 'hnsw'))
        if i == 0:
            cases += [(data, metric, 'float16', 'hnsw'), (data, metric, 'float32', 'diskann')]
    print('| data | index | binary | round | build s | QPS | recall@10 |')
    print('|---|---|---|---|---|---|---|')
    for data, metric, precision, kind in cases:
        for r in range(a.rounds):
            order = [('before', a.before), ('after', a.after)]
            if r % 2: order.reverse()
            for label, caliby in order:
                build, qps, recall = measure(caliby, data, metric, precision, kind, a)
                print(f'| {os.path.basename(data)} {metric} | {kind} {precision} | {label} | {r} | {build:.2f} | {qps:.0f} | {recall:.4f} |',
                      flush=True)


if __name__ == '__main__':
    main()
