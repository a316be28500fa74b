"""Timing of cxlab.complaints.working_hours on many complaints (vectorised numpy).

Run: .venv/bin/python benchmarks/complaints_working_hours.py [n_rows]
Prints rows, seconds (best of 3) and rows per second, for the default calendar and
the study's calendar (WorkCalendar.from_study: the sample study's is Russia's public
holidays 2000–2040 from the holidays package and the transferred working Saturdays).

Recorded 2026-11-22 on the shared 2-core project machine (other jobs running), with the
hand-made Russian list of 2024–2026 that the study calendar replaced:
    default  rows=1,000,000 best_of_3=0.172s rows_per_s=5,798,546
    russia   rows=1,000,000 best_of_3=0.345s rows_per_s=2,897,274
Re-recorded 2026-11-30 on the same machine, quieter (load ~1.3), with the sample study's
calendar (529 holidays over 2000–2040: the longer list does not slow the numpy
business-day calendar down):
    default  rows=1,000,000 best_of_3=0.066s rows_per_s=15,133,801
    study    rows=1,000,000 best_of_3=0.182s rows_per_s=5,486,635
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

from cxlab.complaints import WorkCalendar, working_hours


def main(n: int = 1_000_000) -> None:
    rng = np.random.default_rng(1)
    start = pd.Timestamp("2024-01-01") + pd.to_timedelta(
        rng.integers(0, 3 * 365 * 1440, n), unit="min")
    end = start + pd.to_timedelta(rng.integers(0, 20 * 1440, n), unit="min")
    start, end = pd.Series(start), pd.Series(end)
    for name, cal in (("default", WorkCalendar()), ("study", WorkCalendar.from_study())):
        best = np.inf
        for _ in range(3):
            t0 = time.perf_counter()
            working_hours(start, end, cal)
            best = min(best, time.perf_counter() - t0)
        print(f"{name:8s} rows={n:,} best_of_3={best:.3f}s rows_per_s={n / best:,.0f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
