"""Benchmark: the key-driver bootstrap at warehouse scale, from sufficient statistics
against the row-by-row bootstrap it replaced.

Run from the project root::

    .venv/bin/python benchmarks/drivers_scale.py              # the tables in benchmarks/README.md
    .venv/bin/python benchmarks/drivers_scale.py --quick      # 125,000 answers, fewer old resamples
    .venv/bin/python benchmarks/drivers_scale.py --blas-threads 1   # one BLAS thread

Two synthetic quarters, the same in every run (seeded): clients answering about 3 times
each (Poisson), a client's answers alike (half of each factor score is the client's own),
ratings 1–5 with 10 % of the cells empty, a 0–10 score, three survey channels (so
``key_drivers`` analyses within channel, its default):

- ``large``: 1,250,000 answers, 8 factors; ``missing="complete"`` (the reports' default:
  the 43 % of answers that rate every factor) and ``missing="pairwise"``.
- ``wide``: 5,000 answers, 25 factors, ``missing="pairwise"`` (complete cases would keep
  7 % of the answers).

Each figure comes from its own child process, so its peak memory (``resource.getrusage``,
ru_maxrss) is its own; *increase* is the peak after the call minus the peak before it
(data built, modules imported, the compiled kernels loaded by a small warm-up call).
``key_drivers(..., n_boot=500)`` is timed end to end and split: outside the bootstrap
(``drivers._bootstrap``), the exact Shapley kernel inside it (``_shapley.shapley_r2_many``,
500 problems), and the rest of the bootstrap, the *resampled correlations* (per-client
sums, the draws, the matrix product; the old way, a weighted correlation over all rows per
resample). *old*: the same call with ``drivers._bootstrap`` replaced by the row-by-row
reference kept in ``tests/test_drivers_sufficient.py``; where it would take minutes it
runs fewer resamples and its bootstrap time is scaled to 500 (the table says so). *max
diff*: the largest difference between the old and the new share draws over the resamples
both ran (same seed, same draws).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SEED = 20261122
N_BOOT = 500
CASES = {  # name: (answers, factors, missing modes)
    "large": (1_250_000, 8, ("complete", "pairwise")),
    "wide": (5_000, 25, ("pairwise",)),
}


def responses(n: int, p: int, seed: int = SEED, empty: float = 0.10, per_client: float = 3.0):
    """A quarter of answers and its study: clients answering ``per_client`` times on
    average, ratings 1–5 (``empty`` of the cells not answered), 0–10 score, 3 channels."""
    import pandas as pd

    from cxlab.study import parse_study

    rng = np.random.default_rng(seed + p)
    n_clients = round(n / per_client)
    client = rng.integers(0, n_clients, size=n)
    Z = (0.5 * rng.normal(size=(n, 1)) + 0.6 * rng.normal(size=(n_clients, p))[client]
         + 0.6 * rng.normal(size=(n, p)))
    y = Z @ np.linspace(1.0, 0.1, p) + 1.5 * rng.normal(size=n)
    ratings = np.clip(np.round(3.4 + 0.9 * Z), 1, 5)
    ratings[rng.random((n, p)) < empty] = np.nan
    ids = [f"x{j:02d}" for j in range(p)]
    df = pd.DataFrame(ratings, columns=[f"f_{i}" for i in ids]).astype("Int64")
    df["nps"] = pd.array(np.clip(np.round(7 + y / 2), 0, 10).astype(int), dtype="Int64")
    df["client_id"] = pd.array(np.char.add("C", client.astype(str)), dtype="string")
    df["channel"] = pd.array(rng.choice(np.array(["phone", "web", "messenger"]), size=n,
                                        p=[0.6, 0.25, 0.15]), dtype="string")
    return df, parse_study({"factors": {i: {"scale": "1-5"} for i in ids}})


def _rss_mb() -> float:
    # ru_maxrss is in KiB on Linux, bytes on macOS
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r / 1024 / (1024 if sys.platform == "darwin" else 1)


class _Timer:
    """Wraps a function and adds up the seconds spent in it."""

    def __init__(self, f):
        self.f, self.seconds = f, 0.0

    def __call__(self, *args, **kwargs):
        t0 = time.perf_counter()
        try:
            return self.f(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - t0


def run_one(case: str, missing: str, impl: str, n_boot: int, n: int) -> dict:
    """One timed ``key_drivers`` call in this process (the child)."""
    from cxlab import _shapley, drivers

    _, p, _ = CASES[case]
    df, study = responses(n, p)
    kwargs = {"missing": missing, "labels": None, "study": study, "seed": 0}
    small, small_study = responses(3000, p, seed=SEED + 1)
    drivers.key_drivers(small, n_boot=4, missing=missing, labels=None, study=small_study)
    if impl == "old":
        sys.path.append(str(ROOT / "tests"))
        from test_drivers_sufficient import _row_by_row_bootstrap_reference

        boot = _Timer(_row_by_row_bootstrap_reference)
    else:
        boot = _Timer(drivers._bootstrap)
    kernel = _Timer(_shapley.shapley_r2_many)
    drivers._bootstrap, _shapley.shapley_r2_many = boot, kernel
    before = _rss_mb()
    t0 = time.perf_counter()
    kd = drivers.key_drivers(df, n_boot=n_boot, **kwargs)
    seconds = time.perf_counter() - t0
    after = _rss_mb()
    return {"case": case, "missing": missing, "impl": impl, "n_boot": n_boot, "answers": n,
            "factors": p, "n": kd.n, "clients": kd.n_clusters, "seconds": seconds,
            "bootstrap_s": boot.seconds, "kernel_s": kernel.seconds,
            "rss_before_mb": before, "rss_after_mb": after,
            "share_draws": kd.draws["share"].to_numpy().tolist()}


def _child(case, missing, impl, n_boot, n, threads) -> dict:
    env = dict(os.environ)
    if threads:
        env["OPENBLAS_NUM_THREADS"] = env["OMP_NUM_THREADS"] = str(threads)
    out = subprocess.run([sys.executable, __file__, "--one", case, missing, impl, str(n_boot),
                          str(n)], capture_output=True, text=True, env=env, cwd=ROOT,
                         check=False)
    if out.returncode:
        raise SystemExit(f"{case} {missing} {impl} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--one", nargs=5, metavar=("CASE", "MISSING", "IMPL", "N_BOOT", "N"),
                    help=argparse.SUPPRESS)
    ap.add_argument("--quick", action="store_true",
                    help="125,000 answers instead of 1.25 million; old bootstrap on 20 resamples")
    ap.add_argument("--old-boot", type=int, default=None,
                    help="resamples for the old row-by-row bootstrap at 1.25 M answers "
                         "(default: 500 complete, 40 pairwise; extrapolated to 500)")
    ap.add_argument("--blas-threads", type=int, default=None,
                    help="OPENBLAS_NUM_THREADS for the children (default: as set, or all cores)")
    args = ap.parse_args(argv)
    if args.one:
        case, missing, impl, n_boot, n = args.one
        print(json.dumps(run_one(case, missing, impl, int(n_boot), int(n))))
        return
    threads = args.blas_threads or os.environ.get("OPENBLAS_NUM_THREADS")
    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f}, Python {platform.python_version()}, numpy "
          f"{np.__version__}, BLAS threads: {threads or 'default (all cores)'}\n")
    print("| case | answers | factors | missing | rows used (n) | clients | new: end to end (s) "
          "| new: outside the bootstrap / Shapley kernel / resampled correlations (s) "
          "| old: end to end (s) | old: resampled correlations (s) | old resamples run "
          "| speed-up: end to end / correlations | max diff "
          "| peak RSS new / old (MB) | RSS increase new / old (MB) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for case, (n, p, modes) in CASES.items():
        if args.quick and case == "large":
            n = n // 10
        for missing in modes:
            new = _child(case, missing, "new", N_BOOT, n, threads)
            if case == "large" and args.quick:
                old_boot = 20
            elif case == "large":
                old_boot = args.old_boot or (N_BOOT if missing == "complete" else 40)
            else:
                old_boot = N_BOOT
            old = _child(case, missing, "old", old_boot, n, threads)
            # the bootstrap's parts grow with the resamples: scaled to 500, the rest as run
            scale = N_BOOT / old_boot
            old_s = old["seconds"] + (scale - 1) * old["bootstrap_s"]
            old_corr = scale * (old["bootstrap_s"] - old["kernel_s"])
            new_corr = new["bootstrap_s"] - new["kernel_s"]
            outside = new["seconds"] - new["bootstrap_s"]
            k = min(len(old["share_draws"]), len(new["share_draws"]))
            diff = np.abs(np.subtract(old["share_draws"][:k], new["share_draws"][:k])).max()
            ran = f"{old_boot}" + ("" if old_boot == N_BOOT else " (extrapolated)")
            print(f"| {case} | {n:,} | {p} | {missing} | {new['n']:,} | {new['clients']:,} "
                  f"| {new['seconds']:.2f} | {outside:.2f} / {new['kernel_s']:.2f} / "
                  f"{new_corr:.2f} | {old_s:.1f} | {old_corr:.1f} | {ran} "
                  f"| {old_s / new['seconds']:.1f}× / {old_corr / new_corr:.0f}× | {diff:.1e} "
                  f"| {new['rss_after_mb']:.0f} / {old['rss_after_mb']:.0f} "
                  f"| {new['rss_after_mb'] - new['rss_before_mb']:.0f} / "
                  f"{old['rss_after_mb'] - old['rss_before_mb']:.0f} |", flush=True)

if __name__ == "__main__":
    main()
