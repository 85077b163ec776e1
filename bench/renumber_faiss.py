#!/usr/bin/env python3
"""What renumbering a finished HNSW graph gives, measured on FAISS, which can do it
(`IndexHNSW.permute_entries`): the same links, so the same answers and recall, with nodes that are
neighbours given nearby numbers, hence nearby memory. bench/locality_order.py measured the other
way, inserting in locality order, which changes the graph and costs recall per ef.

Builds a FAISS HNSW index of DATA (M 16, ef_construction 200, 2 threads), then times one-thread
batches of the queries at each ef on the index as built and on a renumbered copy, alternated over
--rounds, and prints recall@10 (identical when the renumbering is right) and QPS, medians.
The order: breadth-first over level 0 from the entry point, each node's neighbours in list order
(the cheapest order that follows the graph).

usage: renumber_faiss.py DATA [--efs 40,64,80] [--rounds 5]
Run with a Python that has numpy and faiss-cpu (the peers' venv).
"""
import argparse, os, statistics, time

import numpy as np

from texmex import read_vecs


def bfs_order(index):
    """Old node numbers in breadth-first order over level 0 from the entry point; nodes it cannot
    reach come last, in their old order."""
    hnsw = index.hnsw
    import faiss
    offsets = faiss.vector_to_array(hnsw.offsets).astype(np.int64)
    neighbors = faiss.vector_to_array(hnsw.neighbors)
    width = hnsw.nb_neighbors(0)
    n = index.ntotal
    level0 = neighbors[offsets[:n, None] + np.arange(width)]
    seen = np.zeros(n, dtype=bool)
    order, frontier = [], np.array([hnsw.entry_point])
    seen[frontier] = True
    while len(frontier):
        order.append(frontier)
        nxt = level0[frontier].ravel()
        nxt = nxt[nxt >= 0]
        nxt = nxt[~seen[nxt]]
        _, first = np.unique(nxt, return_index=True)
        nxt = nxt[np.sort(first)]
        seen[nxt] = True
        frontier = nxt
    order.append(np.flatnonzero(~seen))
    return np.concatenate(order)


def timed(index, queries, truth, ef, old_of=None):
    index.hnsw.efSearch = ef
    start = time.perf_counter()
    _, labels = index.search(queries, 10)
    qps = len(queries) / (time.perf_counter() - start)
    if old_of is not None:
        labels = old_of[labels]
    recall = np.mean([len(set(l) & set(t[:10])) / 10 for l, t in zip(labels, truth)])
    return recall, qps


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('data')
    ap.add_argument('--efs', default='40,64,80')
    ap.add_argument('--rounds', type=int, default=5)
    a = ap.parse_args()
    import faiss
    base = np.ascontiguousarray(read_vecs(os.path.join(a.data, 'base.fvecs'), 'float32'))
    queries = np.ascontiguousarray(read_vecs(os.path.join(a.data, 'query.fvecs'), 'float32'))
    truth = read_vecs(os.path.join(a.data, 'groundtruth.ivecs'), 'int32')
    faiss.omp_set_num_threads(2)
    built = faiss.IndexHNSWFlat(base.shape[1], 16)
    built.hnsw.efConstruction = 200
    start = time.perf_counter()
    built.add(base)
    print(f'built {len(base)} x {base.shape[1]} in {time.perf_counter() - start:.1f} s')
    old_of = bfs_order(built)  # new number -> old number
    renumbered = faiss.clone_index(built)
    renumbered.permute_entries(old_of.astype(np.int64))
    faiss.omp_set_num_threads(1)
    results = {}
    for _ in range(a.rounds):
        for ef in map(int, a.efs.split(',')):
            for name, index, labels in (('as built', built, None), ('renumbered (bfs)', renumbered, old_of)):
                results.setdefault((ef, name), []).append(timed(index, queries, truth, ef, labels))
    print(f'{a.data}: FAISS HNSW M 16, efC 200; 1 search thread, {len(queries)} queries, medians of {a.rounds} alternated rounds')
    print('| ef | graph | recall@10 | QPS |')
    print('|---|---|---|---|')
    for (ef, name), runs in results.items():
        print(f'| {ef} | {name} | {statistics.median(r for r, _ in runs):.4f} | {statistics.median(q for _, q in runs):,.0f} |')


if __name__ == '__main__':
    main()
