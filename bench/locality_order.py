#!/usr/bin/env python3
"""A TEXMEX data set with its base vectors in a locality order, to measure what graph reordering
could give before building it: caliby numbers nodes in insertion order, and a node's record sits
in the page its number picks, so inserting near vectors one after another puts graph neighbours in
nearby pages and cache lines (the effect "Graph Reordering for Cache-Efficient Near Neighbor
Search", Coleman et al. 2022, measures on HNSW).

The order: the vectors are put in --clusters cells, the cells chained greedily from the first, each
to the nearest unvisited cell's centre, and the vectors written cell by cell, in their original
order within a cell. --cells kmeans: the cells of 10 rounds of k-means (FAISS); --cells pivots:
each vector goes to the nearest of --clusters vectors drawn at random, no rounds (what an insert
could afford to do to its own batch). --batch N orders each run of N vectors on its own instead
(pivots whatever --cells says), by the nearest of --clusters of its own vectors, the cells in the order of their pivots (an insert's
batch: 32,768 vectors in a 128-d load). The queries stay as they are; the ground truth is renumbered
to the new order, so recall compares with the original directory's.

usage: locality_order.py DATA OUT [--cells kmeans|pivots] [--clusters 1024] [--seed 0] [--batch N]
Run with a Python that has numpy and faiss-cpu (the peers' venv).
"""
import argparse, os, shutil

import numpy as np

from texmex import read_vecs, write_vecs


def chain(centroids):
    """The cells in an order that steps each time to the nearest cell not yet taken."""
    left = np.ones(len(centroids), dtype=bool)
    order, current = [0], 0
    left[0] = False
    for _ in range(len(centroids) - 1):
        d = ((centroids - centroids[current]) ** 2).sum(axis=1)
        d[~left] = np.inf
        current = int(np.argmin(d))
        left[current] = False
        order.append(current)
    return np.array(order)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('data')
    ap.add_argument('out')
    ap.add_argument('--clusters', type=int, default=1024)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--cells', choices=('kmeans', 'pivots'), default='kmeans')
    ap.add_argument('--batch', type=int, default=0)
    a = ap.parse_args()
    import faiss
    base = np.ascontiguousarray(read_vecs(os.path.join(a.data, 'base.fvecs'), 'float32'))
    if a.batch:
        order = np.concatenate([start + batch_order(base[start:start + a.batch], a.clusters, a.seed + start)
                                for start in range(0, len(base), a.batch)])
        write(a, base, order)
        return
    if a.cells == 'kmeans':
        kmeans = faiss.Kmeans(base.shape[1], a.clusters, niter=10, seed=a.seed)
        kmeans.train(base)
        centres = kmeans.centroids
    else:
        centres = base[np.random.default_rng(a.seed).choice(len(base), a.clusters, replace=False)]
    rank = np.empty(a.clusters, dtype=np.int64)
    rank[chain(centres)] = np.arange(a.clusters)
    order = np.lexsort((np.arange(len(base)), rank[nearest(base, centres)]))  # new position -> old id
    write(a, base, order)


def nearest(vectors, centres):
    """The position in `centres` of each vector's nearest."""
    import faiss
    index = faiss.IndexFlatL2(vectors.shape[1])
    index.add(np.ascontiguousarray(centres))
    return index.search(vectors, 1)[1][:, 0]


def batch_order(batch, clusters, seed):
    """One batch's vectors cell by cell (the nearest of `clusters` of its own vectors drawn at
    random), cells in the order of their pivots, vectors in their order within a cell."""
    pivots = batch[np.random.default_rng(seed).choice(len(batch), min(clusters, len(batch)), replace=False)]
    return np.lexsort((np.arange(len(batch)), nearest(batch, pivots)))


def write(a, base, order):
    new_id = np.empty(len(base), dtype=np.int32)
    new_id[order] = np.arange(len(base), dtype=np.int32)
    os.makedirs(a.out, exist_ok=True)
    write_vecs(os.path.join(a.out, 'base.fvecs'), base[order], 'float32')
    shutil.copyfile(os.path.join(a.data, 'query.fvecs'), os.path.join(a.out, 'query.fvecs'))
    truth = read_vecs(os.path.join(a.data, 'groundtruth.ivecs'), 'int32')
    write_vecs(os.path.join(a.out, 'groundtruth.ivecs'), new_id[truth], 'int32')
    print(f'{len(base)} vectors in {a.clusters} cells, written in locality order to {a.out}')


if __name__ == '__main__':
    main()
