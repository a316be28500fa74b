"""Metrics at the design scale: 10 million responses in memory on the 2-core machine.

Run: .venv/bin/python benchmarks/metrics.py   (results: benchmarks/README.md, "Metrics")
"""

import time

import numpy as np
import pandas as pd

from cxlab import metrics, quality

N = 10_000_000


def timed(name, f):
    t = time.perf_counter()
    f()
    print(f"| {name} | {time.perf_counter() - t:.2f} |")


def main(n: int = N) -> None:
    rng = np.random.default_rng(0)
    t = time.perf_counter()
    df = pd.DataFrame({
        "nps": pd.array(rng.integers(0, 11, n), dtype="Int64"),
        "channel": pd.Series(rng.choice(np.array(["phone", "messenger", "web"]), n), dtype="string"),
        "survey": pd.Series(rng.choice(np.array(["periodic", "lapsed"]), n), dtype="string"),
        "submitted_at": pd.Timestamp("2024-10-01") + pd.to_timedelta(rng.integers(0, 730, n), unit="D"),
        "interviewer_id": pd.Series(rng.choice(np.array([f"I{i:02d}" for i in range(20)]), n),
                                    dtype="string"),
        "csat": pd.array(rng.integers(0, 101, n), dtype="Int64"),  # a 0–100 slider
    })
    print(f"built {n:,} synthetic responses in {time.perf_counter() - t:.1f} s\n")
    print("| operation | seconds |\n|---|---|")
    timed("nps (pooled on purpose)", lambda: metrics.nps(df, pool_channels=True))
    timed("nps, bootstrap interval", lambda: metrics.nps(df, ci="bootstrap", pool_channels=True))
    timed("nps_table by survey (× channel)", lambda: metrics.nps_table(df, by="survey"))
    timed("nps_trend (quarter × channel)", lambda: metrics.nps_trend(df))
    timed("compare_groups, combined strata",
          lambda: metrics.compare_groups(df, groups={"lapsed": df.survey == "lapsed"},
                                         combine_strata=True))
    timed("interviewer_flags", lambda: quality.interviewer_flags(df))
    timed("csi_table by survey (× channel), 0–100 scale",
          lambda: metrics.csi_table(df, by="survey", scale="0-100"))


if __name__ == "__main__":
    main()
