"""What the bench scripts share: a TEXMEX data set directory (base.fvecs, query.fvecs,
groundtruth.ivecs), .fvecs/.ivecs reading and writing, running caliby and reading its TSV rows,
dropping index files from the OS page cache, reading a value off a recall curve.
The scripts run as `python bench/NAME.py`, so `import texmex` finds this file beside them."""
import os, struct, subprocess


def run(cmd, **kw):
    """Runs a command to completion; raises with its output when it fails."""
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def dataset(directory):
    """(base, query, groundtruth paths, dimensions, base vectors, queries) of a TEXMEX directory."""
    base, query, gt = (os.path.join(directory, f) for f in ('base.fvecs', 'query.fvecs', 'groundtruth.ivecs'))
    with open(base, 'rb') as f:
        dim = struct.unpack('<i', f.read(4))[0]
    return base, query, gt, dim, os.path.getsize(base) // (4 + 4 * dim), os.path.getsize(query) // (4 + 4 * dim)


def evict(directories):
    """Drops every file of `directories` from the OS page cache."""
    for d in directories:
        for name in os.listdir(d):
            fd = os.open(os.path.join(d, name), os.O_RDONLY)
            try:
                os.fdatasync(fd)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def read_vecs(path, dtype):
    """All rows of an .fvecs (dtype float32) or .ivecs (int32) file, as a numpy array."""
    import numpy as np
    raw = np.fromfile(path, dtype=dtype)
    dim = raw[:1].view(np.int32)[0]
    return raw.reshape(-1, dim + 1)[:, 1:]


def write_vecs(path, x, dtype):
    import numpy as np
    x = np.asarray(x, dtype=dtype)
    out = np.empty((x.shape[0], x.shape[1] + 1), dtype=dtype)
    out[:, :1].view(np.int32)[:] = x.shape[1]
    out[:, 1:] = x
    out.tofile(path)


def parse_rows(tsv):
    """The data rows of one or more caliby TSV outputs (each with its header row), as dicts."""
    rows, header = [], None
    for line in tsv.strip().splitlines():
        cells = line.split('\t')
        if header is None or cells == header or cells[0] == 'k':
            header = cells
        else:
            rows.append(dict(zip(header, cells)))
    return rows


def index_file(caliby, directory, name):
    """The page file of index `name`, as `caliby info` reports it."""
    out = run([caliby, 'info', name, '--dir', directory, '--format', 'tsv']).stdout
    return dict(line.split('\t', 1) for line in out.strip().splitlines()[1:])['file']


def at_recall(points, target):
    """points: [(recall, value)] in curve order. Linear interpolation of value at recall = target between
    the first two consecutive points that bracket it: (value, exact, note). When the first point is already
    at or above target, its value stands in with exact False (a bound: the cheapest setting measured)."""
    for (r0, v0), (r1, v1) in zip(points, points[1:]):
        if r0 < target <= r1:
            return v0 + (v1 - v0) * (target - r0) / (r1 - r0), True, f'interpolated between recall {r0:.4f} and {r1:.4f}'
    if points and points[0][0] >= target:
        return points[0][1], False, f'cheapest setting already at recall {points[0][0]:.4f}: its value, a bound'
    return None, False, f'never reaches {target} (best {max(r for r, _ in points):.4f})'
