"""Ingest and load timing on synthetic responses (the DESIGN target is 10 million
responses on a 2-core machine).

    .venv/bin/python benchmarks/ingest.py [--rows 1000000] [--keep DIR]

Writes a cp1251, ';'-separated export with dd.mm.yyyy dates and 8 factor columns (the
format a Russian survey tool produces), then times: validating the file (read),
ingesting it into a fresh warehouse, re-ingesting it (idempotent: 0 rows added),
loading all rows back typed, loading one quarter, and a per-channel NPS pushed down to
DuckDB (headline). Results are printed as a Markdown table for benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from cxlab import io
from cxlab.paths import SAMPLE_STUDY

FACTORS = ["f_teacher_attention", "f_child_enjoyment", "f_teacher_feedback", "f_safety",
           "f_price_value", "f_schedule", "f_booking_ease", "f_cleanliness"]


def synthetic_export(n: int, path: Path, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2024-10-01").value // 10**9
    end = pd.Timestamp("2026-09-30 23:59").value // 10**9
    ts = pd.to_datetime(rng.integers(start, end, n), unit="s")
    df = pd.DataFrame({
        "response_id": np.char.add("R", np.arange(n).astype(str)),
        "client_id": np.char.add("C", rng.integers(0, max(n // 5, 1), n).astype(str)),
        "submitted_at": ts.strftime("%d.%m.%Y %H:%M"),
        "channel": rng.choice(["phone", "messenger", "web"], n),
        "survey": rng.choice(["first_lesson", "periodic", "after_camp", "lapsed"], n),
        "programme": rng.choice(["workshop", "hike", "camp"], n),
        "nps": rng.integers(0, 11, n),
        "csat": rng.integers(1, 6, n),
    })
    for f in FACTORS:
        vals = rng.integers(1, 6, n).astype(str).astype(object)
        vals[rng.random(n) < 0.1] = ""  # not applicable
        df[f] = vals
    df["comment"] = np.where(rng.random(n) < 0.2, "Всё понравилось, спасибо", "")
    df.to_csv(path, sep=";", index=False, encoding="cp1251")


def timed(label, fn, results):
    t0 = time.perf_counter()
    out = fn()
    results.append((label, time.perf_counter() - t0))
    print(f"{label:<45} {results[-1][1]:8.2f} s", flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--keep", type=Path, default=None, help="work directory to keep")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="cxlab-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    export = work / "responses.csv"
    wh = work / "warehouse.duckdb"
    for p in (wh, Path(str(wh) + ".wal")):
        p.unlink(missing_ok=True)
    results: list[tuple[str, float]] = []
    if not export.exists() or args.keep is None:
        timed("write synthetic export (not cxlab)", lambda: synthetic_export(args.rows, export),
              results)
    size_mb = export.stat().st_size / 1e6
    df = timed("read + validate (io.read)", lambda: io.read(export, study=SAMPLE_STUDY), results)
    assert len(df) == args.rows
    # the same export as a survey tool writes it, without response ids: cxlab makes them
    # from each row's content (stable on re-ingest), the extra cost measured here
    no_ids = work / "responses_no_ids.csv"
    df.drop(columns="response_id").assign(
        submitted_at=df["submitted_at"].dt.strftime("%d.%m.%Y %H:%M")).to_csv(
        no_ids, sep=";", index=False, encoding="cp1251")
    del df
    gen = timed("read + validate, ids generated (no response_id)",
                lambda: io.read(no_ids, study=SAMPLE_STUDY), results)
    assert gen["response_id"].is_unique and len(gen) == args.rows
    del gen
    added = timed("ingest into a new warehouse (io.ingest)", lambda: io.ingest([export], warehouse=wh, study=SAMPLE_STUDY),
                  results)
    assert added == {"responses": args.rows}
    again = timed("re-ingest the same file (adds 0)", lambda: io.ingest([export], warehouse=wh, study=SAMPLE_STUDY),
                  results)
    assert again == {"responses": 0}
    rows = timed("load all rows typed (io.load)", lambda: io.load("responses", wh), results)
    assert len(rows) == args.rows
    del rows
    q = timed("load one quarter (io.load quarter=2026Q3)",
              lambda: io.load("responses", wh, quarter="2026Q3"), results)
    timed("NPS per channel, SQL pushdown (io.query)", lambda: io.query(
        "SELECT channel, count(nps) AS n, 100.0 * (count(*) FILTER (WHERE nps >= 9) - "
        "count(*) FILTER (WHERE nps <= 6)) / count(nps) AS nps FROM responses "
        "WHERE submitted_at >= DATE '2026-07-01' AND submitted_at < DATE '2026-10-01' "
        "GROUP BY channel", wh), results)
    print()
    print(f"{args.rows:,} responses, export {size_mb:.0f} MB, warehouse "
          f"{wh.stat().st_size / 1e6:.0f} MB; {os.cpu_count()} CPUs, {platform.python_version()}, "
          f"quarter rows {len(q):,}")
    print("| step | seconds |\n|---|---|")
    for label, sec in results:
        print(f"| {label} | {sec:.1f} |")


if __name__ == "__main__":
    main()
