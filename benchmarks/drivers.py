"""Benchmark: exact Shapley (LMG) importance vs the per-subset OLS refit peers use.

Run from the project root::

    .venv/bin/python benchmarks/drivers.py            # the table in benchmarks/README.md
    .venv/bin/python benchmarks/drivers.py --quick    # 10 and 15 factors only
    .venv/bin/python benchmarks/drivers.py --survey   # key_drivers on a survey tool's export
    .venv/bin/python benchmarks/drivers.py --batched  # the bootstrap's kernel: batched vs loop

Each case runs in a fresh child process (so peak memory is its own):

- ``shapley``: :func:`cxlab._shapley.shapley_r2` on the correlation matrix of synthetic
  data (n rows, p correlated factors, a target); the best of ``--repeat`` runs after a
  warm-up call (numba compiles, or loads its cache, on the first call; that time is
  reported separately). ``relative_importance`` adds the correlation matrix of the rows.
- ``refit``: what other tools do: for each of the 2^p subsets of factors, refit OLS
  (``numpy.linalg.lstsq`` on ``[1, X_S]``) to get its R², then combine the R² values into
  Shapley values. Both results are compared (max absolute difference).

``--survey`` times :func:`cxlab.drivers.key_drivers` end to end on what a survey tool
exports: 23 items on 0–100 sliders, each skipped by 15 % of the respondents (pairwise
correlations), 3,000 responses, for 0, 50 and 500 bootstrap resamples (the reports use
500).

Peak memory is the child's peak resident set size (``resource.getrusage``) after the
timed call (imports included: numpy, and numba for the exact method; pandas is imported
only after the measurement), and its increase over the peak before the call: what the
computation itself needed.

``--batched`` times the bootstrap's kernel, :func:`cxlab._shapley.shapley_r2_many` (the
subset tree walked once per block of problems, blocks on threads), against the floor it
replaced, the single-problem kernel :func:`cxlab._shapley.shapley_r2` called once per
problem, in one process and on the same matrices: ``--resamples`` bootstrap resamples of
5,000 synthetic answers (the correlation matrix of each), for 15, 20 and 25 factors. Where
the loop would take long (``--loop-max``), it runs on the first problems only and its
time is extrapolated per problem (the table says so). Both results are compared (max
absolute difference). The batched kernel is also timed on one thread, and at other block
sizes with ``--blocks``; numba's first call (compile with an empty cache, in a child
process, and the cache load here) is reported apart. ``--e2e`` adds
:func:`cxlab.drivers.key_drivers` end to end at 25 items, 5,000 answers, 500 resamples.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import subprocess
import sys
import time

import numpy as np

N_ROWS = 1000
SEED = 20261122


def _data(p: int, n: int = N_ROWS, seed: int = SEED):
    """n rows of p correlated factors (one common component) and a target."""
    rng = np.random.default_rng(seed + p)
    common = rng.normal(size=(n, 1))
    X = 0.6 * common + 0.8 * rng.normal(size=(n, p))
    beta = rng.uniform(0.0, 1.0, size=p)
    y = X @ beta + 2.0 * rng.normal(size=n)
    return X, y


def _rss_mb() -> float:
    # ru_maxrss is in KiB on Linux, bytes on macOS
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r / 1024 / (1024 if sys.platform == "darwin" else 1)


def _refit_shapley(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per-subset OLS refit: 2^p lstsq fits, then the Shapley weighting."""
    n, p = X.shape
    yc = y - y.mean()
    sst = yc @ yc
    ones = np.ones((n, 1))
    r2 = np.zeros(1 << p)
    for mask in range(1, 1 << p):
        cols = [j for j in range(p) if mask >> j & 1]
        Z = np.hstack([ones, X[:, cols]])
        b, *_ = np.linalg.lstsq(Z, y, rcond=None)
        e = y - Z @ b
        r2[mask] = 1.0 - (e @ e) / sst
    phi = np.zeros(p)
    w = [math.factorial(s) * math.factorial(p - s - 1) / math.factorial(p) for s in range(p)]
    size = np.array([bin(m).count("1") for m in range(1 << p)])
    for j in range(p):
        bit = 1 << j
        without = np.array([m for m in range(1 << p) if not m & bit])
        phi[j] = np.sum(np.array(w)[size[without]] * (r2[without | bit] - r2[without]))
    return phi


def run_one(kind: str, p: int, repeat: int) -> dict:
    X, y = _data(p)
    base = _rss_mb()
    if kind == "shapley":
        from cxlab import _shapley  # numba and the kernel only: pandas comes after

        D = np.corrcoef(np.column_stack([X, y]), rowvar=False)
        R, r = D[:p, :p], D[:p, p]
        t0 = time.perf_counter()
        _shapley.shapley_r2(np.eye(3), np.array([0.1, 0.2, 0.3]))  # compile / load cache
        first = time.perf_counter() - t0
        before = _rss_mb()
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            phi = _shapley.shapley_r2(R, r)
            times.append(time.perf_counter() - t0)
        after = _rss_mb()
        import pandas as pd

        from cxlab import drivers

        df = pd.DataFrame(X, columns=[f"f_{j}" for j in range(p)]).assign(y=y)
        t0 = time.perf_counter()
        drivers.relative_importance(df, "y")
        e2e = time.perf_counter() - t0
        return {"kind": kind, "p": p, "seconds": min(times), "first_call_s": first,
                "end_to_end_s": e2e, "rss_before_mb": before, "rss_after_mb": after,
                "r2": float(phi.sum()), "phi": phi.tolist()}
    if kind == "refit":
        before = _rss_mb()
        t0 = time.perf_counter()
        phi = _refit_shapley(X, y)
        sec = time.perf_counter() - t0
        after = _rss_mb()
        from cxlab import _shapley

        D = np.corrcoef(np.column_stack([X, y]), rowvar=False)
        exact = _shapley.shapley_r2(D[:p, :p], D[:p, p])
        return {"kind": kind, "p": p, "seconds": sec, "rss_before_mb": before,
                "rss_after_mb": after, "r2": float(phi.sum()),
                "max_abs_diff": float(np.abs(phi - exact).max()), "base_mb": base}
    raise SystemExit(f"unknown case {kind}")


def survey_export(n: int = 3000, p: int = 23, skipped: float = 0.15, seed: int = SEED,
                  n_boots=(0, 50, 500)) -> None:
    """Time key_drivers on p items on 0–100 with missing answers (pairwise)."""
    import pandas as pd

    from cxlab import drivers
    from cxlab.study import parse_study

    X, y = _data(p, n, seed)
    rng = np.random.default_rng(seed)
    items = np.clip(np.round(65 + 15 * X), 0, 100)
    items[rng.random((n, p)) < skipped] = np.nan
    ids = [f"item_{j:02d}" for j in range(p)]
    df = pd.DataFrame(items, columns=[f"f_{i}" for i in ids]).astype("Int64")
    df["nps"] = np.clip(np.round(7 + y / 2), 0, 10)
    study = parse_study({"factors": {i: {"scale": "0-100"} for i in ids}})
    drivers.key_drivers(df, n_boot=0, missing="pairwise", labels=None, study=study)  # warm-up
    print(f"key_drivers: {n:,} responses, {p} items on 0–100, {skipped:.0%} skipped, pairwise\n")
    print("| bootstrap resamples | seconds | of which the resamples' Shapley kernel (s) |\n"
          "|---|---|---|")
    from unittest import mock

    from cxlab import _shapley

    many, spent = _shapley.shapley_r2_many, []

    def timed(*args):
        t0 = time.perf_counter()
        out = many(*args)
        spent.append(time.perf_counter() - t0)
        return out

    for n_boot in n_boots:
        spent.clear()
        t0 = time.perf_counter()
        with mock.patch.object(_shapley, "shapley_r2_many", timed):
            drivers.key_drivers(df, n_boot=n_boot, missing="pairwise", labels=None,
                                study=study)
        print(f"| {n_boot} | {time.perf_counter() - t0:.2f} | {sum(spent):.2f} |")


def _resamples(p: int, n_problems: int, n: int = 5000, seed: int = SEED):
    """The correlation matrices (factors ``Rs``, with the target ``rs``) of n_problems
    bootstrap resamples of n synthetic answers: what the bootstrap hands the kernel."""
    X, y = _data(p, n, seed)
    D = np.column_stack([X, y])
    rng = np.random.default_rng(seed)
    Ds = np.array([np.corrcoef(D[rng.integers(0, n, size=n)], rowvar=False)
                   for _ in range(n_problems)])
    return np.ascontiguousarray(Ds[:, :p, :p]), np.ascontiguousarray(Ds[:, :p, p])


def _first_calls() -> dict:
    """Seconds of each kernel's first call in this process (compile or cache load)."""
    from cxlab import _shapley

    R, r = np.eye(3), np.array([0.1, 0.2, 0.3])
    t0 = time.perf_counter()
    _shapley.shapley_r2(R, r)
    single = time.perf_counter() - t0
    t0 = time.perf_counter()
    _shapley.shapley_r2_many(np.array([R, R]), np.array([r, r]))
    return {"single": single, "batched": time.perf_counter() - t0}


def _compile_times() -> dict:
    """First calls in a child process with an empty numba cache: the compile time."""
    import tempfile

    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        out = subprocess.run([sys.executable, __file__, "--first-calls"], env=env,
                             capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _best(repeat: int, f, *args) -> tuple[float, object]:
    """(best seconds of ``repeat`` calls of ``f(*args)``, its result)."""
    times, res = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        res = f(*args)
        times.append(time.perf_counter() - t0)
    return min(times), res


def _loop(shapley_r2, Rs, rs, budget: float) -> tuple[float, np.ndarray]:
    """shapley_r2 on each problem in turn until ``budget`` seconds have passed (at least
    one problem): (seconds per problem, the values of the problems done)."""
    out = []
    t0 = time.perf_counter()
    for R, r in zip(Rs, rs):
        out.append(shapley_r2(R, r))
        if time.perf_counter() - t0 > budget:
            break
    return (time.perf_counter() - t0) / len(out), np.array(out)


def batched(ps=(15, 20, 25), n_problems: int = 500, loop_budget: float = 30.0,
            repeat: int = 1, blocks=(), e2e: bool = False) -> None:
    """Batched shapley_r2_many against shapley_r2 in a loop, on the same matrices."""
    from unittest import mock

    import numba

    from cxlab import _shapley

    compiled = _compile_times()
    first = _first_calls()
    threads = _shapley._threads()
    numba.get_num_threads()  # starts numba's pool, so that its layer can be named
    load = os.getloadavg()
    print(f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}, numpy {np.__version__}, numba "
          f"{numba.__version__}; load average {load[0]:.2f} before the run")
    print(f"Batched kernel: blocks of at most {_shapley.BLOCK} problems on {threads} Python "
          f"threads (the kernel releases the GIL); numba.get_num_threads() = "
          f"{numba.get_num_threads()}, numba threading layer {numba.threading_layer()!r} "
          "(not used: no prange)")
    print(f"First call, compile with an empty cache: single {compiled['single']:.2f} s, "
          f"batched {compiled['batched']:.2f} s; from the on-disk cache: single "
          f"{first['single']:.2f} s, batched {first['batched']:.2f} s\n")
    rows, block_rows = [], []
    for p in ps:
        Rs, rs = _resamples(p, n_problems)
        sec, many = _best(repeat, _shapley.shapley_r2_many, Rs, rs)
        with mock.patch.object(_shapley, "_threads", lambda: 1):
            sec1, _ = _best(repeat, _shapley.shapley_r2_many, Rs, rs)
        per_problem, single = _loop(_shapley.shapley_r2, Rs, rs, loop_budget)
        diff = float(np.abs(many[:len(single)] - single).max())
        rows.append((p, sec, sec1, per_problem * n_problems, len(single), diff))
        for block in blocks:
            with mock.patch.object(_shapley, "BLOCK", block):
                sec_b, _ = _best(repeat, _shapley.shapley_r2_many, Rs, rs)
            block_rows.append((p, block, sec_b))
        print(f"  {p} factors done", file=sys.stderr, flush=True)
    print(f"{n_problems} resamples of 5,000 answers per row; seconds for all of them "
          f"(batched: best of {repeat})\n")
    print(f"| factors | batched, {threads} threads (s) | per resample (ms) | batched, 1 thread "
          f"(s) | single kernel in a loop (s) | speed-up ({threads} threads / 1) "
          "| max abs diff |")
    print("|---|---|---|---|---|---|---|")
    for p, sec, sec1, loop, n_loop, diff in rows:
        loop_s = f"{loop:.2f}" if n_loop == n_problems else (
            f"{loop:.1f} (extrapolated from the first {n_loop})")
        print(f"| {p} | {sec:.3g} | {sec / n_problems * 1e3:.3g} | {sec1:.3g} | {loop_s} "
              f"| {loop / sec:.1f}× / {loop / sec1:.1f}× | {diff:.1e} |")
    if block_rows:
        print("\n| factors | block | batched (s) |\n|---|---|---|")
        for p, block, sec_b in block_rows:
            print(f"| {p} | {block} | {sec_b:.3g} |")
    print(f"\nLoad average after the run: {os.getloadavg()[0]:.2f}")
    if e2e:
        print()
        survey_export(n=5000, p=25, n_boots=(500,))


def _child(kind: str, p: int, repeat: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--one", kind, str(p), "--repeat",
                          str(repeat)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--one", nargs=2, metavar=("KIND", "P"), help=argparse.SUPPRESS)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="10 and 15 factors only")
    ap.add_argument("--survey", action="store_true",
                    help="key_drivers on 23 items on 0–100 with missing answers")
    ap.add_argument("--batched", action="store_true",
                    help="shapley_r2_many against shapley_r2 in a loop, same matrices")
    ap.add_argument("--factors", type=int, nargs="+", default=[15, 20, 25],
                    help="--batched: numbers of factors (default 15 20 25)")
    ap.add_argument("--resamples", type=int, default=500, help="--batched: problems per row")
    ap.add_argument("--loop-seconds", type=float, default=30.0,
                    help="--batched: time for the loop per row, extrapolated beyond")
    ap.add_argument("--blocks", type=int, nargs="*", default=[],
                    help="--batched: block sizes to time as well")
    ap.add_argument("--e2e", action="store_true",
                    help="--batched: key_drivers at 25 items, 5,000 answers, 500 resamples")
    ap.add_argument("--first-calls", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.survey:
        survey_export()
        return
    if args.first_calls:
        print(json.dumps(_first_calls()))
        return
    if args.batched:
        batched(args.factors, args.resamples, args.loop_seconds, args.repeat, args.blocks,
                args.e2e)
        return
    if args.one:
        print(json.dumps(run_one(args.one[0], int(args.one[1]), args.repeat)))
        return
    exact_ps = (10, 15) if args.quick else (10, 15, 20, 25)
    refit_ps = (10, 12) if args.quick else (10, 12, 15)
    res = {}
    for p in exact_ps:
        res[("shapley", p)] = _child("shapley", p, args.repeat)
    for p in refit_ps:
        res[("refit", p)] = _child("refit", p, 1)
    print(f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, numpy {np.__version__}; n = {N_ROWS} rows\n")
    print("| factors | subsets | exact Shapley (ms) | relative_importance end to end (ms) "
          "| per-subset OLS refit (s) | speed-up | max abs diff | peak RSS exact / refit (MB) "
          "| RSS increase exact / refit (MB) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for p in sorted(set(exact_ps) | set(refit_ps)):
        ex, rf = res.get(("shapley", p)), res.get(("refit", p))
        ex_s = f"{ex['seconds'] * 1e3:.3g}" if ex else "—"
        e2e = f"{ex['end_to_end_s'] * 1e3:.3g}" if ex else "—"
        rf_s = f"{rf['seconds']:.2f}" if rf else "not run"
        if ex is None and rf is not None:
            # exact at this p for the speed-up and the agreement check
            ex = _child("shapley", p, args.repeat)
            ex_s = f"{ex['seconds'] * 1e3:.3g}"
            e2e = f"{ex['end_to_end_s'] * 1e3:.3g}"
        speed = f"{rf['seconds'] / ex['seconds']:,.0f}×" if ex and rf else "—"
        diff = f"{rf['max_abs_diff']:.1e}" if rf else "—"
        peak = f"{ex['rss_after_mb']:.0f} / " + (f"{rf['rss_after_mb']:.0f}" if rf else "—")
        inc = (f"{ex['rss_after_mb'] - ex['rss_before_mb']:.1f} / "
               + (f"{rf['rss_after_mb'] - rf['rss_before_mb']:.1f}" if rf else "—"))
        print(f"| {p} | {2 ** p:,} | {ex_s} | {e2e} | {rf_s} | {speed} | {diff} | {peak} "
              f"| {inc} |")
    first = max(v["first_call_s"] for k, v in res.items() if k[0] == "shapley")
    print(f"\nFirst call in a fresh process (numba compile or cache load): up to {first:.2f} s.")


if __name__ == "__main__":
    main()
