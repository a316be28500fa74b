"""Coverage of cxlab's NPS intervals: levels and differences, independent and clustered.

Run: .venv/bin/python benchmarks/interval_coverage.py [--reps 10000]
     (results: benchmarks/README.md, "Interval coverage"; about 3 minutes)

**Levels and differences.** For every true NPS 0–90 (several passive shares each) and
n 30–500, draws ``reps`` samples from the trinomial and counts how often the 95 %
interval holds the true value: the score interval cxlab uses (Tango), the adjusted Wald
(Rocks 2016) and the Wald. Differences: pairs of populations and sizes (equal and very
unequal), square-and-add of the two score intervals against adjusted-Wald and Wald
differences. Reports the minimum over the grid and where it is.

**Repeat answers.** Families answering 1–5 times (mean 3) with a family effect on the
latent score (within-family correlation ≈ 0.4, as in the samples): coverage of the
clustered interval (``cluster="client_id"``) against the same interval computed as if
answers were independent (``cluster=None``).

The cells are vectorised over replicates with cxlab's own interval functions (the
same code paths ``nps_from_counts`` and ``compare_nps`` use).
"""

from __future__ import annotations

import argparse
import itertools
import time

import numpy as np
import pandas as pd

from cxlab import metrics
from cxlab.metrics import _diff_nps, _nps_interval

NPS_GRID = (0, 15, 30, 45, 60, 75, 90)
PASSIVES = (0.05, 0.1, 0.2, 0.3, 0.4)
N_GRID = (30, 37, 44, 50, 60, 75, 100, 150, 200, 300, 500)


def shares(nps: float, passive: float):
    """(promoter, passive, detractor) shares with the given NPS and passive share."""
    e = nps / 100
    p, d = (1 - passive + e) / 2, (1 - passive - e) / 2
    if d < -1e-12 or p > 1:
        return None
    v = np.clip(np.array([p, passive, d]), 0, 1)
    return v / v.sum()


def confirm(cells: pd.DataFrame, col: str, redo, reps: int) -> pd.DataFrame:
    """Cells under 0.94 in the screen are simulated again with ``reps`` samples: the
    minimum of hundreds of noisy cells sits below the truth (at 10,000 samples a cell's
    Monte-Carlo se is 0.002)."""
    out = cells.copy()
    for i in out.index[out[col] < 0.94]:
        out.loc[i, col] = redo(out.loc[i], reps)
    return out


def level_cells(reps: int, rng) -> pd.DataFrame:
    rows = []
    for nps, a in itertools.product(NPS_GRID, PASSIVES):
        pr = shares(nps, a)
        if pr is None:
            continue
        for n in N_GRID:
            x = rng.multinomial(n, pr, size=reps)
            true = 100 * (pr[0] - pr[2])
            row = {"nps": nps, "passives": a, "n": n}
            for m in ("score", "adjusted-wald", "wald"):
                _, _, lo, hi = _nps_interval(x[:, 0], x[:, 1], x[:, 2], m, 0.95)
                row[m] = float(np.mean((lo <= true + 1e-9) & (true <= hi + 1e-9)))
            rows.append(row)
    return pd.DataFrame(rows)


def diff_cells(reps: int, rng) -> pd.DataFrame:
    pops = [(0, 0.3), (30, 0.2), (60, 0.2), (80, 0.1), (90, 0.1), (90, 0.05)]
    sizes = [(30, 30), (30, 500), (50, 50), (100, 100), (200, 40), (500, 500), (40, 70)]
    rows = []
    for (na_, aa), (nb_, ab), (n1, n2) in itertools.product(pops, pops, sizes):
        pa, pb = shares(na_, aa), shares(nb_, ab)
        x = rng.multinomial(n1, pa, size=reps)
        y = rng.multinomial(n2, pb, size=reps)
        true = 100 * ((pa[0] - pa[2]) - (pb[0] - pb[2]))
        _, _, _, _, lo, hi, _, _ = _diff_nps(x[:, 0], x[:, 1], x[:, 2], y[:, 0], y[:, 1],
                                             y[:, 2], 0.95)
        row = {"a": f"NPS {na_} (passives {aa})", "b": f"NPS {nb_} (passives {ab})",
               "n_a": n1, "n_b": n2,
               "square-and-add": float(np.mean((lo <= true + 1e-9) & (true <= hi + 1e-9)))}
        for m, add in (("adjusted-wald", 0.75), ("wald", 0.0)):
            def adj(c, n):
                nt = n + 4 * add
                pt, dt = (c[:, 0] + add) / nt, (c[:, 2] + add) / nt
                return pt - dt, (pt + dt - (pt - dt) ** 2) / nt
            ea, va = adj(x, n1)
            eb, vb = adj(y, n2)
            row[m] = float(np.mean(np.abs(100 * (ea - eb) - true) <= 1.959964 * 100
                                   * np.sqrt(va + vb)))
        rows.append(row)
    return pd.DataFrame(rows)


def clustered_sample(rng, n_clients: int, family_sd: float = 1.0):
    """Families answering 1–5 times; latent score = family effect + answer noise, cut
    into promoter / passive / detractor (within-family correlation ≈ 0.4 on the scores)."""
    k = rng.integers(1, 6, size=n_clients)
    fam = np.repeat(rng.normal(0, family_sd, n_clients), k)
    latent = fam + rng.normal(0, 1.0, fam.size)
    score = np.where(latent > 0.2, 10, np.where(latent > -0.6, 7, 3))
    return pd.DataFrame({"nps": score, "client_id": np.repeat(np.arange(n_clients), k)})


def clustered_cells(reps: int, rng) -> pd.DataFrame:
    # the true NPS of the population, from one very large sample
    big = clustered_sample(np.random.default_rng(12345), 400_000)
    true = metrics.nps(big, cluster=None).nps
    rows = []
    for n_clients in (20, 50, 150):
        hit = {"clustered": 0, "independent": 0}
        deffs = []
        for _ in range(reps):
            s = clustered_sample(rng, n_clients)
            r = metrics.nps(s)
            deffs.append(r.deff)
            hit["clustered"] += r.ci_low <= true <= r.ci_high
            ri = metrics.nps(s, cluster=None)
            hit["independent"] += ri.ci_low <= true <= ri.ci_high
        rows.append({"clients": n_clients, "answers (mean)": 3 * n_clients,
                     "mean deff": float(np.mean(deffs)),
                     "clustered": hit["clustered"] / reps,
                     "independent": hit["independent"] / reps})
    return pd.DataFrame(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=10_000)
    ap.add_argument("--clustered-reps", type=int, default=2_000)
    args = ap.parse_args()
    rng = np.random.default_rng(20261130)
    t = time.perf_counter()
    lv = level_cells(args.reps, rng)
    print(f"levels: {len(lv)} cells × {args.reps} samples ({time.perf_counter() - t:.0f} s)")
    for m in ("score", "adjusted-wald", "wald"):
        w = lv.loc[lv[m].idxmin()]
        print(f"  {m:<14} min {w[m]:.4f} at NPS {w.nps:g}, passives {w.passives:g}, "
              f"n {w.n:g}; share of cells < 0.94: {(lv[m] < 0.94).mean():.1%}")

    def redo_level(row, reps):
        pr = shares(row.nps, row.passives)
        x = rng.multinomial(int(row.n), pr, size=reps)
        _, _, lo, hi = _nps_interval(x[:, 0], x[:, 1], x[:, 2], "score", 0.95)
        true = 100 * (pr[0] - pr[2])
        return float(np.mean((lo <= true + 1e-9) & (true <= hi + 1e-9)))

    big = 20 * args.reps
    again = confirm(lv, "score", redo_level, big)
    w = again.loc[again["score"].idxmin()]
    print(f"  score, the cells under 0.94 simulated again with {big:,} samples: min "
          f"{w['score']:.4f} (Monte-Carlo se {np.sqrt(0.95 * 0.05 / big):.4f}) at NPS "
          f"{w.nps:g}, passives {w.passives:g}, n {w.n:g}")
    t = time.perf_counter()
    df = diff_cells(args.reps, rng)
    print(f"differences: {len(df)} cells × {args.reps} ({time.perf_counter() - t:.0f} s)")
    for m in ("square-and-add", "adjusted-wald", "wald"):
        w = df.loc[df[m].idxmin()]
        print(f"  {m:<14} min {w[m]:.4f} at {w.a} (n {w.n_a}) − {w.b} (n {w.n_b}); "
              f"share of cells < 0.94: {(df[m] < 0.94).mean():.1%}")
    t = time.perf_counter()
    cl = clustered_cells(args.clustered_reps, rng)
    print(f"repeat answers ({args.clustered_reps} samples per row, "
          f"{time.perf_counter() - t:.0f} s):")
    print(cl.to_string(index=False, float_format=lambda v: f"{v:.3f}"))


if __name__ == "__main__":
    main()
