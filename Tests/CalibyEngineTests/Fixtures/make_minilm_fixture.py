#!/usr/bin/env python3
"""Writes minilm-base.i8 and minilm-query.i8: real 384-d sentence embeddings for RealEmbeddingTests.

The source is the man-page set ../shared/bench/embed.py makes (all-MiniLM-L6-v2 over man-page
sentences; base.fvecs and query.fvecs). Each file keeps the first N vectors, quantized to int8
with one scale per file so the fixture stays a few hundred KB:

    magic "CLBI8V01" | count u32 | dimensions u32 | scale f32 | count*dimensions int8

component = int8 * scale. The vectors are unit length (the model normalizes); the int8 rounding
moves each by under 1 %, which leaves the neighbourhoods real-shaped, not identical.

usage: make_minilm_fixture.py BASE.fvecs QUERY.fvecs [OUT_DIR]
"""
import struct
import sys
from pathlib import Path

import numpy as np


def read_fvecs(path, count):
    raw = np.fromfile(path, dtype=np.int32)
    dims = raw[0]
    return raw.reshape(-1, dims + 1)[:count, 1:].view(np.float32).copy()


def write(path, vectors):
    scale = float(np.abs(vectors).max()) / 127.0
    codes = np.clip(np.rint(vectors / scale), -127, 127).astype(np.int8)
    with open(path, 'wb') as f:
        f.write(b'CLBI8V01' + struct.pack('<IIf', len(vectors), vectors.shape[1], scale) + codes.tobytes())


def main():
    base, query = sys.argv[1], sys.argv[2]
    out = Path(sys.argv[3] if len(sys.argv) > 3 else Path(__file__).parent)
    write(out / 'minilm-base.i8', read_fvecs(base, 1100))
    write(out / 'minilm-query.i8', read_fvecs(query, 100))


if __name__ == '__main__':
    main()
