"""Time a full report rendering: every notebook for one quarter of the sample data.

    .venv/bin/python benchmarks/report.py [--jobs 2] [--lang en] [--repeat 1]

Builds a throw-away warehouse from data/samples (not timed), renders the latest quarter
into a temporary folder with ``cxlab.report.render`` and prints the wall time per
notebook and in total, plus the machine's load average (other processes share the cores).
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

from cxlab import io, report


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--lang", default="en")
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        wh = Path(tmp) / "warehouse.duckdb"
        io.build_sample_warehouse(wh, replace=True)
        print(f"{platform.python_version()} · {os.cpu_count()} cores · jobs={args.jobs} · lang={args.lang}")
        for i in range(args.repeat):
            load = os.getloadavg()[0]
            t0 = time.perf_counter()
            result = report.render("latest", warehouse=wh, out=Path(tmp) / "reports",
                                   lang=args.lang, jobs=args.jobs, progress=False)
            wall = time.perf_counter() - t0
            print(f"run {i + 1}: {result.quarter}, {len(result.sections)} notebooks, "
                  f"{wall:.1f} s wall (load average before: {load:.1f})")
            for s in result.sections:
                print(f"    {s.name:<18} {s.seconds:6.1f} s (execute + HTML)")


if __name__ == "__main__":
    main()
