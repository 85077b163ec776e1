#!/usr/bin/env python3
"""../shared/bench/embed.py's main(), unchanged in what it computes and writes, with the 64-sentence
batches spread over W single-threaded worker processes, and with --per-page: how many sentences a man
page may give (embed.py's passages() takes 40, which yields about 71,000 sentences in all here, too
few for a 100k set; 200 yields about 116,000). Why workers: on this oversubscribed machine
OpenBLAS's 2 threads spin at their barriers (measured: 8x the CPU per batch of
OPENBLAS_NUM_THREADS=1). Run with OPENBLAS_NUM_THREADS=1.

usage: embed_parallel.py OUTDIR --model MODEL_DIR [--n 20000] [--queries 1000] [--workers 3] [--per-page 40]
"""
import argparse, json, os, random, sys, time
from multiprocessing import Pool
import numpy as np
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'shared', 'bench'))
import embed
from synth import write_fvecs, write_ivecs

MODEL = None


def init(model_dir):
    global MODEL
    MODEL = embed.MiniLM(model_dir)


def work(job):
    k, idx, texts = job
    return k, idx, MODEL.encode(texts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('outdir'); ap.add_argument('--model', required=True)
    ap.add_argument('--n', type=int, default=20000); ap.add_argument('--queries', type=int, default=1000)
    ap.add_argument('--seed', type=int, default=3); ap.add_argument('--workers', type=int, default=3)
    ap.add_argument('--per-page', type=int, default=40)
    a = ap.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    rows = []
    for r in embed.passages(per_page=a.per_page):
        rows.append(r)
        if len(rows) >= 3 * (a.n + a.queries): break
    if len(rows) < a.n + a.queries:
        sys.exit(f'only {len(rows)} sentences')
    random.Random(a.seed).shuffle(rows)
    rows = rows[:a.n + a.queries]
    texts = [r[0] for r in rows]
    print(f'{len(texts)} sentences', flush=True)
    order = np.argsort([len(t) for t in texts])
    emb = np.empty((len(texts), 384), dtype=np.float32)
    jobs = [(k, order[i:i + 64], [texts[j] for j in order[i:i + 64]]) for k, i in enumerate(range(0, len(texts), 64))]
    jobs = jobs[::-1]   # longest first, so that the workers end together
    t0 = time.time()
    with Pool(a.workers, initializer=init, initargs=(a.model,)) as pool:
        for done, (k, idx, e) in enumerate(pool.imap_unordered(work, jobs), 1):
            emb[idx] = e
            if done % 10 == 0: print(f'{done}/{len(jobs)} batches {time.time() - t0:.0f}s', flush=True)
    base, query = emb[:a.n], emb[a.n:]
    import faiss
    ix = faiss.IndexFlatIP(384); ix.add(base)
    _, gt = ix.search(query, 100)
    write_fvecs(os.path.join(a.outdir, 'base.fvecs'), base)
    write_fvecs(os.path.join(a.outdir, 'query.fvecs'), query)
    write_ivecs(os.path.join(a.outdir, 'groundtruth.ivecs'), gt)
    open(os.path.join(a.outdir, 'base.txt'), 'w').write('\n'.join(texts[:a.n]) + '\n')
    open(os.path.join(a.outdir, 'query.txt'), 'w').write('\n'.join(texts[a.n:]) + '\n')
    with open(os.path.join(a.outdir, 'meta.jsonl'), 'w') as f:
        for i, (s, page, section) in enumerate(rows[:a.n]):
            f.write(json.dumps({'id': i, 'page': page, 'section': section, 'words': len(s.split())}) + '\n')
    print('done', flush=True)


if __name__ == '__main__':
    main()
