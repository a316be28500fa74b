"""Time the quarter-wide disclosure audit next to the rendering it is part of.

    .venv/bin/python benchmarks/disclosure.py [--lang en] [--repeat 3]

Builds a throw-away warehouse from data/samples (not timed), renders the latest quarter
(notebooks, ledgers, audit, export), then re-runs :func:`cxlab.disclosure.audit` on the
run's ledgers ``--repeat`` times. Prints the audit's share of the render and its size:
published figures, small counts checked, linear programs solved, figures hidden to
protect them. The floor, measured in the same run, is the render itself (the audit can
only add to it).
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

from cxlab import disclosure, io, report


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lang", default="en")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        wh = Path(tmp) / "warehouse.duckdb"
        io.build_sample_warehouse(wh, replace=True)
        out = Path(tmp) / "reports"
        print(f"{platform.python_version()} · {os.cpu_count()} cores · lang={args.lang} · "
              f"load average {os.getloadavg()[0]:.1f}")
        t0 = time.perf_counter()
        result = report.render("latest", warehouse=wh, out=out, lang=args.lang, progress=False)
        render = time.perf_counter() - t0
        work = report.analyst_folder(out) / result.quarter / args.lang
        records = disclosure.read_ledgers(sorted(work.glob("*" + report.LEDGER_SUFFIX)))
        solved = 0
        bounds = disclosure._Problem.bounds

        def counting(self, *a, **kw):
            nonlocal solved
            solved += 2  # a minimum and a maximum
            return bounds(self, *a, **kw)

        disclosure._Problem.bounds = counting
        times = []
        try:
            for _ in range(args.repeat):
                solved = 0
                t0 = time.perf_counter()
                audit = disclosure.audit(records, 5)
                times.append(time.perf_counter() - t0)
        finally:
            disclosure._Problem.bounds = bounds
        best = min(times)
        print(f"render of {result.quarter} (6 notebooks, audit included): {render:.1f} s")
        print(f"audit alone: best {best:.2f} s of {args.repeat} "
              f"({100 * best / render:.0f} % of the render)")
        print(f"{len(records)} published figures · {audit.checked} small counts checked · "
              f"{solved} linear programs · {audit.secondary} figures hidden to protect them")


if __name__ == "__main__":
    main()
