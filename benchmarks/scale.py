"""A report from a warehouse many times the samples, next to the samples' report in the
same run.

    .venv/bin/python benchmarks/scale.py --times 170            # ≈ 1 M responses
    .venv/bin/python benchmarks/scale.py --times 1705 --only-aggregates   # ≈ 10 M
    .venv/bin/python benchmarks/scale.py --times 1705 --keep DIR   # build once, reuse

The large warehouse is built deterministically from the sample warehouse in DuckDB (not
timed against anything): every table is repeated ``--times`` times, each copy's ids
(``response_id``, ``client_id``, ``referred_by`` …) suffixed ``~k``, dates unchanged — the
sample generator's distributions, ``k`` times as many families in every quarter. Then it
times, in one run:

* the samples' report (the floor: the same notebooks on 5,865 responses) and the large
  warehouse's report, each rendered by ``cxlab.report.render`` (two kernels at a time);
  the peak memory is the largest resident set of any notebook kernel
  (``getrusage(RUSAGE_CHILDREN)``, measured in a child process per render);
* the history a report reads as aggregates (:mod:`cxlab.aggregates`) against loading
  every answer into pandas, as the report did before;
* with ``--ingest ROWS`` (instead of the rest), a cp1251 export of ROWS answers ingested
  by ``cxlab`` next to its floor (decoding to UTF-8, DuckDB ``read_csv``, the checks as
  SQL, the insert), and the same rows as Parquet;
* with ``--blas``, the penalty/reward bootstrap in two processes at once (two report
  kernels), BLAS threads left to their default and one each;
* with ``--diverse ROWS`` (instead of the rest), penalty/reward and key drivers on varied
  answers, where few clients share their answers (the copies above share them by
  construction): how many classes the bootstraps find, and the time.

Figures move 2–3× with the machine's load; compare the ratios within one run.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STUDY = ROOT / "data" / "samples" / "study.yml"
#: id columns of each table that name a family, an answer or an event: suffixed per copy
IDS = {
    "responses": ["response_id", "client_id"],
    "clients": ["client_id", "referred_by"],
    "visits": ["visit_id", "client_id"],
    "invitations": ["invitation_id", "client_id", "response_id"],
    "contacts": ["contact_id", "client_id"],
    "complaints": ["complaint_id", "client_id"],
}


def build(sample: Path, out: Path, times: int) -> dict[str, int]:
    """``out``: the sample warehouse with every table repeated ``times`` times."""
    import duckdb

    shutil.copyfile(sample, out)
    con = duckdb.connect(str(out))
    rows = {}
    try:
        for table, ids in IDS.items():
            cols = [r[0] for r in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                "ORDER BY ordinal_position", [table]).fetchall()]
            if not cols:
                continue
            sel = ", ".join(
                f"CASE WHEN {c} IS NULL THEN NULL WHEN k = 0 THEN {c} ELSE {c} || '~' || k END "
                f"AS {c}" if c in ids else c for c in cols)
            con.execute(f"CREATE TABLE _big AS SELECT {sel} FROM {table}, "
                        f"(SELECT range AS k FROM range({int(times)})) ORDER BY k")
            con.execute(f"DROP TABLE {table}")
            con.execute(f"ALTER TABLE _big RENAME TO {table}")
            rows[table] = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return rows


def counts(warehouse: Path) -> dict[str, int]:
    """Rows of each table of a warehouse :func:`build` made (one kept by ``--keep``)."""
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        have = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables")
                .fetchall()}
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in IDS if t in have}
    finally:
        con.close()


def _render(warehouse: str, out: str, queue) -> None:
    """In a child process: render, then report the wall time and the largest kernel."""
    from cxlab import report

    t0 = time.perf_counter()
    result = report.render("2026Q3", warehouse=warehouse, out=out, lang="en", jobs=2,
                           study=str(STUDY), progress=False)
    wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 ** 2  # KiB → GiB
    queue.put((wall, peak, [(s.name, s.seconds) for s in result.sections]))


def render(warehouse: Path, out: Path) -> tuple[float, float, list]:
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_render, args=(str(warehouse), str(out), q))
    p.start()
    res = q.get()
    p.join()
    return res


def history(warehouse: Path) -> None:
    """The history a report reads: aggregates against every answer in pandas."""
    import pandas as pd

    from cxlab import aggregates, io, metrics

    end = pd.Timestamp("2026-10-01")
    t0 = time.perf_counter()
    r = io.load("responses", warehouse)
    r = r.loc[r["submitted_at"] < end]
    rows_trend = metrics.nps_trend(r)
    t_rows = time.perf_counter() - t0
    mem = r.memory_usage(deep=True).sum() / 1024 ** 3
    del r
    t0 = time.perf_counter()
    agg_trend = metrics.nps_trend(aggregates.score_moments(warehouse, "nps", upto=end))
    t_agg = time.perf_counter() - t0
    pd.testing.assert_frame_equal(agg_trend, rows_trend, rtol=1e-12, check_dtype=False)
    print(f"  trend from every answer in pandas: {t_rows:6.1f} s ({mem:.2f} GiB of rows)")
    print(f"  trend from warehouse aggregates:   {t_agg:6.1f} s (same table to 1e-12); "
          f"ratio {t_rows / t_agg:.1f}")


_TWICE = """
import os, sys, time
os.environ["CXLAB_PROGRESS"] = "0"
from cxlab import asymmetry, report
d = report.load_quarter("2026Q3", sys.argv[1], sys.argv[2])
r = d.recent_responses(4)
t = time.perf_counter()
asymmetry.penalty_reward(r, study=d.study, labels="en", seed=0)
print(f"{time.perf_counter() - t:.1f}")
"""


def blas(warehouse: Path) -> None:
    """The penalty/reward bootstrap of the four-quarter window in two processes at once
    (as two report kernels run): BLAS threads left to their default, then one each."""
    import subprocess
    import sys

    for label, threads in (("default BLAS threads", None), ("OPENBLAS_NUM_THREADS=1", "1")):
        env = dict(os.environ)
        for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env.pop(k, None)
            if threads:
                env[k] = threads
        procs = [subprocess.Popen([sys.executable, "-c", _TWICE, str(warehouse), str(STUDY)],
                                  env=env, stdout=subprocess.PIPE, text=True)
                 for _ in range(2)]
        times = [p.communicate()[0].strip() for p in procs]
        print(f"  penalty/reward, two processes at once, {label}: {' s, '.join(times)} s")


def diverse(n: int) -> None:
    """Penalty/reward and key drivers on ``n`` answers of ``n // 2`` families whose
    answers vary as a real survey's do (eight correlated 1–5 ratings, a 0–10 score, three
    channels), not copies of the samples' families: how many classes of equal clients
    the bootstraps find (:mod:`cxlab._resample`), which way a resample is drawn, and the
    time."""
    import numpy as np
    import pandas as pd

    from cxlab import _resample, asymmetry, drivers
    from cxlab.study import parse_study

    os.environ["CXLAB_PROGRESS"] = "0"
    rng = np.random.default_rng(0)
    fam = rng.integers(0, n // 2, size=n)
    p = 8
    z = 0.6 * rng.normal(size=(n // 2, 1))[fam] + 0.8 * rng.normal(size=(n, p))
    ratings = np.clip(np.round(3.6 + 1.1 * z), 1, 5)
    score = np.clip(np.round(7 + z @ np.linspace(0.9, 0.1, p) + rng.normal(size=n)), 0, 10)
    cols = [f"f_{chr(97 + i)}" for i in range(p)]
    df = pd.DataFrame(ratings, columns=cols).assign(
        nps=score, client_id=pd.array([f"C{c}" for c in fam], dtype="string"),
        channel=rng.choice(["phone", "web", "messenger"], size=n))
    study = parse_study({"factors": {c[2:]: {"scale": "1-5"} for c in cols}})
    seen = {}
    real = _resample.client_classes

    def spy(pid, clus, k):
        out = real(pid, clus, k)
        seen["pr"] = (len(out[1]), k)
        return out

    _resample.client_classes = spy
    try:
        t0 = time.perf_counter()
        asymmetry.penalty_reward(df, study=study, seed=0)
        t_pr = time.perf_counter() - t0
    finally:
        _resample.client_classes = real
    t0 = time.perf_counter()
    drivers.key_drivers(df, study=study, seed=0, n_boot=500)
    t_kd = time.perf_counter() - t0
    k, clients = seen["pr"]
    how = "class totals drawn" if k * _resample.DIRECT <= clients else "every client drawn"
    print(f"  {n:,} varied answers: penalty/reward {t_pr:.1f} s ({k:,} classes of equal "
          f"clients of {clients:,}: {how}), key drivers (500 resamples) {t_kd:.1f} s")


def _child(fn, *args):
    """Run ``fn(*args)`` in a fresh process; its seconds and its own peak memory (GiB)."""
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_measure, args=(fn, args, q))
    p.start()
    res = q.get()
    p.join()
    return res


def _measure(fn, args, q) -> None:
    os.environ["CXLAB_PROGRESS"] = "0"
    t0 = time.perf_counter()
    fn(*args)
    q.put((time.perf_counter() - t0, _own_peak()))


def _own_peak() -> float:
    """This process's peak resident memory (GiB): ``VmHWM``, which starts afresh with the
    process's own memory. (``ru_maxrss`` does not: Linux carries it across the exec that
    starts a spawned child, so a child of a parent holding 5 GB reported 5 GB.)"""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024 ** 2
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2


def _cxlab_ingest(path: str, warehouse: str) -> None:
    from cxlab import io

    io.ingest([Path(path)], warehouse=warehouse, study=STUDY)


def _floor_ingest(path: str, warehouse: str) -> None:
    """The floor: decode the cp1251 file to UTF-8, let DuckDB read it, check it (ranges,
    codes, dates, duplicate ids) and insert it — what any ingest has to do at least."""
    import duckdb

    utf8 = Path(warehouse).with_suffix(".utf8.csv")
    with open(path, encoding="cp1251", newline="") as src, \
            open(utf8, "w", encoding="utf-8", newline="") as dst:
        while chunk := src.read(1 << 24):
            dst.write(chunk)
    con = duckdb.connect(warehouse)
    con.execute(f"CREATE TABLE raw AS SELECT * FROM read_csv('{utf8}', delim=';', header=true, "
                "all_varchar=true)")
    factors = [c for c in con.execute("SELECT * FROM raw LIMIT 0").fetchdf().columns
               if c.startswith("f_")]
    checks = con.execute(
        "SELECT count(*) FILTER (WHERE try_cast(nps AS INTEGER) NOT BETWEEN 0 AND 10), "
        "count(*) FILTER (WHERE try_cast(csat AS INTEGER) NOT BETWEEN 1 AND 5), "
        + "".join(f"count(*) FILTER (WHERE {f} <> '' AND try_cast({f} AS INTEGER) NOT BETWEEN 1 AND 5), "
                  for f in factors)
        + "count(*) FILTER (WHERE channel NOT IN ('phone', 'messenger', 'web')), "
        "count(*) FILTER (WHERE try_strptime(submitted_at, '%d.%m.%Y %H:%M') IS NULL), "
        "count(*) - count(DISTINCT response_id) FROM raw").fetchone()
    assert not any(checks), checks
    con.execute(
        "CREATE TABLE responses AS SELECT response_id, client_id, "
        "strptime(submitted_at, '%d.%m.%Y %H:%M') AS submitted_at, channel, survey, programme, "
        "CAST(nps AS INTEGER) AS nps, CAST(csat AS INTEGER) AS csat, "
        + "".join(f"CAST(nullif({f}, '') AS INTEGER) AS {f}, " for f in factors)
        + "nullif(comment, '') AS comment FROM raw")
    con.execute("DROP TABLE raw")
    con.close()
    utf8.unlink()


def _floor_parquet(path: str, warehouse: str) -> None:
    """The floor for Parquet: DuckDB reads the file into a table, nothing checked."""
    import duckdb

    con = duckdb.connect(warehouse)
    con.execute(f"CREATE TABLE responses AS SELECT * FROM read_parquet('{path}')")
    con.close()


def ingest(rows: int, tmp: Path, keep: Path | None = None) -> None:
    """``rows`` answers as a cp1251 ``;`` export (benchmarks/ingest.py's), ingested by
    ``cxlab`` and by the floor, and as Parquet by ``cxlab`` and by its floor; each in its
    own process. ``keep``: a folder where the export is kept and reused."""
    import duckdb

    from ingest import synthetic_export

    csv = (keep or tmp) / f"responses_{rows}.csv"
    if not csv.exists():
        synthetic_export(rows, csv)
    secs, peak = _child(_cxlab_ingest, str(csv), str(tmp / "a.duckdb"))
    fsecs, fpeak = _child(_floor_ingest, str(csv), str(tmp / "floor.duckdb"))
    print(f"  ingest {rows:,} rows, cp1251 CSV ({csv.stat().st_size / 1e6:.0f} MB): cxlab "
          f"{secs:.1f} s ({peak:.2f} GiB) · floor {fsecs:.1f} s ({fpeak:.2f} GiB) · ratio "
          f"{secs / fsecs:.2f}")
    pq = tmp / "responses.parquet"
    con = duckdb.connect(str(tmp / "floor.duckdb"))
    con.execute(f"COPY responses TO '{pq}' (FORMAT parquet)")
    con.close()
    psecs, ppeak = _child(_cxlab_ingest, str(pq), str(tmp / "b.duckdb"))
    fsecs, fpeak = _child(_floor_parquet, str(pq), str(tmp / "pfloor.duckdb"))
    print(f"  ingest {rows:,} rows, Parquet: cxlab {psecs:.1f} s ({ppeak:.2f} GiB) · floor "
          f"{fsecs:.1f} s ({fpeak:.2f} GiB) · ratio {psecs / fsecs:.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--times", type=int, default=170)
    ap.add_argument("--only-aggregates", action="store_true",
                    help="skip the two report renderings")
    ap.add_argument("--ingest", type=int, default=0, metavar="ROWS",
                    help="only time the ingest of ROWS answers (CSV and Parquet) against "
                         "its floor")
    ap.add_argument("--keep", type=Path, default=None, metavar="DIR",
                    help="keep the large warehouse (with --ingest: the generated export) "
                         "in DIR and reuse it in later runs")
    ap.add_argument("--blas", action="store_true",
                    help="also time the penalty/reward bootstrap in two processes at once, "
                         "BLAS threads by default and one each")
    ap.add_argument("--diverse", type=int, default=0, metavar="ROWS",
                    help="only time penalty/reward and key drivers on ROWS varied answers "
                         "(and count their classes of equal clients)")
    ap.add_argument("--no-aggregates", action="store_true",
                    help="skip the aggregates' timing (e.g. to render with an older cxlab "
                         "on PYTHONPATH, for a before/after ratio)")
    args = ap.parse_args()
    from cxlab import io

    with tempfile.TemporaryDirectory(dir=os.environ.get("CXLAB_BENCH_TMP")) as tmp:
        tmp = Path(tmp)
        if args.diverse:
            diverse(args.diverse)
            return
        if args.ingest:
            import sys

            sys.path.insert(0, str(Path(__file__).parent))
            ingest(args.ingest, tmp, args.keep)
            return
        sample = tmp / "samples.duckdb"
        io.build_sample_warehouse(sample, replace=True)
        big = (args.keep or tmp) / f"big{args.times}.duckdb"
        t0 = time.perf_counter()
        if args.keep and big.exists():
            rows = counts(big)
            how = "reused"
        else:
            part = big.with_name(big.name + ".part")  # a cut-off build is never reused
            rows = build(sample, part, args.times)
            part.replace(big)
            how = f"built in {time.perf_counter() - t0:.0f} s"
        print(f"{os.cpu_count()} cores · load average {os.getloadavg()[0]:.1f} · ×"
              f"{args.times} {how}: " + ", ".join(f"{k} {v:,}" for k, v in rows.items()))
        if not args.no_aggregates:
            history(big)
        if args.blas:
            blas(big)
        if args.only_aggregates:
            return
        for name, wh in (("samples", sample), (f"×{args.times}", big)):
            wall, peak, sections = render(wh, tmp / f"reports-{name}")
            print(f"  report {name:>6}: {wall:6.1f} s, largest kernel {peak:.2f} GiB · "
                  + ", ".join(f"{n} {s:.1f}" for n, s in sections))


if __name__ == "__main__":
    main()
