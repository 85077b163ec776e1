# Ground truths for the man20k runs of BENCHMARKS.md, "Growth and compaction":
# half.ivecs: the 100 nearest (cosine) among even rows; reuse.ivecs: the original truth with odd
# rows renamed 20000 + row (they are re-inserted under those ids); odd.fvecs: the odd rows;
# first/second.fvecs: rows 0..<10000 and 10000..<20000 (resize). usage: growth_truth.py [DIR]
import numpy as np
import os, sys
D = os.environ.get("MAN20K", "/work/bench-data/man20k") + "/"
R = sys.argv[1] if len(sys.argv) > 1 else "/tmp/rz"
def fvecs(p):
    a = np.fromfile(p, dtype=np.int32); d = a[0]; return a.reshape(-1, d + 1)[:, 1:].view(np.float32)
def ivecs(p):
    a = np.fromfile(p, dtype=np.int32); d = a[0]; return a.reshape(-1, d + 1)[:, 1:]
def write_ivecs(p, m):
    out = np.empty((m.shape[0], m.shape[1] + 1), dtype=np.int32); out[:, 0] = m.shape[1]; out[:, 1:] = m; out.tofile(p)
def write_fvecs(p, m):
    out = np.empty((m.shape[0], m.shape[1] + 1), dtype=np.float32); out[:, 1:] = m; out.view(np.int32)[:, 0] = m.shape[1]; out.tofile(p)
base, query, gt = fvecs(D + "base.fvecs"), fvecs(D + "query.fvecs"), ivecs(D + "groundtruth.ivecs")
b = base / np.linalg.norm(base, axis=1, keepdims=True); q = query / np.linalg.norm(query, axis=1, keepdims=True)
even = np.arange(0, len(base), 2)
sims = q @ b[even].T
write_ivecs(R + "/half.ivecs", even[np.argsort(-sims, axis=1)[:, :100]].astype(np.int32))
write_ivecs(R + "/reuse.ivecs", np.where(gt % 2 == 1, gt + 20000, gt).astype(np.int32))
write_fvecs(R + "/odd.fvecs", base[1::2])
open(R + "/odd.ids", "w").write("".join(f"{20000 + r}\n" for r in range(1, len(base), 2)))
open(R + "/oddold.ids", "w").write("".join(f"{r}\n" for r in range(1, len(base), 2)))
raw = np.fromfile(D + "base.fvecs", dtype=np.int32).reshape(len(base), -1)
raw[:10000].tofile(R + "/first.fvecs"); raw[10000:].tofile(R + "/second.fvecs")
open(R + "/second.ids", "w").write("".join(f"{i}\n" for i in range(10000, len(base))))
print(base.shape, query.shape, gt.shape)
