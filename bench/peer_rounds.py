#!/usr/bin/env python3
"""Caliby against hnswlib, FAISS HNSW and USearch in rounds that alternate between the systems,
so that a shared machine's drifting speed touches them all alike; medians per system and ef.

--shape cli (the CLI shape): a fresh process loads an index from disk and answers one batch.
--shape warm: a fresh process loads the index, answers the batch once untimed, then again timed
(caliby: `search --warmup`); the QPS of a resident index.

For each peer (hnswlib, FAISS HNSW, USearch) the index is built once, saved, and then loaded by a
new Python process that times the load and the batch (1 search thread) itself, after its imports; caliby runs
`caliby search --file` in a new process with --stats, whose search phase and open are read from
its report. Every system answers the same queries at the same ef grid; the table gives, per
system and ef, recall@10, the median over --rounds of load + batch seconds inside the process,
and of the whole command's wall time (Python's start and imports included for the peers). The
OS page cache is warm (the files were just written or read); this machine cannot drop it.

usage: peer_rounds.py DATA --caliby PATH [--also PATH]... [--shape cli|warm|cli,warm] [--efs 24,64] [--rounds 5] [--M 16] [--efc 200]
       [--quantization none,int8] [--metric l2] [--peers hnswlib,faiss,usearch] [--build-rounds 1] [--reorder]
--reorder: each caliby index is also copied and renumbered by `caliby reorder` (timed), and the copy
searched as one more system: the same graph in graph order against insertion order.
Builds are timed too (alternated over --build-rounds, ratios to the first system's median).
DATA holds base.fvecs, query.fvecs, groundtruth.ivecs.
"""
import argparse, json, os, re, shutil, statistics, sys, tempfile, time

import numpy as np

from texmex import dataset, parse_rows, read_vecs, run

# (imports, then what is timed: the index's load and the batch)
LOADERS = {
    'hnswlib': ("import hnswlib", "ix = hnswlib.Index(space='{space}', dim={dim}); ix.load_index('{path}'); ix.set_ef({ef})\n"
                "labels, _ = ix.knn_query(q, k=10, num_threads=1)"),
    'faiss': ("import faiss; faiss.omp_set_num_threads(1)", "ix = faiss.read_index('{path}'); ix.hnsw.efSearch = {ef}\n"
              "_, labels = ix.search(q, 10)"),
    'usearch': ("from usearch.index import Index", "ix = Index.restore('{path}'); ix.expansion_search = {ef}\n"
                "labels = ix.search(q, 10, threads=1).keys"),
}


def build_peer(name, base, metric, M, efc, path):
    if name == 'hnswlib':
        import hnswlib
        ix = hnswlib.Index(space=metric, dim=base.shape[1])
        ix.init_index(max_elements=len(base), M=M, ef_construction=efc)
        ix.add_items(base, np.arange(len(base)), num_threads=2)
        ix.save_index(path)
    elif name == 'faiss':
        import faiss
        faiss.omp_set_num_threads(2)
        ix = faiss.IndexHNSWFlat(base.shape[1], M, faiss.METRIC_L2 if metric == 'l2' else faiss.METRIC_INNER_PRODUCT)
        ix.hnsw.efConstruction = efc
        ix.add(base)
        faiss.write_index(ix, path)
    else:
        from usearch.index import Index
        ix = Index(ndim=base.shape[1], metric='l2sq' if metric == 'l2' else 'ip', dtype='f32', connectivity=M, expansion_add=efc)
        ix.add(np.arange(len(base)), base, threads=2)
        ix.save(path)


def recall(labels, gt):
    return float(np.mean([len(set(l[:10]) & set(g[:10])) / 10 for l, g in zip(labels, gt)]))


def run_peer(name, path, qfile, dim, metric, ef, warm):
    imports, timed = LOADERS[name]
    load, batch = timed.format(path=path, space=metric, dim=dim, ef=ef).split('\n')
    body = "q = np.load('%s')\n%s\n" % (qfile, load) + (batch + "\nt0 = time.perf_counter()\n" if warm else "") + batch
    script = ("import sys, time\nimport numpy as np\n" + imports + "\nt0 = time.perf_counter()\n" + body
              + "\nt1 = time.perf_counter()\nnp.save(sys.argv[1], np.asarray(labels)); print(t1 - t0)")
    out = tempfile.mktemp(suffix='.npy')
    start = time.perf_counter()
    result = run([sys.executable, '-c', script, out])
    wall = time.perf_counter() - start
    inside = float(result.stdout.strip().splitlines()[-1])
    labels = np.load(out)
    os.remove(out)
    return wall, inside, labels


def run_caliby(cal, d, query, gt, ef, warm):
    start = time.perf_counter()
    result = run(cal + ['search', 'bench', '--dir', d, '--file', query, '--groundtruth', gt, '-k', '10',
                        '--ef', str(ef), '--format', 'tsv', '--stats'] + (['--warmup'] if warm else []))
    wall = time.perf_counter() - start
    row = parse_rows(result.stdout)[0]
    phases = dict((name, float(ms)) for name, ms in re.findall(r'(\w+) ([0-9.]+) ms', result.stderr))
    inside = (phases['search'] if warm else phases['open'] + phases['queries'] + phases['search']) / 1000
    return wall, inside, float(row['recall'])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('data')
    ap.add_argument('--caliby', required=True)
    ap.add_argument('--shape', default='cli', help='cli, warm, or both as cli,warm (one set of builds for both)')
    ap.add_argument('--efs', default='24,64')
    ap.add_argument('--rounds', type=int, default=5)
    ap.add_argument('--M', type=int, default=16)
    ap.add_argument('--efc', type=int, default=200)
    ap.add_argument('--metric', default='l2')
    ap.add_argument('--peers', default='hnswlib,faiss,usearch')
    ap.add_argument('--quantization', default='none,int8')
    ap.add_argument('--build-rounds', type=int, default=1,
                    help='builds of every system, alternated; the table gives their medians')
    ap.add_argument('--also', action='append', default=[], metavar='BIN',
                    help='another caliby binary that searches the directories --caliby built (a before/after in one run)')
    ap.add_argument('--reorder', action='store_true',
                    help='also search a copy of each caliby index renumbered by caliby reorder')
    ap.add_argument('--json')
    a = ap.parse_args()
    base_file, query_file, gt_file, _, _, _ = dataset(a.data)
    base = np.ascontiguousarray(read_vecs(base_file, 'float32'))
    query = np.ascontiguousarray(read_vecs(query_file, 'float32'))
    gt = read_vecs(gt_file, 'int32')
    work = tempfile.mkdtemp(prefix='cli-shape-')
    qfile = os.path.join(work, 'q.npy')
    np.save(qfile, query)
    efs = [int(e) for e in a.efs.split(',')]
    rows = []
    shapes = a.shape.split(',')
    if not set(shapes) <= {'cli', 'warm'}:
        sys.exit(f'--shape: cli, warm or cli,warm, not {a.shape}')
    print(f'{a.data}: {len(base)} x {base.shape[1]}, {len(query)} queries, M {a.M}, efc {a.efc}; a fresh process per batch, '
          f'medians of {a.rounds}')
    try:
        systems, builds = [], {}
        # Builds alternate between systems too; each system searches its last build.
        for _ in range(a.build_rounds):
            for name in filter(None, a.peers.split(',')):
                path = os.path.join(work, name + '.index')
                start = time.perf_counter()
                build_peer(name, base, a.metric, a.M, a.efc, path)
                builds.setdefault(name, []).append(time.perf_counter() - start)
            for quantization in filter(None, a.quantization.split(',')):
                d = os.path.join(work, 'db-' + quantization)
                shutil.rmtree(d, ignore_errors=True)
                cal = [a.caliby]
                run(cal + ['init', '--dir', d])
                run(cal + ['create', 'bench', '--dir', d, '--dim', str(base.shape[1]), '--max-elements', str(len(base)),
                           '--metric', a.metric, '--M', str(a.M), '--ef-construction', str(a.efc), '--quantization', quantization])
                start = time.perf_counter()
                run(cal + ['insert', 'bench', base_file, '--dir', d, '--threads', '2', '--quiet'])
                builds.setdefault(f'caliby {quantization}', []).append(time.perf_counter() - start)
        variants = ['']
        if a.reorder:
            variants.append(' reordered')
            for quantization in filter(None, a.quantization.split(',')):
                d = os.path.join(work, 'db-' + quantization)
                shutil.copytree(d, d + '-reordered')
                start = time.perf_counter()
                run([a.caliby, 'reorder', 'bench', '--dir', d + '-reordered'])
                builds.setdefault(f'caliby {quantization} reorder', []).append(time.perf_counter() - start)
        for name in filter(None, a.peers.split(',')):
            path = os.path.join(work, name + '.index')
            systems.append((name, lambda ef, warm, name=name, path=path: run_peer(name, path, qfile, base.shape[1], a.metric, ef, warm)))
        for binary in [a.caliby] + a.also:
            label = '' if binary == a.caliby else ' @' + os.path.basename(binary)
            for quantization in filter(None, a.quantization.split(',')):
                for variant in variants:
                    d = os.path.join(work, 'db-' + quantization + variant.replace(' ', '-'))
                    systems.append((f'caliby {quantization}{variant}{label}',
                                    lambda ef, warm, d=d, cal=[binary]: run_caliby(cal, d, query_file, gt_file, ef, warm)))
        first = next(iter(builds.values()))
        print(f'builds (2 threads; peers: the library call and save in process; caliby: the whole insert command), '
              f'medians of {a.build_rounds}: ' + ', '.join(
                  f'{name} {statistics.median(t):.2f} s ({statistics.median(t) / statistics.median(first):.2f}x)'
                  for name, t in builds.items()), flush=True)
        for shape in shapes:
            warm = shape == 'warm'
            print(f'\n{"warm (timed batch after an untimed one)" if warm else "CLI shape (load + batch)"}:')
            print(f'| system | ef | recall@10 | {"batch" if warm else "load + batch"} s (in process) | wall s (whole command) | QPS (in process) |')
            print('|---|---|---|---|---|---|')
            for ef in efs:
                # Rounds alternate between systems, so a change in the machine's load touches them all.
                samples = {name: [] for name, _ in systems}
                for _ in range(a.rounds):
                    for name, measure in systems:
                        samples[name].append(measure(ef, warm))
                for name, _ in systems:
                    walls, insides = [s[0] for s in samples[name]], [s[1] for s in samples[name]]
                    last = samples[name][-1][2]
                    r = last if isinstance(last, float) else recall(last, gt)
                    row = dict(shape=shape, system=name, ef=ef, recall=r, inside_s=statistics.median(insides),
                               wall_s=statistics.median(walls))
                    rows.append(row)
                    print(f"| {name} | {ef} | {r:.4f} | {row['inside_s']:.3f} | {row['wall_s']:.3f} | {len(query) / row['inside_s']:.0f} |",
                          flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if a.json:
        with open(a.json, 'w') as f:
            json.dump(rows, f, indent=1)


if __name__ == '__main__':
    main()
