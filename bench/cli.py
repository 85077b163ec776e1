"""Running the caliby binary from the benchmark scripts (one place for how a command is run and
how a failure is reported)."""
import subprocess
import time


def call(cmd):
    """Runs one caliby command: (completed process, wall seconds). A failure raises with caliby's
    message, which stops that engine's part of a benchmark."""
    t = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if p.returncode != 0:
        raise RuntimeError(f'{" ".join(cmd)} exited {p.returncode}: {p.stderr.strip()[:2000]}')
    return p, wall
