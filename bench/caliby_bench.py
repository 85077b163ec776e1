#!/usr/bin/env python3
"""Measures caliby on a TEXMEX data set the way shared/bench/peers.py measures hnswlib, FAISS and
USearch, and prints rows in the same markdown shape so the two tables sit side by side.

usage: caliby_bench.py DATADIR --caliby PATH [--M 16] [--efc 200] [--threads 2] [--efs 16,32,64,128,256]
                       [--precisions float32,float16] [--quantization int8 (the default) | none | none,int8]
Each precision and quantization is a separate index (`caliby create --precision --quantization`),
built and measured in turn.
"""
import argparse, os, shutil, statistics, struct, subprocess, tempfile, time

from texmex import dataset, index_file, parse_rows, run


def run_measured(cmd):
    """Runs cmd; returns (stdout, peak resident bytes of that process alone)."""
    with tempfile.TemporaryFile() as out:
        child = subprocess.Popen(cmd, stdout=out, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(child.pid, 0)
        if status != 0:
            raise SystemExit(f'{cmd} failed with status {status}')
        out.seek(0)
        return out.read().decode(), usage.ru_maxrss * 1024


def first_query(path):
    with open(path, 'rb') as f:
        d = struct.unpack('<i', f.read(4))[0]
        return ','.join(repr(x) for x in struct.unpack('<%df' % d, f.read(4 * d)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('data')
    ap.add_argument('--caliby', required=True)
    ap.add_argument('--M', type=int, default=16)
    ap.add_argument('--efc', type=int, default=200)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--efs', default='16,32,64,128,256')
    ap.add_argument('--metric', default='l2')
    ap.add_argument('--precisions', default='float32,float16')
    ap.add_argument('--quantization', default='int8')  # caliby's default
    a = ap.parse_args()
    for precision in a.precisions.split(','):
        for quantization in a.quantization.split(','):
            measure(a, precision, quantization)


def measure(a, precision, quantization):
    base, query, gt, dim, n, _ = dataset(a.data)
    work = tempfile.mkdtemp(prefix='caliby-bench-')
    d = os.path.join(work, 'db')
    cal = [a.caliby]
    try:
        run(cal + ['init', '--dir', d])
        run(cal + ['create', 'bench', '--dir', d, '--dim', str(dim), '--max-elements', str(n), '--metric', a.metric,
                   '--M', str(a.M), '--ef-construction', str(a.efc), '--precision', precision, '--quantization', quantization])
        if quantization != 'none':
            precision += ' ' + quantization
        t = time.perf_counter()
        note = run(cal + ['insert', 'bench', base, '--dir', d, '--threads', str(a.threads)]).stderr.strip()
        build = time.perf_counter() - t
        print(f'caliby {precision} insert: {note}')
        file = index_file(a.caliby, d, 'bench')
        size = os.path.getsize(file) / 1e6
        print(f'| caliby {precision} | {build:.1f} | {size:.0f} | ef | recall@10 | QPS (batch, 1 thread) | | |')
        for ef in map(int, a.efs.split(',')):
            out = run(cal + ['search', 'bench', '--dir', d, '--file', query, '--groundtruth', gt, '-k', '10',
                             '--ef', str(ef), '--warmup', '--format', 'tsv']).stdout
            row = parse_rows(out)[0]
            print(f"| caliby {precision} | {build:.1f} | {size:.0f} | {ef} | {float(row['recall']):.4f} | {float(row['qps']):.0f} | | |",
                  flush=True)
        # Cold one-shot: a fresh process opens the directory and answers one query (OS cache warm).
        q = first_query(query)
        cold = []
        for _ in range(5):
            subprocess.run(['sync'])
            t = time.perf_counter()
            out = run(cal + ['search', 'bench', '--dir', d, '--vector', q, '-k', '10', '--ef', '64', '--stats'])
            cold.append(time.perf_counter() - t)
        pages = out.stderr.strip()
        print(f'| caliby {precision} cold one-shot (fresh process: open + 1 query) | wall {statistics.median(cold)*1e3:.0f} ms | {pages} |')
        # A buffer a quarter of the index: same answers, bounded memory.
        quarter = max(64 * 1024, os.path.getsize(file) // 4)
        full = run(cal + ['search', 'bench', '--dir', d, '--file', query, '-k', '10', '--ef', '64', '--format', 'tsv']).stdout
        small, peak = run_measured(cal + ['search', 'bench', '--dir', d, '--file', query, '-k', '10', '--ef', '64',
                                          '--format', 'tsv', '--buffer-size', str(quarter)])
        print(f'| caliby {precision} --buffer-size {quarter / 2**20:.0f} MiB (¼ of the index) | results identical: {small == full} | '
              f'peak RSS {peak / 2**20:.0f} MiB | budget + 64 MiB = {quarter / 2**20 + 64:.0f} MiB |')
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    main()
