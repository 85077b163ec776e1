#!/usr/bin/env python3
"""Full-text search (BM25): caliby against SQLite FTS5 and tantivy on the same documents and queries, in
one run, with an independent brute-force BM25 reference (bm25_reference.py) as the judge of results.

Data: a folder made by text_corpus.py (docs.txt, items.jsonl, queries.txt, queries-1..4.txt,
queries.jsonl, phrases.txt). The reference top-10 of every query is computed once (plain Python,
bm25_reference.Reference) and cached in the folder (reference-<analyzer>-queries.jsonl and
-phrases.jsonl). Engines run one after another, never at the same time (2 shared cores).

Per engine:
- build: seconds to load every document and make the index queryable, and the on-disk size.
  FTS5 (Python's sqlite3): CREATE VIRTUAL TABLE ... USING fts5(body, tokenize = 'unicode61
  remove_diacritics 2'), one executemany of (rowid = id, body), commit; no 'optimize' afterwards. The
  size is the database file; the same build with content='' (contentless: the index only, no copy of
  the text) is made too for its size and time.
  tantivy (the `tantivy` Python binding): a text field `body` (tokenizer "default", positions, stored,
  so that it holds the text like FTS5 with content and caliby's document file) and an i64 fast field
  `id`; writer with num_threads=1 and a 200 MB heap; add every document, commit, wait for merges. The
  size is the sum of the index folder's files.
  caliby (its CLI only): `init`, `create NAME --type hnsw --dim 2 --max-elements N --field body:text`,
  `insert NAME items.jsonl`; build = the insert's wall time (create's is recorded too; insert also
  builds the HNSW graph of the 2-d vectors, which no peer does). Size = the index's `.docs` file
  (documents and text index together): compare it with FTS5 WITH content. The text index alone is
  measured on a second directory: the same documents inserted into `body:text:noindex`, then
  `caliby index NAME body` timed (it reads every stored document, analyzes it and writes the
  segment); its size is the .docs file's growth: compare it with FTS5 contentless.
- queries, single-threaded, top-10: the 1000 plain OR queries, QPS overall and per number of terms.
  FTS5: `SELECT rowid FROM docs WHERE docs MATCH '"a" OR "b"' ORDER BY rank LIMIT 10` (rank = bm25()),
  one query per call. tantivy: index.parse_query("a b", ["body"]) (the parser's default is OR), then
  searcher.search(q, 10, count=False) and the ids from the fast field, one query per call. Both peers
  run 20 queries untimed first, and every query's time counts parse + search + ids. caliby: one
  process per query file, `search NAME --text-file FILE -k 10 --format jsonl --stats --warmup` (the
  file's queries run once untimed first, so its buffer pool is as warm as the peers' page cache);
  its QPS is the stats line "text: N queries in X ms (Y queries/s), 1 thread" (search time inside the process),
  or, if caliby prints no such line, N / the process's wall time (start, open and output included),
  labelled "wall". So caliby's figure excludes a per-call overhead the peers pay (Python binding);
  keep that in mind when reading the ratios.
  --rounds R repeats every query measurement R times (rounds interleaved over the engines' files)
  and reports the median.
- agreement with the reference, "same top-10, ties aside", per query (definition):
  Let the reference's result set have M matching documents, need = min(10, M), s10 = the reference
  score of its 10th hit (when M >= 10), and
      S = the documents whose reference score is above s10 by more than the tie tolerance (1e-9
          relative): they MUST be in any correct top-10 (|S| <= 9 when M >= 10);
      T = the documents whose reference score is within the tolerance of s10 (all of them, also
          those beyond rank 10): any need - |S| of them may fill the remaining places.
  When M < 10, S = all M matches and T is empty. An engine's top-10 E (its ids, duplicates removed)
  agrees when |E| = need, S ⊆ E and E ⊆ S ∪ T. Reported: the fraction of queries that agree; the mean
  overlap (|E ∩ S| + min(|E ∩ T|, need - |S|)) / need (1 for a query with no matches and an empty E);
  and the fraction whose E is exactly the reference's ranked list (same ids in the same order, which
  the spec's tie rule - id ascending - makes well defined). For caliby the scores are compared too:
  the reference score of every returned (query, id), the largest relative difference, and hits the
  reference says do not match. The peers' agreement is information only: FTS5's idf is
  ln((N - df + 0.5) / (df + 0.5)) (near 0 or clamped for common terms), tantivy stores document
  lengths in one byte (coarse for long documents) and scores in f32, and both split `don't`,
  `file.txt`, `3.14` and `max_elements` into several tokens where the spec keeps one.
  The phrase set (phrases.txt: one quoted phrase each, plus 0-2 terms) is checked the same way.

Output: --out gets every number as JSON; stdout gets Markdown tables ready for BENCHMARKS.md.

Run (venv outside the repository):
    /work/venv-bench/bin/pip install tantivy nltk
    /work/venv-bench/bin/python bench/text_corpus.py /work/bench-data/text-20k --from-base /work/bench-data/man20k
    /work/venv-bench/bin/python bench/text_bench.py /work/bench-data/text-20k --out /work/bench-data/text-20k/peers.json
    swift build -c release && /work/venv-bench/bin/python bench/text_bench.py /work/bench-data/text-20k \\
        --caliby .build/release/caliby --out /work/bench-data/text-20k/all.json
"""
import argparse, glob, json, os, platform, shutil, sqlite3, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bm25_reference as bm  # noqa: E402
from cli import call  # noqa: E402  (how every caliby command is run)
from markdown import table  # noqa: E402

K = 10
TERM_COUNTS = (1, 2, 3, 4)
WARMUP = 20
TANTIVY_HEAP = 200_000_000


# ---------------------------------------------------------------------------------------------------
# Data and the reference
# ---------------------------------------------------------------------------------------------------

class Corpus:
    def __init__(self, folder):
        self.folder = folder
        p = lambda name: os.path.join(folder, name)
        self.docs = bm.read_lines(p('docs.txt'))
        self.queries = bm.read_lines(p('queries.txt'))
        self.n_terms = [json.loads(l)['n_terms'] for l in bm.read_lines(p('queries.jsonl'))]
        self.terms = [json.loads(l)['terms'] for l in bm.read_lines(p('queries.jsonl'))]
        self.phrases = bm.read_lines(p('phrases.txt'))
        self.items = p('items.jsonl')
        if len(self.n_terms) != len(self.queries):
            sys.exit(f'{folder}: queries.txt and queries.jsonl disagree')
        self._ref = None
        self.analyzer, self.porter = None, 'tartarus'

    def reference(self):
        if self._ref is None:
            t = time.perf_counter()
            self._ref = bm.Reference(self.docs, bm.analyzer(self.analyzer, self.porter))
            print(f'  reference: {len(self.docs)} documents analyzed in {time.perf_counter() - t:.1f} s', flush=True)
        return self._ref

    def truth(self, which):
        """The reference's results for 'queries' or 'phrases', from the cache or computed (and cached)."""
        label = self.analyzer + (f'-{self.porter}' if self.analyzer == 'english' else '')
        path = os.path.join(self.folder, f'reference-{label}-{which}.jsonl')
        texts = self.queries if which == 'queries' else self.phrases
        inputs = [os.path.join(self.folder, 'docs.txt'), os.path.join(self.folder, f'{which}.txt'),
                  os.path.join(HERE, 'bm25_reference.py')]
        if os.path.exists(path) and all(os.path.getmtime(path) > os.path.getmtime(i) for i in inputs):
            rows = [json.loads(l) for l in bm.read_lines(path)]
            if len(rows) == len(texts) and all(r['text'] == q for r, q in zip(rows, texts)):
                return rows
        ref = self.reference()
        t = time.perf_counter()
        rows = [{'query': i, 'text': q, **ref.search(q, K)} for i, q in enumerate(texts)]
        with open(path + '.tmp', 'w', encoding='utf-8') as f:
            for r in rows:
                f.write(json.dumps(r) + '\n')
        os.replace(path + '.tmp', path)
        print(f'  reference {which}: {len(rows)} queries in {time.perf_counter() - t:.1f} s -> {path}', flush=True)
        return rows


def agreement(found, truth):
    """(agrees, overlap, exact) of one engine top-10 `found` (ids, best first) against one reference row:
    see the module docstring for the definition."""
    top, kth, tied = truth['top'], truth['kth'], set(truth['tied'])
    need = min(K, truth['n_matches'])
    ids = list(dict.fromkeys(int(i) for i in found))[:K]
    exact = ids == [d for d, _ in top]
    if kth is None:                     # fewer than K matches: every match is required, no ties
        S, T = {d for d, _ in top}, set()
    else:
        S, T = {d for d, s in top if d not in tied}, tied
    E = set(ids)
    agrees = len(ids) == need and S <= E and E <= (S | T)
    overlap = 1.0 if need == 0 and not ids else (len(E & S) + min(len(E & T), need - len(S))) / max(need, 1)
    return agrees, overlap, exact


def summarize_agreement(results, truths):
    rows = [agreement(f, t) for f, t in zip(results, truths)]
    n = len(rows)
    return {'queries': n, 'same_top10_ties_aside': sum(r[0] for r in rows) / n,
            'mean_overlap': sum(r[1] for r in rows) / n, 'exact_ranked_list': sum(r[2] for r in rows) / n,
            'disagreeing_queries': [i for i, r in enumerate(rows) if not r[0]][:20]}


# ---------------------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------------------

def timed_queries(search, queries):
    """(results, seconds per query) of `search(q) -> ids`, one query per call, after WARMUP untimed calls."""
    for q in queries[:WARMUP]:
        search(q)
    results, seconds = [], []
    for q in queries:
        t = time.perf_counter()
        r = search(q)
        seconds.append(time.perf_counter() - t)
        results.append(r)
    return results, seconds


def qps_by_terms(corpus, seconds):
    out = {'all': len(seconds) / sum(seconds)}
    for n in TERM_COUNTS:
        s = [x for x, k in zip(seconds, corpus.n_terms) if k == n]
        out[str(n)] = len(s) / sum(s) if s else None
    return out


def median_rounds(rounds):
    return {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}


def dir_size(path):
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(path) for f in files)


def fts5_match(query, phrase_set):
    """FTS5 MATCH text of one of our queries: every term or phrase quoted, joined by OR (quoting keeps
    `and`/`or`/`not` and digits plain strings)."""
    if not phrase_set:
        return ' OR '.join(f'"{t}"' for t in query.split())
    clauses, rest = [], query
    while rest.strip():
        rest = rest.strip()
        if rest.startswith('"'):
            end = rest.index('"', 1)
            clauses.append(rest[:end + 1])
            rest = rest[end + 1:]
        else:
            word, _, rest = rest.partition(' ')
            clauses.append(f'"{word}"')
    return ' OR '.join(clauses)


def run_fts5(corpus, tmp, rounds, out):
    info = {'sqlite_version': sqlite3.sqlite_version}
    con = sqlite3.connect(':memory:')
    if not any('ENABLE_FTS5' in r[0] for r in con.execute('PRAGMA compile_options')):
        raise RuntimeError(f'this sqlite3 ({sqlite3.sqlite_version}) has no FTS5')
    con.close()
    tokenize = "porter unicode61 remove_diacritics 2" if corpus.analyzer == 'english' else "unicode61 remove_diacritics 2"
    info['tokenize'] = tokenize
    rows = [(i, s) for i, s in enumerate(corpus.docs)]
    builds = {}
    for variant, extra in [('content', ''), ('contentless', ", content=''")]:
        path = os.path.join(tmp, f'fts5-{variant}.db')
        t = time.perf_counter()
        con = sqlite3.connect(path)
        con.execute(f"CREATE VIRTUAL TABLE docs USING fts5(body, tokenize = '{tokenize}'{extra})")
        con.executemany('INSERT INTO docs(rowid, body) VALUES (?, ?)', rows)
        con.commit()
        seconds = time.perf_counter() - t
        con.close()
        builds[variant] = {'seconds': seconds, 'bytes': os.path.getsize(path), 'path': path}
        print(f'  fts5 [{variant}] build {seconds:.1f} s, {builds[variant]["bytes"] / 1e6:.1f} MB', flush=True)
    info['build'] = builds
    con = sqlite3.connect(builds['content']['path'])
    sql = 'SELECT rowid FROM docs WHERE docs MATCH ? ORDER BY rank LIMIT 10'
    matches = [fts5_match(q, False) for q in corpus.queries]
    search = lambda m: [r[0] for r in con.execute(sql, (m,))]
    qps_rounds = []
    for rnd in range(rounds):
        results, seconds = timed_queries(search, matches)
        qps_rounds.append(qps_by_terms(corpus, seconds))
        print(f'  fts5 round {rnd + 1}: {qps_rounds[-1]["all"]:.0f} QPS', flush=True)
    info['qps_rounds'] = qps_rounds
    info['qps'] = median_rounds(qps_rounds)
    info['agreement'] = summarize_agreement(results, corpus.truth('queries'))
    info['phrase_agreement'] = summarize_agreement([search(fts5_match(q, True)) for q in corpus.phrases],
                                                   corpus.truth('phrases'))
    info['example_match'] = matches[0]
    con.close()
    out['fts5'] = info


def run_tantivy(corpus, tmp, rounds, out):
    import tantivy
    info = {'version': getattr(tantivy, '__version__', '?'), 'writer_threads': 1, 'heap_bytes': TANTIVY_HEAP}
    tokenizer = 'en_stem' if corpus.analyzer == 'english' else 'default'
    info['tokenizer'] = tokenizer
    path = os.path.join(tmp, 'tantivy')
    os.makedirs(path)
    t = time.perf_counter()
    sb = tantivy.SchemaBuilder()
    sb.add_integer_field('id', stored=False, indexed=False, fast=True)
    sb.add_text_field('body', stored=True, tokenizer_name=tokenizer, index_option='position')
    index = tantivy.Index(sb.build(), path=path)
    writer = index.writer(TANTIVY_HEAP, 1)
    for i, s in enumerate(corpus.docs):
        writer.add_document(tantivy.Document(id=i, body=s))
    writer.commit()
    writer.wait_merging_threads()
    seconds = time.perf_counter() - t
    index.reload()
    searcher = index.searcher()
    info['build'] = {'seconds': seconds, 'bytes': dir_size(path), 'segments': searcher.num_segments}
    print(f'  tantivy build {seconds:.1f} s, {info["build"]["bytes"] / 1e6:.1f} MB, '
          f'{searcher.num_segments} segment(s)', flush=True)

    def search(q):
        hits = searcher.search(index.parse_query(q, ['body']), K, count=False).hits
        return searcher.fast_field_values('id', [a for _, a in hits])

    qps_rounds = []
    for rnd in range(rounds):
        results, secs = timed_queries(search, corpus.queries)
        qps_rounds.append(qps_by_terms(corpus, secs))
        print(f'  tantivy round {rnd + 1}: {qps_rounds[-1]["all"]:.0f} QPS', flush=True)
    info['qps_rounds'] = qps_rounds
    info['qps'] = median_rounds(qps_rounds)
    info['agreement'] = summarize_agreement(results, corpus.truth('queries'))
    info['phrase_agreement'] = summarize_agreement([search(q) for q in corpus.phrases], corpus.truth('phrases'))
    out['tantivy'] = info


# ---------------------------------------------------------------------------------------------------
# caliby, through its command line only
# ---------------------------------------------------------------------------------------------------

def caliby_args(binary, directory, op, name=None, **kw):
    """Every caliby command this script issues is built here (the CLI of the text spec), so that a
    change of the CLI's syntax is a change of this one function. op: init | create | insert | search | info."""
    cmd = [binary, '--dir', directory, op]
    if op == 'create':
        body = 'body:text:noindex' if kw.get('noindex') else 'body:text'
        cmd += [name, '--type', 'hnsw', '--dim', '2', '--max-elements', str(kw['n']), '--field', body]
        if kw.get('analyzer', 'standard') != 'standard':
            cmd += ['--analyzer', kw['analyzer']]
    elif op == 'insert':
        cmd += [name, kw['path']]
    elif op == 'search':
        cmd += [name, '--text-file', kw['queries'], '-k', str(K), '--format', 'jsonl', '--stats', '--warmup']
    elif op == 'info':
        cmd += [name, '--format', 'json']
    elif op == 'index':
        cmd += [name, 'body']
    return cmd


STATS = __import__('re').compile(r'text: (\d+) queries in ([\d.]+) ms \(([\d.]+) queries/s\)')


def caliby_search(binary, d, name, path, n_queries):
    """(ids per query, qps, how the qps was measured) of one `search --text-file` process."""
    p, wall = call(caliby_args(binary, d, 'search', name, queries=path))
    hits = [[] for _ in range(n_queries)]
    for line in p.stdout.splitlines():
        if line.strip():
            h = json.loads(line)
            hits[int(h['query'])].append((int(h['rank']), int(h['id']), float(h['score'])))
    for h in hits:
        h.sort()
    m = STATS.search(p.stderr)
    if m:
        n, ms = int(m.group(1)), float(m.group(2))
        if n != n_queries:
            raise RuntimeError(f'caliby --stats reports {n} queries for a file of {n_queries}')
        return hits, n / (ms / 1e3), 'stats line'
    return hits, n_queries / wall, 'wall (no stats line: process start, open and output included)'


def score_check(corpus, hits, texts):
    """Every (query, id, score) caliby returned, re-scored by the reference: the largest relative score
    difference, and how many returned documents the reference says do not match the query."""
    ref = corpus.reference()
    worst, not_matching, checked = 0.0, 0, 0
    for q, rows in zip(texts, hits):
        clauses = bm.parse_query(q, ref.analyze)
        idfs = [sum(ref.idf(t) for t in terms) for _, terms in clauses]
        for _, d, s in rows:
            ok, expected = ref.score_doc(d, clauses, idfs) if 0 <= d < len(ref.terms) else (False, 0.0)
            checked += 1
            if not ok:
                not_matching += 1
            else:
                worst = max(worst, abs(s - expected) / abs(expected))
    return {'hits_checked': checked, 'max_relative_score_difference': worst, 'hits_not_matching': not_matching}


def run_caliby(corpus, binary, tmp, rounds, out):
    binary = os.path.abspath(binary)
    d = os.path.join(tmp, 'caliby')
    info = {'binary': binary}
    call(caliby_args(binary, d, 'init'))
    _, info['create_seconds'] = call(caliby_args(binary, d, 'create', 'text', n=len(corpus.docs),
                                                 analyzer=corpus.analyzer))
    _, seconds = call(caliby_args(binary, d, 'insert', 'text', path=corpus.items))
    docs_files = glob.glob(os.path.join(d, '**', '*.docs'), recursive=True)
    info['build'] = {'seconds': seconds, 'bytes': sum(os.path.getsize(f) for f in docs_files),
                     'docs_files': [os.path.relpath(f, d) for f in docs_files],
                     'data_dir_bytes': dir_size(d)}
    try:
        info['info'] = json.loads(call(caliby_args(binary, d, 'info', 'text'))[0].stdout)
    except Exception as e:          # the sizes come from the file itself; info is a record only
        info['info'] = f'failed: {e}'
    print(f'  caliby create {info["create_seconds"]:.1f} s, insert {seconds:.1f} s, '
          f'.docs {info["build"]["bytes"] / 1e6:.1f} MB', flush=True)
    # The insert above also builds the HNSW graph of the 2-d vectors, which no peer does. The text
    # index alone: the same documents stored without it, then `caliby index` over them (reads every
    # stored document, analyzes it, writes the segment) -- and its size, the file's growth.
    d2 = os.path.join(tmp, 'caliby-noindex')
    call(caliby_args(binary, d2, 'init'))
    call(caliby_args(binary, d2, 'create', 'text', n=len(corpus.docs), analyzer=corpus.analyzer, noindex=True))
    call(caliby_args(binary, d2, 'insert', 'text', path=corpus.items))
    plain = sum(os.path.getsize(f) for f in glob.glob(os.path.join(d2, '**', '*.docs'), recursive=True))
    _, text_seconds = call(caliby_args(binary, d2, 'index', 'text'))
    indexed = sum(os.path.getsize(f) for f in glob.glob(os.path.join(d2, '**', '*.docs'), recursive=True))
    info['text_index'] = {'seconds': text_seconds, 'bytes': indexed - plain, 'documents_bytes': plain}
    print(f'  caliby text index alone: {text_seconds:.1f} s, {(indexed - plain) / 1e6:.1f} MB', flush=True)
    shutil.rmtree(d2, ignore_errors=True)
    files = {'all': os.path.join(corpus.folder, 'queries.txt'),
             **{str(n): os.path.join(corpus.folder, f'queries-{n}.txt') for n in TERM_COUNTS}}
    qps_rounds, how = [], set()
    for rnd in range(rounds):
        r = {}
        for key, path in files.items():
            n = len(bm.read_lines(path))
            hits, r[key], label = caliby_search(binary, d, 'text', path, n)
            how.add(label)
            if key == 'all':
                all_hits = hits
        qps_rounds.append(r)
        print(f'  caliby round {rnd + 1}: {r["all"]:.0f} QPS', flush=True)
    info['qps_rounds'], info['qps'], info['qps_measured_by'] = qps_rounds, median_rounds(qps_rounds), sorted(how)
    info['agreement'] = summarize_agreement([[i for _, i, _ in h] for h in all_hits], corpus.truth('queries'))
    info['score_check'] = score_check(corpus, all_hits, corpus.queries)
    phrase_hits, _, _ = caliby_search(binary, d, 'text', os.path.join(corpus.folder, 'phrases.txt'), len(corpus.phrases))
    info['phrase_agreement'] = summarize_agreement([[i for _, i, _ in h] for h in phrase_hits], corpus.truth('phrases'))
    info['phrase_score_check'] = score_check(corpus, phrase_hits, corpus.phrases)
    out['caliby'] = info


# ---------------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------------

def secs(x):
    return f'{x:.2f}' if x < 10 else f'{x:.1f}'


def report(corpus, res):
    e = res['engines']
    n = len(corpus.docs)
    print(f'\n## Full text: {n} documents, {len(corpus.queries)} OR queries (250 each of 1-4 terms), '
          f'analyzer {corpus.analyzer}\n')
    rows = []
    if 'fts5' in e:
        for v in ('content', 'contentless'):
            b = e['fts5']['build'][v]
            rows.append([f'SQLite FTS5 {e["fts5"]["sqlite_version"]} ({v})', secs(b['seconds']), f"{b['bytes'] / 1e6:.1f}"])
    if 'tantivy' in e:
        b = e['tantivy']['build']
        rows.append([f'{e["tantivy"]["version"].split(",")[0]} (1 writer thread, stored text)',
                     secs(b['seconds']), f"{b['bytes'] / 1e6:.1f}"])
    if 'caliby' in e:
        b = e['caliby']['build']
        rows.append(['caliby insert (HNSW of the 2-d vectors + documents + text index; .docs file)', secs(b['seconds']), f"{b['bytes'] / 1e6:.1f}"])
        if 'text_index' in e['caliby']:
            t = e['caliby']['text_index']
            rows.append(['caliby text index alone (`index` over stored documents; its pages)', secs(t['seconds']), f"{t['bytes'] / 1e6:.1f}"])
    table(['engine', 'build s', 'size MB'], rows)
    if 'caliby' in e and 'fts5' in e:
        c, f = e['caliby']['build'], e['fts5']['build']['content']
        print(f"caliby / FTS5 (with content): build {c['seconds'] / f['seconds']:.2f}, size {c['bytes'] / f['bytes']:.2f}; "
              f"caliby / FTS5 contentless size {c['bytes'] / e['fts5']['build']['contentless']['bytes']:.2f}\n")
        if 'text_index' in e['caliby']:
            t, fc = e['caliby']['text_index'], e['fts5']['build']['contentless']
            print(f"caliby text index alone / FTS5 (with content) build {t['seconds'] / f['seconds']:.2f}; "
                  f"its size / FTS5 contentless {t['bytes'] / fc['bytes']:.2f}\n")

    keys = ['all'] + [str(k) for k in TERM_COUNTS]
    print('### Queries per second, 1 thread, top-10 (median of the rounds)\n')
    rows = [[name, *[f"{e[name]['qps'][k]:.0f}" for k in keys]] for name in ('fts5', 'tantivy', 'caliby') if name in e]
    if 'caliby' in e:
        for peer in ('fts5', 'tantivy'):
            if peer in e:
                rows.append([f'caliby / {peer}', *[f"{e['caliby']['qps'][k] / e[peer]['qps'][k]:.2f}" for k in keys]])
    table(['engine', 'all', '1 term', '2 terms', '3 terms', '4 terms'], rows)
    if 'caliby' in e:
        print(f"caliby's QPS measured by: {', '.join(e['caliby']['qps_measured_by'])}\n")

    print('### Agreement with the brute-force BM25 reference (top-10, ties aside; see text_bench.py)\n')
    rows = []
    for name in ('caliby', 'tantivy', 'fts5'):
        if name in e:
            a, p = e[name]['agreement'], e[name]['phrase_agreement']
            rows.append([name, f"{a['same_top10_ties_aside']:.3f}", f"{a['mean_overlap']:.3f}", f"{a['exact_ranked_list']:.3f}",
                         f"{p['same_top10_ties_aside']:.3f}", f"{p['mean_overlap']:.3f}"])
    table(['engine', 'OR queries: same top-10', 'mean overlap', 'exact ranked list', 'phrase queries: same top-10',
           'mean overlap'], rows)
    if 'caliby' in e:
        s, ps = e['caliby']['score_check'], e['caliby']['phrase_score_check']
        print(f"caliby scores vs the reference: max relative difference {s['max_relative_score_difference']:.2e} "
              f"(phrases {ps['max_relative_score_difference']:.2e}); hits the reference says do not match: "
              f"{s['hits_not_matching']} (phrases {ps['hits_not_matching']})\n")
    print('FTS5 and tantivy agreement is information only: different idf (FTS5), one-byte document lengths and '
          'f32 (tantivy), and different tokenization of `don\'t`, `file.txt`, `3.14`, `max_elements`.\n')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('corpus', help='a folder made by text_corpus.py')
    ap.add_argument('--out', required=True, help='JSON file for every number measured')
    ap.add_argument('--caliby', help='the caliby binary; without it only the peers and the reference run')
    ap.add_argument('--engines', default='fts5,tantivy', help='peers to run (default fts5,tantivy; empty for none)')
    ap.add_argument('--analyzer', default='standard', choices=['standard', 'english'])
    ap.add_argument('--porter', default='tartarus', choices=['tartarus', 'original'],
                    help="the reference's Porter mode for --analyzer english (see bm25_reference.py)")
    ap.add_argument('--rounds', type=int, default=3, help='query measurements per engine (median reported)')
    ap.add_argument('--tmp', help="where the engines' files go (a fresh temporary folder inside; default $TMPDIR)")
    a = ap.parse_args()
    corpus = Corpus(a.corpus)
    corpus.analyzer, corpus.porter = a.analyzer, a.porter
    res = {'started': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()),
           'machine': {'cores': os.cpu_count(), 'cpu': platform.processor() or platform.machine(),
                       'python': sys.version.split()[0], 'load_avg_at_start': os.getloadavg()},
           'args': vars(a), 'corpus': json.load(open(os.path.join(a.corpus, 'corpus.json'))), 'engines': {}, 'notes': []}
    print(f'{len(corpus.docs)} documents, {len(corpus.queries)} queries, {len(corpus.phrases)} phrase queries', flush=True)
    print('# reference', flush=True)
    truth = corpus.truth('queries')
    corpus.truth('phrases')
    res['reference'] = {'queries_with_fewer_than_10_matches': sum(1 for r in truth if r['n_matches'] < K),
                        'queries_with_ties_at_10th': sum(1 for r in truth if len(r['tied']) > 1),
                        'mean_matches': statistics.mean(r['n_matches'] for r in truth)}
    with tempfile.TemporaryDirectory(prefix='text-bench-', dir=a.tmp) as tmp:
        for name in [x for x in a.engines.split(',') if x]:
            print(f'# {name}', flush=True)
            try:
                {'fts5': run_fts5, 'tantivy': run_tantivy}[name](corpus, tmp, a.rounds, res['engines'])
            except Exception as e:   # one engine failing must not lose the others' numbers
                res['notes'].append(f'{name} failed: {type(e).__name__}: {e}')
                print('  NOTE: ' + res['notes'][-1], flush=True)
            for f in glob.glob(os.path.join(tmp, '*')):       # free the disk before the next engine
                shutil.rmtree(f) if os.path.isdir(f) else os.remove(f)
        if a.caliby:
            print('# caliby', flush=True)
            try:
                run_caliby(corpus, a.caliby, tmp, a.rounds, res['engines'])
            except Exception as e:
                res['notes'].append(f'caliby failed: {type(e).__name__}: {e}')
                print('  NOTE: ' + res['notes'][-1], flush=True)
    res['finished'] = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())
    report(corpus, res)
    for n in res['notes']:
        print('NOTE: ' + n)
    with open(a.out, 'w') as f:
        json.dump(res, f, indent=1, default=str)
    print(f'numbers written to {a.out}')


if __name__ == '__main__':
    main()
