#!/usr/bin/env python3
"""Brute-force BM25 reference for caliby's full-text search, written from the shared definitions
(text-spec: analyzers, query syntax, BM25 with k1 = 1.2, b = 0.75, order by score then id) and from
nothing else, so that the engine's results can be checked against an independent implementation.

Everything is plain Python and deliberately direct:
- `standard` analyzer: the spec's segmentation (classes W, I, J), folding (lower, NFD, drop Mn, NFC,
  U+2019 -> '), the 100-byte limit, no stop words. `english`: standard, then NLTK's Porter stemmer
  on terms made only of ASCII a-z, in one of two modes (--porter):
    tartarus (default): PorterStemmer(mode=MARTIN_EXTENSIONS), NLTK's rendering of Porter's own C
      implementation at tartarus.org: words of 1-2 letters are left alone, step 2 has bli -> ble and
      logi -> log. On the 13,088 ASCII-letter terms of the 20k corpus it gives FTS5's `porter` stem
      for all but one (`ies`: i here, ie in FTS5).
    original: PorterStemmer(mode=ORIGINAL_ALGORITHM), the 1980 paper as printed: `is` -> i, `as` -> a,
      `assembly` -> assembli; 32 of those 13,088 terms differ from FTS5's `porter`.
  The spec names both the paper and the tartarus/FTS5 implementation; they disagree on those terms,
  and the tartarus one is what the spec pins down concretely ("as used by SQLite FTS5").
  `whitespace`: split on White_Space, nothing folded.
- the query parser of the spec (SHOULD / +MUST / -MUST NOT clauses, quoted phrases, a word giving
  several terms is a phrase).
- each document is kept as its list of terms plus a term -> tf dictionary; a clause's tf is read from
  the document itself (a phrase's by scanning the document's positions), and the score is the
  spec's formula, summed over the clauses in query order, in Python floats (IEEE double).
The one accelerator: a term -> documents dictionary gives the candidates of a query (the documents
containing at least one of its terms). A document containing none of them matches no clause, so it
is not in the result set; `--brute` skips the accelerator and scores every document, and `--check N`
verifies on N queries that both give identical results.

Output (JSON lines, one per query, in query order):
  {"query": i, "text": "...", "n_matches": M, "top": [[id, score], ...],   # top k, score desc, id asc
   "kth": score of the k-th hit (null when M < k... then every hit is in "top"),
   "tied": [ids whose score is within TIE_REL of kth, inside or outside the top k, ascending]}
"tied" is what lets a comparison accept any choice among documents tied with the k-th (see
text_bench.py's `agreement`). TIE_REL = 1e-9 relative: far above the rounding differences of a
different summation order (about 1e-15), far below the gap between genuinely different scores.

usage: bm25_reference.py CORPUS_DIR [--queries FILE] [--analyzer standard|english|whitespace]
                         [--porter tartarus|original] [-k 10] [--out FILE] [--brute] [--check N]
CORPUS_DIR holds docs.txt (line i = document i); --queries defaults to CORPUS_DIR/queries.txt.
"""
import argparse, json, math, os, re, sys, time, unicodedata

K1, B = 1.2, 0.75
TIE_REL = 1e-9
MAX_TERM_BYTES = 100

# ---------------------------------------------------------------------------------------------------
# Analyzers
# ---------------------------------------------------------------------------------------------------

W, I, J, COMMA, SEP = 'W', 'I', 'J', ',', ' '
_class_cache = {}


def scalar_class(c):
    """The spec's class of one Unicode scalar: I (Han, Hiragana: a token by itself), W (letters, marks,
    numbers, Pc), J (' U+2019 . : joiners when between two W), ',' (joiner between two Nd), else SEP."""
    cls = _class_cache.get(c)
    if cls is None:
        o = ord(c)
        if (0x3400 <= o <= 0x4DBF or 0x4E00 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or 0x20000 <= o <= 0x2FFFF
                or 0x3040 <= o <= 0x309F):
            cls = I
        elif unicodedata.category(c)[0] in 'LMN' or unicodedata.category(c) == 'Pc':
            cls = W
        elif c in "'\u2019.":
            cls = J
        elif c == ',':
            cls = COMMA
        else:
            cls = SEP
        _class_cache[c] = cls
    return cls


def segment(text):
    """The raw tokens of `text` (before folding), in order."""
    n = len(text)
    classes = [scalar_class(c) for c in text]
    tokens, current = [], []
    for i, c in enumerate(text):
        cls = classes[i]
        if cls == J:
            cls = W if 0 < i < n - 1 and classes[i - 1] == W and classes[i + 1] == W else SEP
        elif cls == COMMA:
            cls = W if (0 < i < n - 1 and unicodedata.category(text[i - 1]) == 'Nd'
                        and unicodedata.category(text[i + 1]) == 'Nd') else SEP
        if cls == W:
            current.append(c)
        else:
            if current:
                tokens.append(''.join(current))
                current = []
            if cls == I:
                tokens.append(c)
    if current:
        tokens.append(''.join(current))
    return tokens


def fold(token):
    s = unicodedata.normalize('NFD', token.lower())
    s = ''.join(c for c in s if unicodedata.category(c) != 'Mn')
    return unicodedata.normalize('NFC', s).replace('\u2019', "'")


def keep(term):
    return term != '' and len(term.encode('utf-8')) <= MAX_TERM_BYTES


def standard(text):
    """Terms of `text` under the standard analyzer; list index = position."""
    return [t for t in map(fold, segment(text)) if keep(t)]


_ASCII_LOWER = re.compile(r'[a-z]+\Z')


PORTER_MODES = {'tartarus': 'MARTIN_EXTENSIONS', 'original': 'ORIGINAL_ALGORITHM'}


class English:
    """standard, then the Porter stemmer (see the module docstring for the modes) on terms of ASCII
    a-z only, cached per term."""

    def __init__(self, porter='tartarus'):
        from nltk.stem.porter import PorterStemmer
        self.stemmer = PorterStemmer(mode=getattr(PorterStemmer, PORTER_MODES[porter]))
        self.cache = {}

    def stem(self, term):
        s = self.cache.get(term)
        if s is None:
            s = self.stemmer.stem(term) if _ASCII_LOWER.match(term) else term
            self.cache[term] = s
        return s

    def __call__(self, text):
        return [self.stem(t) for t in standard(text)]


# Unicode's White_Space property (PropList.txt). Not str.split()/str.isspace(): they also split on
# U+001C..U+001F, which are not White_Space.
WHITE_SPACE = '\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a' \
              '\u2028\u2029\u202f\u205f\u3000'
_WS_SPLIT = re.compile('[' + re.escape(WHITE_SPACE) + ']+')


def whitespace(text):
    return [t for t in _WS_SPLIT.split(text) if keep(t)]


def analyzer(name, porter='tartarus'):
    if name == 'standard':
        return standard
    if name == 'english':
        return English(porter)
    if name == 'whitespace':
        return whitespace
    raise ValueError(f'unknown analyzer {name}')


# ---------------------------------------------------------------------------------------------------
# Queries
# ---------------------------------------------------------------------------------------------------

class QueryError(ValueError):
    pass


def parse_query(text, analyze):
    """[(kind, terms)] with kind 'should' | 'must' | 'not' and terms a tuple (len 1: a term clause,
    longer: a phrase). Raises QueryError with the 1-based column, as the spec lists. Clauses are
    separated by White_Space; a quoted phrase ends at its closing quote (`"a b"c` is two clauses); a
    `"` inside a word is an ordinary character for the analyzer; a quote with no terms is dropped."""
    clauses, i, n = [], 0, len(text)
    while i < n:
        if text[i] in WHITE_SPACE:
            i += 1
            continue
        kind = 'should'
        if text[i] in '+-':
            op_col = i + 1
            kind = 'must' if text[i] == '+' else 'not'
            i += 1
            if i == n or text[i] in WHITE_SPACE:
                raise QueryError(f"column {op_col}: '{text[i - 1]}' must be followed by a word or a quoted phrase")
        if text[i] == '"':
            end = text.find('"', i + 1)
            if end < 0:
                raise QueryError(f'column {i + 1}: unterminated "')
            body, i = text[i + 1:end], end + 1    # the clause ends at the closing quote
        else:
            start = i
            while i < n and not text[i] in WHITE_SPACE:
                i += 1
            body = text[start:i]
        terms = tuple(analyze(body))
        if terms:                                  # pure punctuation: the clause is dropped
            clauses.append((kind, terms))
    if not clauses:
        raise QueryError('column 1: the query has no terms')
    if all(kind == 'not' for kind, _ in clauses):
        raise QueryError('column 1: a query needs a clause that is not a MUST NOT (-) clause')
    return clauses


# ---------------------------------------------------------------------------------------------------
# The corpus and the scorer
# ---------------------------------------------------------------------------------------------------

def phrase_tf(doc_terms, phrase):
    m = len(phrase)
    return sum(1 for p in range(len(doc_terms) - m + 1) if tuple(doc_terms[p:p + m]) == phrase)


class Reference:
    def __init__(self, texts, analyze):
        self.analyze = analyze
        self.terms = [analyze(t) for t in texts]                 # document i's terms; index = position
        self.tf = []                                             # document i's term -> occurrences
        self.postings = {}                                       # the accelerator: term -> [doc ids]
        for d, terms in enumerate(self.terms):
            counts = {}
            for t in terms:
                counts[t] = counts.get(t, 0) + 1
            self.tf.append(counts)
            for t in counts:
                self.postings.setdefault(t, []).append(d)
        live = [len(t) for t in self.terms if t]
        self.N = len(live)
        self.avgdl = sum(live) / self.N if self.N else 0.0

    def df(self, term):
        return len(self.postings.get(term, ()))

    def idf(self, term):
        df = self.df(term)
        return math.log(1 + (self.N - df + 0.5) / (df + 0.5))

    def clause_tf(self, d, terms):
        if len(terms) == 1:
            return self.tf[d].get(terms[0], 0)
        if any(t not in self.tf[d] for t in terms):
            return 0
        return phrase_tf(self.terms[d], terms)

    def score_doc(self, d, clauses, idfs):
        """(matches, score) of document d: the spec's result-set rule and formula."""
        dl = len(self.terms[d])
        norm = K1 * (1 - B + B * dl / self.avgdl) if self.N else 0.0
        score, any_should, has_must = 0.0, False, False
        for (kind, terms), idf in zip(clauses, idfs):
            tf = self.clause_tf(d, terms)
            if kind == 'not':
                if tf > 0:
                    return False, 0.0
                continue
            if kind == 'must':
                has_must = True
                if tf == 0:
                    return False, 0.0
            if tf > 0:
                any_should = any_should or kind == 'should'
                score += idf * tf * (K1 + 1) / (tf + norm)
        return (True if has_must else any_should), score

    def search(self, query, k=10, brute=False):
        clauses = parse_query(query, self.analyze)
        idfs = [sum(self.idf(t) for t in terms) for _, terms in clauses]
        if brute:
            candidates = range(len(self.terms))
        else:
            wanted = {t for kind, terms in clauses if kind != 'not' for t in terms}
            candidates = sorted({d for t in wanted for d in self.postings.get(t, ())})
        hits = []
        for d in candidates:
            ok, s = self.score_doc(d, clauses, idfs)
            if ok:
                hits.append((s, d))
        hits.sort(key=lambda h: (-h[0], h[1]))
        top = [[d, s] for s, d in hits[:k]]
        kth = hits[k - 1][0] if len(hits) >= k else None
        tied = [] if kth is None else sorted(d for s, d in hits if abs(s - kth) <= TIE_REL * abs(kth))
        return {'n_matches': len(hits), 'top': top, 'kth': kth, 'tied': tied}


def read_lines(path):
    """Lines split on '\\n' only (newline='': no '\\r' translation; str.splitlines would also split on
    U+2028, U+0085, ...), without the final newline's empty line."""
    with open(path, encoding='utf-8', newline='') as f:
        lines = f.read().split('\n')
    return lines[:-1] if lines and lines[-1] == '' else lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('corpus', help='folder with docs.txt')
    ap.add_argument('--queries', help='one query per line (default CORPUS/queries.txt)')
    ap.add_argument('--analyzer', default='standard', choices=['standard', 'english', 'whitespace'])
    ap.add_argument('--porter', default='tartarus', choices=sorted(PORTER_MODES), help='Porter mode of english')
    ap.add_argument('-k', type=int, default=10)
    ap.add_argument('--out', help='JSON lines output (default stdout)')
    ap.add_argument('--brute', action='store_true', help='score every document for every query')
    ap.add_argument('--check', type=int, default=0, metavar='N',
                    help='also run the first N queries with --brute and stop if anything differs')
    a = ap.parse_args()
    t0 = time.perf_counter()
    ref = Reference(read_lines(os.path.join(a.corpus, 'docs.txt')), analyzer(a.analyzer, a.porter))
    print(f'{len(ref.terms)} documents (N = {ref.N}, avgdl = {ref.avgdl:.3f}, {len(ref.postings)} terms) '
          f'analyzed in {time.perf_counter() - t0:.1f} s', file=sys.stderr)
    queries = read_lines(a.queries or os.path.join(a.corpus, 'queries.txt'))
    out = open(a.out, 'w', encoding='utf-8') if a.out else sys.stdout
    t0 = time.perf_counter()
    for i, q in enumerate(queries):
        r = ref.search(q, a.k, a.brute)
        if i < a.check and not a.brute and r != ref.search(q, a.k, True):
            sys.exit(f'query {i} ({q!r}): the accelerated and the brute-force results differ')
        out.write(json.dumps({'query': i, 'text': q, **r}) + '\n')
    print(f'{len(queries)} queries in {time.perf_counter() - t0:.1f} s', file=sys.stderr)


if __name__ == '__main__':
    main()
