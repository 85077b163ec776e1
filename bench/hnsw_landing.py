#!/usr/bin/env python3
"""Where does an HNSW search start level 0, and how much does that decide?

Reads a caliby HNSW index (float32, l2) and an hnswlib index saved with `save_index`, both built
from the same base vectors, and runs one reference search (written here in Python, the same for
both graphs) in three ways:
  * each graph as its library searches it: greedy descent, then level 0 from the landing node;
  * each graph's level 0 started from the *other* library's landing node (matched by id);
  * caliby's way since c72c1a9: level 1 searched with a list of L1 nodes, all of them level-0 seeds.

    bench/hnsw_landing.py DATA --caliby-dir DIR --index NAME --hnswlib FILE [--ef 64] [--level1 1,4,16]

DATA holds query.fvecs and groundtruth.ivecs (ids = row numbers of the base file). The two indexes,
with the parameters of bench/run.sh:

    caliby init --dir DIR && caliby create NAME --dir DIR --dim 128 --max-elements N
    caliby insert NAME DATA/base.fvecs --dir DIR --threads 2
    python -c 'import hnswlib, texmex; x = texmex.read_vecs("DATA/base.fvecs", "float32")
    i = hnswlib.Index(space="l2", dim=x.shape[1]); i.init_index(len(x), M=16, ef_construction=200)
    i.add_items(x, num_threads=2); i.save_index("FILE")'       (run from bench/)

The caliby file is read through its layout (HNSWLayout.swift, restated here), checked against the
header's magic and counts. Pure Python: seconds per 1000 queries and setting.
"""
import argparse, heapq, json, os, struct
import numpy as np

from texmex import read_vecs

TRAILER = 16  # PageTrailer.size: every page ends with magic, page number and checksum
HNSW_MAGIC = 0x3157_534E_4842_4C43  # HNSW format 1 ("CLBHNSW1"): an index without int8 codes


class Graph:
    """Level-0 arrays plus a function for upper-level lists, in the library's own node numbering."""

    def distance(self, node, q):
        v = self.vectors[node] - q
        return float(v @ v)


class CalibyGraph(Graph):
    def __init__(self, directory, name):
        raw = open(os.path.join(directory, 'caliby_catalog'), 'rb').read()
        catalog = json.loads(raw[raw.index(b'{'):])
        entry = next(i for i in catalog['indexes'] if i['name'] == name)
        config, page = entry['config'], entry['pageSize']
        assert entry['type'] == 'hnsw' and config['precision'] == 'float32' and config['metric'] == 'l2'
        dim, m, capacity = config['dimensions'], config['hnsw']['M'], config['maxElements']
        # HNSWLayout.swift, in Python: node records fill the file's tail, upper slots precede them.
        vector_offset = (20 + 8 * m + 15) // 16 * 16
        record = (vector_offset + 4 * dim + 15) // 16 * 16
        per_page = (page - TRAILER) // record
        slot_bytes = 4 + 4 * m
        slots_per_page = (page - TRAILER) // slot_bytes
        slot_capacity = 2 * (capacity + m - 2) // (m - 1) + 64
        node_base = entry['capacityPages'] - (capacity + per_page - 1) // per_page
        upper_base = node_base - (slot_capacity + slots_per_page - 1) // slots_per_page
        self.raw = np.memmap(os.path.join(directory, 'index_%d.dat' % entry['id']), dtype=np.uint8, mode='r')
        header = np.asarray(self.raw[:96]).view(np.uint64)
        if int(header[0]) != HNSW_MAGIC or int(header[1]) != dim or int(header[2]) != m or int(header[3]) != capacity:
            raise SystemExit('%s: page 0 is not the HNSW header this script knows (layout changed?)' % self.raw.filename)
        n = int(header[5])
        self.entry, self.top = int(header[6]), int(header[7])
        pages = (n + per_page - 1) // per_page
        recs = np.asarray(self.raw[node_base * page:(node_base + pages) * page]).reshape(pages, page)
        recs = recs[:, :per_page * record].reshape(-1, record)[:n]
        self.ids = recs[:, 0:8].copy().view(np.uint64).ravel()
        self.count = recs[:, 16:20].copy().view(np.uint32).ravel()
        self.links = recs[:, 20:20 + 8 * m].copy().view(np.uint32)
        self.vectors = recs[:, vector_offset:vector_offset + 4 * dim].copy().view(np.float32)
        self.first_slot = recs[:, 12:16].copy().view(np.uint32).ravel()
        self.page, self.upper_base, self.slots_per_page, self.slot_bytes = page, upper_base, slots_per_page, slot_bytes

    def upper(self, node, level):
        slot = int(self.first_slot[node]) + level - 1
        at = (self.upper_base + slot // self.slots_per_page) * self.page + (slot % self.slots_per_page) * self.slot_bytes
        k = int(np.asarray(self.raw[at:at + 4]).view(np.uint32)[0])
        return np.asarray(self.raw[at + 4:at + 4 + 4 * k]).view(np.uint32).tolist()


class HnswlibGraph(Graph):
    def __init__(self, path, dim):
        with open(path, 'rb') as f:
            head = f.read(96)
            _, _, n, size, label_at, data_at = struct.unpack('<6Q', head[:48])
            self.top, self.entry = struct.unpack('<iI', head[48:56])
            max_m, max_m0 = struct.unpack('<2Q', head[56:72])
            level0 = np.frombuffer(f.read(n * size), dtype=np.uint8).reshape(n, size)
            self.upper_lists = {}
            for node in range(n):
                length = struct.unpack('<I', f.read(4))[0]
                if length:
                    self.upper_lists[node] = f.read(length)
        self.count = level0[:, 0:4].copy().view(np.uint32).ravel() & 0xFFFF
        self.links = level0[:, 4:4 + 4 * max_m0].copy().view(np.uint32)
        self.vectors = level0[:, data_at:data_at + 4 * dim].copy().view(np.float32)
        self.ids = level0[:, label_at:label_at + 8].copy().view(np.uint64).ravel()
        self.slot_bytes = 4 + 4 * max_m

    def upper(self, node, level):
        at = (level - 1) * self.slot_bytes
        block = self.upper_lists[node]
        k = struct.unpack('<I', block[at:at + 4])[0] & 0xFFFF
        return list(struct.unpack('<%dI' % k, block[at + 4:at + 4 + 4 * k]))


def search_level(g, neighbours, seeds, q, ef):
    """Best-first search from `seeds` [(distance, node)]; returns [(distance, node)] closest first."""
    visited = {n for _, n in seeds}
    candidates = list(seeds)
    heapq.heapify(candidates)
    results = [(-d, n) for d, n in seeds]
    heapq.heapify(results)
    while len(results) > ef:
        heapq.heappop(results)
    while candidates:
        d, node = heapq.heappop(candidates)
        if d > -results[0][0] and len(results) >= ef:
            break
        fresh = [int(x) for x in neighbours(node) if int(x) not in visited]
        if not fresh:
            continue
        visited.update(fresh)
        diffs = g.vectors[fresh] - q
        for dn, n in zip(np.einsum('ij,ij->i', diffs, diffs).tolist(), fresh):
            if len(results) < ef or dn < -results[0][0]:
                heapq.heappush(candidates, (dn, n))
                heapq.heappush(results, (-dn, n))
                if len(results) > ef:
                    heapq.heappop(results)
    return sorted((-d, n) for d, n in results)


def descend(g, q, to_level):
    """hnswlib's greedy descent through the levels above `to_level`."""
    node, d = g.entry, g.distance(g.entry, q)
    for level in range(g.top, to_level, -1):
        changed = True
        while changed:
            changed = False
            for n in g.upper(node, level):
                dn = g.distance(n, q)
                if dn < d:
                    node, d, changed = n, dn, True
    return node, d


def level0(g, seeds, q, ef):
    return search_level(g, lambda n: g.links[n, :g.count[n]], seeds, q, ef)


def recall(g, found, truth):
    return len(set(g.ids[[n for _, n in found[:len(truth)]]].tolist()) & set(truth.tolist())) / len(truth)


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('data')
    p.add_argument('--caliby-dir', required=True)
    p.add_argument('--index', required=True)
    p.add_argument('--hnswlib', required=True)
    p.add_argument('--ef', type=int, default=64)
    p.add_argument('--level1', default='1,4,16', help='level-1 list sizes to try on both graphs')
    p.add_argument('-k', type=int, default=10)
    a = p.parse_args()
    queries = read_vecs(os.path.join(a.data, 'query.fvecs'), np.float32)
    truth = read_vecs(os.path.join(a.data, 'groundtruth.ivecs'), np.int32)[:, :a.k]
    caliby = CalibyGraph(a.caliby_dir, a.index)
    hnswlib = HnswlibGraph(a.hnswlib, queries.shape[1])
    node_of = {}
    for name, g in (('caliby', caliby), ('hnswlib', hnswlib)):
        table = np.empty(len(g.ids), dtype=np.int64)
        table[g.ids.astype(np.int64)] = np.arange(len(g.ids))
        node_of[name] = table
    graphs = {'caliby': caliby, 'hnswlib': hnswlib}
    other = {'caliby': 'hnswlib', 'hnswlib': 'caliby'}
    sums = {}

    def add(key, value):
        sums[key] = sums.get(key, 0) + value

    for q, t in zip(queries, truth):
        landing = {name: descend(g, q, 0) for name, g in graphs.items()}
        for name, g in graphs.items():
            add('%s, own landing node' % name, recall(g, level0(g, [landing[name][::-1]], q, a.ef), t))
            far = landing[other[name]][0]
            start = int(node_of[name][graphs[other[name]].ids[far]])
            add('%s, %s landing node' % (name, other[name]),
                recall(g, level0(g, [(g.distance(start, q), start)], q, a.ef), t))
            for size in [int(s) for s in a.level1.split(',')]:
                if g.top < 1:
                    continue
                node, d = descend(g, q, 1)
                seeds = search_level(g, lambda n: g.upper(n, 1), [(d, node)], q, size)
                add('%s, level-1 list of %d' % (name, size), recall(g, level0(g, seeds, q, a.ef), t))
    for key, total in sums.items():
        print('ef %d  %-34s recall@%d %.4f' % (a.ef, key, a.k, total / len(queries)))


if __name__ == '__main__':
    main()
