#!/usr/bin/env python3
"""Measures issue #4's DiskANN targets against caliby's own HNSW on a TEXMEX data set, through the
caliby command line only, and prints markdown table rows.

usage: diskann_bench.py DATADIR --caliby PATH [--threads 2] [--R 64] [--L 100] [--alpha 1.2] [--M 16] [--efc 200]
                        [--Ls 10,15,20,30,50,100] [--beam-widths 1,4] [--efs 10,16,24,32,48,64,96]
                        [--pages-beam-widths 1,4] [--buffer-fraction 0.1] [--labels 100] [--seed 0]
                        [--filter-Ls 10,20,30,50,100] [--postfilter-ks 1000,2000] [--skip curves,pages,filter]
DATADIR holds base.fvecs, query.fvecs and groundtruth.ivecs (e.g. /work/benchdata/sift100k). Needs numpy.

1. Build time (wall clock of `caliby insert`) and file size of a DiskANN and an HNSW index of base.fvecs.
2. Recall@10 against QPS (1 search thread, --warmup): DiskANN over --L at each beam width, HNSW over --ef;
   QPS at recall@10 = 0.95 by linear interpolation between the two points that bracket it, and the ratio
   DiskANN / HNSW (target: ≥ 1 / 1.2).
3. Pages read per query with --buffer-size at 10% of each index's file (--stats), on the same curves, and
   interpolated at recall@10 = 0.95 (target: DiskANN fewer).
4. Filtered search on a separate DiskANN index whose points carry one label each, drawn uniformly from
   --labels labels: --filter recall@10 and QPS over L, against post-filtering (an unfiltered search with a
   large k, keeping the hits that carry the query's label). Target: filtered recall ≥ 0.95 and faster than
   post-filtering at equal or better recall.
Every QPS is caliby's own timer (search --groundtruth --warmup: the timed second pass, without process start
or opening the directory), except the pages table's, which times its one cold pass.
"""
import argparse, os, re, shlex, shutil, tempfile, time

import numpy as np

from texmex import at_recall, dataset, index_file, parse_rows, read_vecs, run, write_vecs

TARGET = 0.95


def bounded(v, exact, sign, spec):
    """v formatted, prefixed with sign (≥ or ≤) when it is a bound."""
    return 'n/a' if v is None else ('' if exact else sign) + format(v, spec)


def ratio_sign(num_exact, den_exact, num_sign):
    """The sign of num/den when num is bounded by num_sign and den by the opposite sense of the same kind."""
    if num_exact and den_exact:
        return ''
    if not num_exact and not den_exact:
        return '? '
    flip = {'≥': '≤', '≤': '≥'}
    return num_sign if not num_exact else flip[num_sign]


def verdict(value, sign, ok, good, bad):
    """good or bad by the predicate ok; a bound (sign ≥ or ≤) whose interval gives both answers is undetermined."""
    if sign == '? ':
        return 'undetermined'
    if sign and ok(value) != ok(float('inf') if sign == '≥' else float('-inf')):
        return 'undetermined'
    return good if ok(value) else bad


class Caliby:
    def __init__(self, exe, d):
        self.exe, self.d = exe, d

    def __call__(self, *args, **kw):
        return run([self.exe, *args, '--dir', self.d], **kw)

    def build(self, name, base, threads, create_args, labels=None):
        self('create', name, *create_args)
        t = time.perf_counter()
        extra = ['--labels', labels] if labels else []
        err = self('insert', name, base, '--threads', str(threads), *extra).stderr.strip()
        note = err.splitlines()[-1] if err else ''
        seconds = time.perf_counter() - t
        return seconds, os.path.getsize(index_file(self.exe, self.d, name)), note

    def search_gt(self, name, query, gt, k, params, extra=()):
        out = self('search', name, '--file', query, '--groundtruth', gt, '-k', str(k), *params,
                   '--format', 'tsv', *extra)
        return parse_rows(out.stdout)[0], out.stderr

    def repl(self, lines):
        script = ''.join(' '.join(shlex.quote(w) for w in line) + '\n' for line in lines)
        return run([self.exe, 'repl', '--dir', self.d, '--read-only', '--bail'], input=script).stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('data')
    ap.add_argument('--caliby', required=True)
    ap.add_argument('--threads', type=int, default=2, help='build threads')
    ap.add_argument('--R', type=int, default=64)
    ap.add_argument('--L', type=int, default=100)
    ap.add_argument('--alpha', type=float, default=1.2)
    ap.add_argument('--M', type=int, default=16)
    ap.add_argument('--efc', type=int, default=200)
    ap.add_argument('--Ls', default='10,15,20,30,50,100')
    ap.add_argument('--beam-widths', default='1,4')
    ap.add_argument('--efs', default='10,16,24,32,48,64,96')
    ap.add_argument('--pages-beam-widths', default='1,4', help='DiskANN beam widths for the pages table')
    ap.add_argument('--buffer-fraction', type=float, default=0.10)
    ap.add_argument('--labels', type=int, default=100)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--filter-Ls', default='10,20,30,50,100')
    ap.add_argument('--filter-beam-width', type=int, default=4)
    ap.add_argument('--postfilter-ks', default='1000,2000', help="k' of the unfiltered searches (L = k')")
    ap.add_argument('--skip', default='', help='comma-separated sections to skip: curves,pages,filter')
    a = ap.parse_args()
    skip = set(filter(None, a.skip.split(',')))

    base, query, gt, dim, n, nq = dataset(a.data)
    work = tempfile.mkdtemp(prefix='caliby-diskann-bench-')
    cal = Caliby(a.caliby, os.path.join(work, 'db'))
    ints = lambda s: [int(x) for x in s.split(',') if x]
    try:
        cal('init')
        # 1. Build.
        common = ['--dim', str(dim), '--max-elements', str(n)]
        da = cal.build('da', base, a.threads, ['--type', 'diskann', *common, '--R', str(a.R), '--L', str(a.L),
                                                '--alpha', str(a.alpha)])
        hn = cal.build('hn', base, a.threads, ['--type', 'hnsw', *common, '--M', str(a.M),
                                                '--ef-construction', str(a.efc)])
        version = run([a.caliby, '--version']).stdout.strip()
        print(f'## {version}: {n} × {dim} base, {nq} queries ({a.data}); build with {a.threads} threads\n')
        print('| index | parameters | build s (wall clock of insert) | file MB | caliby says |')
        print('|---|---|---|---|---|')
        print(f'| diskann | R {a.R}, L {a.L}, alpha {a.alpha} | {da[0]:.1f} | {da[1] / 1e6:.1f} | {da[2]} |')
        print(f'| hnsw | M {a.M}, efC {a.efc} | {hn[0]:.1f} | {hn[1] / 1e6:.1f} | {hn[2]} |', flush=True)

        if 'curves' not in skip:
            curves(a, cal, query, gt, ints)
        if 'pages' not in skip:
            pages(a, cal, query, gt, ints, da[1], hn[1])
        if 'filter' not in skip:
            filtered(a, cal, work, base, query, ints)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def curves(a, cal, query, gt, ints):
    print('\n## Recall@10 against QPS (1 search thread, --warmup; QPS from caliby --groundtruth)\n')
    print('| index | setting | recall@10 | QPS |')
    print('|---|---|---|---|')
    at95 = {}
    for bw in ints(a.beam_widths):
        pts = []
        for L in ints(a.Ls):
            row, _ = cal.search_gt('da', query, gt, 10, ['--L', str(L), '--beam-width', str(bw), '--warmup'])
            pts.append((float(row['recall']), float(row['qps'])))
            print(f'| diskann bw {bw} | L {L} | {pts[-1][0]:.4f} | {pts[-1][1]:.0f} |', flush=True)
        at95[f'diskann bw {bw}'] = at_recall(pts, TARGET)
    pts = []
    for ef in ints(a.efs):
        row, _ = cal.search_gt('hn', query, gt, 10, ['--ef', str(ef), '--warmup'])
        pts.append((float(row['recall']), float(row['qps'])))
        print(f'| hnsw | ef {ef} | {pts[-1][0]:.4f} | {pts[-1][1]:.0f} |', flush=True)
    at95['hnsw'] = at_recall(pts, TARGET)
    h, h_exact, _ = at95['hnsw']
    print(f'\n| index | QPS at recall@10 = {TARGET} | diskann / hnsw (target ≥ {1 / 1.2:.3f}) | how |')
    print('|---|---|---|---|')
    for name, (q, exact, note) in at95.items():
        cell = ''
        if name != 'hnsw':
            if q is None or h is None:
                cell = 'n/a'
            else:
                sign = ratio_sign(exact, h_exact, '≥')
                cell = f'{sign}{q / h:.3f} ' + verdict(q / h, sign, lambda r: r >= 1 / 1.2, '✓', '✗')
        print(f"| {name} | {bounded(q, exact, '≥', '.0f')} | {cell} | {note} |", flush=True)


STATS = re.compile(r'read (\d+) pages')


def pages(a, cal, query, gt, ints, da_bytes, hn_bytes):
    print(f'\n## Pages read per query, --buffer-size {a.buffer_fraction:.0%} of the index file (--stats, one cold '
          f'pass without --warmup: pages read / queries, buffer fill included)\n')
    print('| index | buffer MiB | setting | recall@10 | pages/query | QPS (cold pass) |')
    print('|---|---|---|---|---|---|')
    res = {}
    runs = [(f'diskann bw {bw}', 'da', da_bytes, '--L', ints(a.Ls), ['--beam-width', str(bw)])
            for bw in ints(a.pages_beam_widths)]
    for name, idx, size, flag, values, extra in runs + [('hnsw', 'hn', hn_bytes, '--ef', ints(a.efs), [])]:
        buf = max(64 * 1024, int(size * a.buffer_fraction))
        pts = []
        for v in values:
            row, err = cal.search_gt(idx, query, gt, 10, [flag, str(v), *extra],
                                     ['--stats', '--buffer-size', str(buf)])
            m = STATS.search(err)
            if not m:
                raise SystemExit(f'no page count in --stats output: {err!r}')
            per = int(m.group(1)) / int(row['queries'])
            pts.append((float(row['recall']), per))
            print(f"| {name} | {buf / 2**20:.1f} | {flag[2:]} {v} | {pts[-1][0]:.4f} | {per:.1f} | {float(row['qps']):.0f} |",
                  flush=True)
        res[name] = at_recall(pts, TARGET)
    print(f'\n| index | pages/query at recall@10 = {TARGET} | how |')
    print('|---|---|---|')
    for name, (p, exact, note) in res.items():
        print(f"| {name} | {bounded(p, exact, '≤', '.1f')} | {note} |")
    h, h_exact, _ = res['hnsw']
    print()
    for name, *_ in runs:
        d, d_exact, _ = res[name]
        if d is not None and h is not None:
            sign = ratio_sign(d_exact, h_exact, '≤')
            v = verdict(d / h, sign, lambda r: r < 1, '✓ diskann fewer', '✗ diskann not fewer')
            print(f'{name} / hnsw pages per query at recall {TARGET}: {sign}{d / h:.2f} ({v})', flush=True)


def filtered(a, cal, work, base, query, ints):
    rng = np.random.default_rng(a.seed)
    xb = read_vecs(base, np.float32)
    xq = read_vecs(query, np.float32)
    n, nq, k = len(xb), len(xq), 10
    lab = rng.integers(0, a.labels, n)
    counts = np.bincount(lab, minlength=a.labels)
    usable = np.flatnonzero(counts >= k)
    qlab = rng.choice(usable, nq)
    labels_file = os.path.join(work, 'labels.txt')
    with open(labels_file, 'w') as f:
        f.writelines(f'{l}\n' for l in lab)
    build_s, size, note = cal.build('lab', base, a.threads,
                                    ['--type', 'diskann', '--dim', str(xb.shape[1]), '--max-elements', str(n),
                                     '--R', str(a.R), '--L', str(a.L), '--alpha', str(a.alpha)], labels_file)
    # Filtered exact top-10: brute-force L2 over the points that carry the query's label.
    gt = np.empty((nq, k), dtype=np.int32)
    members = {l: np.flatnonzero(lab == l) for l in np.unique(qlab)}
    for i in range(nq):
        ids = members[qlab[i]]
        d = ((xb[ids].astype(np.float64) - xq[i].astype(np.float64)) ** 2).sum(1)
        gt[i] = ids[np.argsort(d, kind='stable')[:k]]
    # One query file and ground-truth file per label: --filter applies to a whole search.
    groups = []
    for l in np.unique(qlab):
        sel = np.flatnonzero(qlab == l)
        qf, gf = os.path.join(work, f'q{l}.fvecs'), os.path.join(work, f'gt{l}.ivecs')
        write_vecs(qf, xq[sel], np.float32)
        write_vecs(gf, gt[sel], np.int32)
        groups.append((l, len(sel), qf, gf))

    print(f'\n## Filtered search: {a.labels} labels, one per point (uniform, seed {a.seed}); each query one label '
          f'(uniform); labelled diskann index built in {build_s:.1f} s, {size / 1e6:.1f} MB ({note})\n')
    print(f'Timing: caliby\'s own timer. --filter: one `caliby repl --read-only` session, one `search --filter LABEL '
          f'--groundtruth --warmup` per label ({len(groups)} labels); time = Σ queries/QPS over the labels, '
          f'recall = query-weighted mean. Post-filter: QPS of the unfiltered k\' search (--groundtruth --warmup); '
          f'the label check on its hits (done here in Python) is not timed.\n')
    print('| method | setting | recall@10 | QPS | search s |')
    print('|---|---|---|---|---|')
    fpts = []
    for L in ints(a.filter_Ls):
        lines = [['search', 'lab', '--file', qf, '--groundtruth', gf, '-k', str(k), '--L', str(L),
                  '--beam-width', str(a.filter_beam_width), '--filter', str(l), '--warmup', '--format', 'tsv']
                 for l, _, qf, gf in groups]
        rows = parse_rows(cal.repl(lines))
        assert len(rows) == len(groups), (len(rows), len(groups))
        seconds = sum(int(r['queries']) / float(r['qps']) for r in rows)
        recall = sum(float(r['recall']) * int(r['queries']) for r in rows) / nq
        fpts.append((L, recall, nq / seconds))
        print(f'| --filter | L {L}, bw {a.filter_beam_width} | {recall:.4f} | {nq / seconds:.0f} | {seconds:.3f} |', flush=True)
    ppts = []
    for kk in ints(a.postfilter_ks):
        params = ['--L', str(kk), '--beam-width', str(a.filter_beam_width)]
        # caliby refuses a ground truth narrower than -k; only the QPS of this run is used (recall
        # comes from the label check below), so the true top 10 repeated to k' columns serves.
        wide = os.path.join(work, f'gt_filtered_{kk}.ivecs')
        write_vecs(wide, np.tile(gt, (1, -(-kk // gt.shape[1])))[:, :kk], np.int32)
        row, _ = cal.search_gt('lab', query, wide, kk, params + ['--warmup'])
        out = cal('search', 'lab', '--file', query, '-k', str(kk), *params, '--format', 'tsv').stdout
        hits = np.loadtxt(out.splitlines()[1:], dtype=np.int64, usecols=(0, 2), ndmin=2)
        found = 0
        for i, ids in enumerate(np.split(hits[:, 1], np.flatnonzero(np.diff(hits[:, 0])) + 1)):
            keep = ids[lab[ids] == qlab[i]][:k]
            found += len(np.intersect1d(keep, gt[i]))
        assert len(np.unique(hits[:, 0])) == nq
        recall, qps = found / (nq * k), float(row['qps'])
        ppts.append((kk, recall, qps))
        print(f"| post-filter | k' {kk}, L {kk}, bw {a.filter_beam_width} | {recall:.4f} | {qps:.0f} | {nq / qps:.3f} |",
              flush=True)

    q95, exact, note = at_recall([(r, q) for _, r, q in fpts], TARGET)
    best = max(r for _, r, _ in fpts)
    print(f"\n--filter: best recall@10 {best:.4f} ({'✓' if best >= TARGET else '✗'} target {TARGET}); "
          f"QPS at recall {TARGET}: {bounded(q95, exact, '≥', '.0f')} ({note})")
    for kk, r, q in ppts:
        match = next(((L, fr, fq) for L, fr, fq in fpts if fr >= r), None)
        if match is None:
            print(f"post-filter k' {kk} (recall {r:.4f}, {q:.0f} QPS): no --filter point reaches that recall")
        else:
            L, fr, fq = match
            print(f"post-filter k' {kk} (recall {r:.4f}, {q:.0f} QPS) vs --filter L {L} (recall {fr:.4f}, {fq:.0f} QPS): "
                  f"filtered {fq / q:.1f}× as fast {'✓' if fq > q else '✗'}")


if __name__ == '__main__':
    main()
