"""`connect-gateway` with tracemalloc on, for benchmarks/soak.py: the same command line, in
one process; SIGUSR1 writes a snapshot of what is allocated now to the next
`<SOAK_SNAPSHOTS>/<pid>-<n>.snapshot` (tracemalloc.Snapshot.dump).

    TRACEMALLOC_FRAMES=1 SOAK_SNAPSHOTS=/tmp/s python benchmarks/traced_serve.py serve ...

tracemalloc rather than memray: it is in the standard library (nothing to install on the
machine under test), its snapshots compare by allocation site in a few lines
(`Snapshot.compare_to`), and the growth the soak looks for is Python objects kept alive,
which it sees; memray would add native allocations, not the question here.
"""

from __future__ import annotations

import itertools
import os
import signal
import sys
import tracemalloc
from pathlib import Path
from types import FrameType


def main() -> int:
    tracemalloc.start(int(os.environ.get("TRACEMALLOC_FRAMES", "1")))
    folder = Path(os.environ["SOAK_SNAPSHOTS"])
    folder.mkdir(parents=True, exist_ok=True)
    numbers = itertools.count(1)

    def snapshot(_signal: int, _frame: FrameType | None) -> None:
        path = folder / f"{os.getpid()}-{next(numbers)}.snapshot"
        tracemalloc.take_snapshot().dump(str(path.with_suffix(".partial")))
        path.with_suffix(".partial").rename(path)  # whole, or not there

    signal.signal(signal.SIGUSR1, snapshot)
    from gateway.cli import main as cli

    return cli(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
