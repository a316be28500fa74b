"""Scale of cxlab.cohorts: attach() (cohorts as of each response's day) for many
responses, and the follow-up list over a large client base.

Run:  .venv/bin/python benchmarks/cohorts_attach.py [n_responses ...]
Synthetic data: 200,000 client families, 4 million visits, n responses spread over
three years. The visits carry a 'programme' column: under the sample study (run with
CXLAB_STUDY=data/samples/study.yml) its per-programme counts and its three cohort rules
are evaluated too, as the figures below were (re-checked 2026-11-30 after cohorts moved
to the study file: same time as before, within the machine's noise). Prints wall time and peak RSS growth per size. attach() is vectorised
(a few pandas.merge_asof calls), so time grows ~linearly (n log n) with responses; most
of it is reducing the 4 million visits, which does not depend on the responses.

Recorded 2026-11-22 on the shared 2-core machine (other jobs running, so ±50 %):
``.venv/bin/python benchmarks/cohorts_attach.py 100000 1000000``

    200,000 clients, 4,000,000 visits
    attach   100,000 responses:   7.85 s  (peak RSS +483 MB)
    attach 1,000,000 responses:   9.75 s  (peak RSS +303 MB)
    followups over 200,000 clients, 1,000,000 responses: 14.65 s, 39,871 families listed

(Before replacing ``pd.crosstab`` — which aggregates in Python — by ``groupby().size()``
the 100,000-response run took 76 s.)
"""

from __future__ import annotations

import resource
import sys
import time

import numpy as np
import pandas as pd

from cxlab import cohorts


def make(n_clients: int, n_visits: int, n_resp: int, seed: int = 1):
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2024-01-01")
    ids = pd.array([f"C{i:07d}" for i in range(n_clients)], dtype="string")
    clients = pd.DataFrame({"client_id": ids,
                            "joined_on": start + pd.to_timedelta(rng.integers(0, 700, n_clients), "D"),
                            "referred_by": pd.array([pd.NA] * n_clients, dtype="string")})
    visits = pd.DataFrame({
        "client_id": ids[rng.integers(0, n_clients, n_visits)],
        "visit_date": start + pd.to_timedelta(rng.integers(0, 1000, n_visits), "D"),
        "programme": pd.array(rng.choice(["workshop"] * 8 + ["hike", "camp"], n_visits),
                              dtype="string"),
    })
    resp = pd.DataFrame({
        "client_id": ids[rng.integers(0, n_clients, n_resp)],
        "submitted_at": start + pd.to_timedelta(rng.integers(0, 1000 * 86400, n_resp), "s"),
    })
    return clients, visits, resp


def main(sizes):
    clients, visits, _ = make(200_000, 4_000_000, 10)
    print(f"{len(clients):,} clients, {len(visits):,} visits")
    for n in sizes:
        _, _, resp = make(200_000, 10, n, seed=2)
        rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t = time.perf_counter()
        out = cohorts.attach(resp, clients, visits)
        dt = time.perf_counter() - t
        rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(f"attach {n:>9,} responses: {dt:6.2f} s  (peak RSS +{(rss1 - rss0) / 1024:.0f} MB; "
              f"lapsed share {out['lapsed'].mean():.3f})")
    rng = np.random.default_rng(3)
    resp = resp.assign(nps=pd.array(rng.integers(0, 11, len(resp)), dtype="Int64"),
                       survey="periodic", channel="phone")
    t = time.perf_counter()
    fu = cohorts.followups(resp, clients, visits, "2026-09-26", lang="en")
    print(f"followups over {len(clients):,} clients, {len(resp):,} responses: "
          f"{time.perf_counter() - t:6.2f} s, {len(fu):,} families listed")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100_000, 1_000_000])
