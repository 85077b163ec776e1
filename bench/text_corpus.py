#!/usr/bin/env python3
"""A full-text benchmark corpus: sentences of the machine's man pages as documents, plus query files.

Two sources:
  --from-base DIR   the documents are DIR/base.txt (a folder made by ../shared/bench/embed.py: 20k
                    sentences, line i = document i) and the held-out sentences for queries are
                    DIR/query.txt (embed.py's held-out queries, never in base.txt).
  --man N           N documents extracted from /usr/share/man/man*/*.gz with embed.py's sentence rules
                    (its `passages()`, imported, so troff stripping, sentence split, 5-80 words, > 60 %
                    letters and case-insensitive de-duplication are the same). embed.py caps a page at 40
                    sentences and skips the generated gcloud_* pages; with both limits the machine has
                    ~71k sentences, so here the cap is lifted (~141k) and the gcloud pages are added with
                    the same rules (~90k more; `gcloud_sentences` repeats embed.py's per-page steps for
                    them, since its `passages()` skips them by name). All sentences are shuffled with
                    --seed; the first N are the documents, the rest are held out for the queries.
                    Deterministic for a given set of installed man pages.

Writes into OUT:
  docs.txt          one sentence per line; line i = document i
  items.jsonl       caliby's input: {"id": i, "vector": [x, y], "body": sentence}; the 2-d vector is
                    uniform in [0, 1)^2 from numpy's default_rng(--seed), float32, the same every run
  queries.txt       1000 plain OR queries (no phrases, no operators), 250 each of 1, 2, 3 and 4 terms,
                    in a seeded random order; queries-1.txt .. queries-4.txt hold them by term count
  phrases.txt       200 queries with one quoted phrase (2 or 3 terms) each, plus 0-2 plain terms
  queries.jsonl     per line of queries.txt: {"query": i, "terms": [...], "n_terms": n}
  corpus.json       what was made: source, counts, seeds, document-frequency profile of the queries

Query words: taken from held-out sentences (one sentence per query, in a seeded order, a further
shuffled pass if they run out), each a term of
the sentence under the spec's standard analyzer (bm25_reference.standard) that is plain ASCII [a-z0-9],
at most 40 characters and present in at least one document. Plain ASCII terms mean the three engines
(caliby's standard analyzer, FTS5's unicode61, tantivy's default tokenizer) read the query word as the
same single term, and no word is a query-syntax keyword (they are written lowercase, so not FTS5's or
tantivy's AND / OR / NOT). The words of a query are drawn uniformly among the distinct eligible terms of
its sentence, so common words (the, a, file) and rare ones (a daemon's name) both occur as they do in
text; corpus.json records how the query terms spread over document frequencies.
A phrase is a run of 2 or 3 consecutive standard-analyzer terms of a held-out sentence, all plain, that
occurs (consecutively) in at least one document.

usage: text_corpus.py OUT (--from-base DIR | --man N) [--queries 1000] [--phrases 200] [--seed 11]
"""
import argparse, glob, gzip, hashlib, json, os, random, re, sys, time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bm25_reference import standard, phrase_tf  # noqa: E402

PLAIN = re.compile(r'[a-z0-9]{1,40}\Z')
TERM_COUNTS = (1, 2, 3, 4)


def import_embed(embed_dir):
    """embed.py's module (importing it loads no model: numpy and its sibling synth.py only)."""
    sys.path.insert(0, embed_dir)
    import embed
    return embed


def gcloud_sentences(embed, seen):
    """embed.py's per-page steps (its TROFF pattern, request lines dropped, sentence split, word and letter
    rules, case-insensitive de-duplication against `seen`) applied to the gcloud_* pages it skips."""
    for f in sorted(glob.glob('/usr/share/man/man*/gcloud*.gz')):
        try:
            raw = gzip.open(f, 'rt', errors='ignore').read()
        except Exception:
            continue
        text = ' '.join(l for l in raw.split('\n') if not l.startswith(('.', "'")))
        text = re.sub(r'\s+', ' ', embed.TROFF.sub('', text))
        for s in re.split(r'(?<=[.!?])\s+', text):
            w = s.split()
            if 5 <= len(w) <= 80 and sum(c.isalpha() for c in s) > 0.6 * len(s):
                key = s.lower()
                if key not in seen:
                    seen.add(key)
                    yield s


def man_sentences(embed):
    out = [s for s, _page, _section in embed.passages(per_page=10 ** 9)]
    seen = {s.lower() for s in out}
    out += list(gcloud_sentences(embed, seen))
    return out


def read_lines(path):
    with open(path, encoding='utf-8', newline='') as f:
        lines = f.read().split('\n')
    return lines[:-1] if lines and lines[-1] == '' else lines


def write_lines(path, lines):
    with open(path + '.tmp', 'w', encoding='utf-8', newline='') as f:
        for line in lines:
            if '\n' in line:
                raise ValueError(f'a line with a newline: {line[:80]!r}')
            f.write(line + '\n')
    os.replace(path + '.tmp', path)


def make_queries(docs_terms, heldout, n_queries, n_phrases, seed):
    df = {}
    for terms in docs_terms:
        for t in set(terms):
            df[t] = df.get(t, 0) + 1
    rng = random.Random(seed)

    def passes():
        # Held-out sentences in seeded order, one per query; a new shuffled pass when they run out (the
        # 20k folder has 1000 held-out sentences for 1200 queries).
        while True:
            order = list(range(len(heldout)))
            rng.shuffle(order)
            yield from order
    sentences = passes()
    per = n_queries // len(TERM_COUNTS)
    queries = []                              # (terms, n)
    for n in TERM_COUNTS:
        made = 0
        while made < per:
            terms = standard(heldout[next(sentences)])
            eligible = sorted({t for t in terms if PLAIN.match(t) and t in df})
            if len(eligible) >= n:
                queries.append(rng.sample(eligible, n))
                made += 1
    rng.shuffle(queries)

    # Phrases: documents containing all of a candidate's terms are scanned for the consecutive run.
    postings = {}
    for d, terms in enumerate(docs_terms):
        for t in set(terms):
            postings.setdefault(t, []).append(d)

    def occurs(phrase):
        docs = set.intersection(*(set(postings.get(t, ())) for t in phrase))
        return any(phrase_tf(docs_terms[d], phrase) for d in sorted(docs))

    phrases = []
    while len(phrases) < n_phrases:
        terms = standard(heldout[next(sentences)])
        m = 2 + len(phrases) % 2                      # alternately 2 and 3 terms
        starts = [p for p in range(len(terms) - m + 1) if all(PLAIN.match(t) for t in terms[p:p + m])]
        rng.shuffle(starts)
        for p in starts:
            phrase = tuple(terms[p:p + m])
            if all(t in df for t in phrase) and occurs(phrase):
                extra_pool = sorted({t for t in terms if PLAIN.match(t) and t in df} - set(phrase))
                extra = rng.sample(extra_pool, min(len(phrases) % 3, len(extra_pool)))
                clauses = ['"' + ' '.join(phrase) + '"'] + extra
                rng.shuffle(clauses)
                phrases.append(' '.join(clauses))
                break
    return queries, phrases, df


def df_profile(queries, df, n_docs):
    bands = [('df 1-9', 1, 9), ('df 10-99', 10, 99), ('df 100-999', 100, 999),
             ('df >= 1000 and < 10% of docs', 1000, n_docs // 10 - 1), ('df >= 10% of docs', n_docs // 10, n_docs)]
    terms = [t for q in queries for t in q]
    return {name: sum(1 for t in terms if lo <= df[t] <= hi) for name, lo, hi in bands}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('out')
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument('--from-base', metavar='DIR', help="an embed.py folder: base.txt = documents, query.txt = held out")
    src.add_argument('--man', type=int, metavar='N', help='N documents from the man pages')
    ap.add_argument('--queries', type=int, default=1000)
    ap.add_argument('--phrases', type=int, default=200)
    ap.add_argument('--seed', type=int, default=11)
    ap.add_argument('--embed-dir', default=os.path.join(HERE, '..', '..', 'shared', 'bench'),
                    help="where embed.py is (default ../shared/bench beside the repository)")
    a = ap.parse_args()
    t0 = time.perf_counter()
    if a.from_base:
        docs = read_lines(os.path.join(a.from_base, 'base.txt'))
        heldout = read_lines(os.path.join(a.from_base, 'query.txt'))
        source = {'kind': 'embed.py folder', 'folder': os.path.abspath(a.from_base)}
    else:
        sentences = man_sentences(import_embed(os.path.abspath(a.embed_dir)))
        if len(sentences) < a.man + 2000:
            sys.exit(f'only {len(sentences)} sentences under /usr/share/man: lower --man')
        random.Random(a.seed).shuffle(sentences)
        docs, heldout = sentences[:a.man], sentences[a.man:]
        source = {'kind': 'man pages', 'sentences_found': len(sentences),
                  'rules': "embed.py passages() without the 40-per-page cap, plus gcloud_* pages by the same rules"}
    print(f'{len(docs)} documents, {len(heldout)} held-out sentences ({time.perf_counter() - t0:.0f} s)', flush=True)
    docs_terms = [standard(s) for s in docs]
    print(f'analyzed ({time.perf_counter() - t0:.0f} s)', flush=True)
    queries, phrases, df = make_queries(docs_terms, heldout, a.queries, a.phrases, a.seed)
    os.makedirs(a.out, exist_ok=True)
    write_lines(os.path.join(a.out, 'docs.txt'), docs)
    vectors = np.random.default_rng(a.seed).random((len(docs), 2), dtype=np.float32)
    with open(os.path.join(a.out, 'items.jsonl.tmp'), 'w', encoding='utf-8') as f:
        for i, (s, v) in enumerate(zip(docs, vectors)):
            f.write(json.dumps({'id': i, 'vector': [float('%.9g' % v[0]), float('%.9g' % v[1])], 'body': s},
                               ensure_ascii=False) + '\n')
    os.replace(os.path.join(a.out, 'items.jsonl.tmp'), os.path.join(a.out, 'items.jsonl'))
    write_lines(os.path.join(a.out, 'queries.txt'), [' '.join(q) for q in queries])
    for n in TERM_COUNTS:
        write_lines(os.path.join(a.out, f'queries-{n}.txt'), [' '.join(q) for q in queries if len(q) == n])
    write_lines(os.path.join(a.out, 'queries.jsonl'),
                [json.dumps({'query': i, 'terms': q, 'n_terms': len(q)}) for i, q in enumerate(queries)])
    write_lines(os.path.join(a.out, 'phrases.txt'), phrases)
    digest = hashlib.sha256(open(os.path.join(a.out, 'docs.txt'), 'rb').read()).hexdigest()
    meta = {'source': source, 'documents': len(docs), 'heldout_sentences': len(heldout), 'seed': a.seed,
            'docs_sha256': digest, 'queries': len(queries),
            'queries_by_terms': {n: sum(1 for q in queries if len(q) == n) for n in TERM_COUNTS},
            'phrases': len(phrases), 'query_terms_by_df': df_profile(queries, df, len(docs)),
            'distinct_terms': len(df), 'total_tokens': sum(map(len, docs_terms))}
    json.dump(meta, open(os.path.join(a.out, 'corpus.json'), 'w'), indent=1)
    print(json.dumps(meta, indent=1))
    print(f'written to {a.out} ({time.perf_counter() - t0:.0f} s)')


if __name__ == '__main__':
    main()
