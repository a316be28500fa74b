"""Simulation: does :func:`cxlab.quality.interviewer_flags` flag gamers, and only them?

Synthetic call-centre data, seeded (``SEED``). Ten interviewers with 60–150 answers each
(uniform). An answer's survey is drawn from the interviewer's case mix: I01–I03 call
mostly after camps (periodic 20 %, after a lesson 20 %, after a camp 60 %), I04–I10
mostly periodic clients (60 %, 30 %, 10 %). Scores are a standard normal latent, shifted
by the survey (periodic 0, after a lesson +0.3, after a camp +1.2 SD), cut into 0–10 so
that an unshifted answer follows the sample data's honest distribution (25 % 10s): after
a camp 70 % of answers are 10s and the spread is narrower. A gamer records 10 instead of
the answer for a fixed share ``GAMED_SHARE`` of its answers (far subtler than the sample's
I07, who does it 88 % of the time: that one is always caught).

Figures on ``SEED`` (``pytest -s tests/test_gaming_simulation.py`` prints them; 200 data
sets without gaming, 100 per number of gamers; about 30 s of CPU):

- **no gaming, within survey strata** (``strata=("survey",)``, what the default comes to
  on these columns): a false flag in 2.0 % of the data sets (the false discovery
  proportion averaged over data sets — 1 when anything is flagged, as nobody games — i.e.
  the family-wise rate), 0–1.0 % per interviewer, the camp callers 0 %;
- **no gaming, pooled** (``strata=()``): a false flag in 99 % of the data sets — the camp
  callers I01–I03 flagged in 94–98 % each, the others in 2–4.5 % (nearly all in a later
  round, when the camp callers' tiny p-values relax the Benjamini–Hochberg thresholds);
- **power per gamer** (gamers I04; I04–I05; I04–I06, 35 % of their answers made 10s):
  0.90, 0.95, 0.98 with 1, 2, 3 gamers; an honest interviewer flagged too in 9 %, 10 %,
  11 % of the data sets, false discovery rate (per interviewer) 4.7 %, 3.6 %, 3.0 %.
  Benjamini–Hochberg bounds the false discovery rate, not the chance of any false flag:
  a gamer's two tiny p-values relax the thresholds of the others' tests.

Monte-Carlo margin: the standard error of a rate of 0.05 is √(0.05 · 0.95 / 200) = 0.015
with 200 data sets, 0.022 with 100; rates are asserted ≤ ``ALPHA`` + 2 standard errors
(0.081 without gaming, 0.094 with gamers). (The audit of the former procedure, each interviewer against all the others gamers
included and no strata: power per gamer 0.90 with one gamer, 0.55 with three.)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cxlab import quality

SEED = 20261122
ALPHA = 0.05
N_NULL = 200
N_POWER = 100
GAMED_SHARE = 0.35
INTERVIEWERS = [f"I{i:02d}" for i in range(1, 11)]
CAMP_CALLERS = INTERVIEWERS[:3]
GAMERS = ["I04", "I05", "I06"]  # the first 1, 2 or 3 of them game
SURVEYS = np.array(["periodic", "after_lesson", "after_camp"])
SHIFT = np.array([0.0, 0.3, 1.2])  # latent SDs
MIX = {True: [0.2, 0.2, 0.6], False: [0.6, 0.3, 0.1]}  # camp caller or not
_HONEST = np.array([2, 1, 1, 2, 3, 6, 8, 14, 20, 18, 25], dtype=float)
CUTS = stats.norm.ppf(np.cumsum(_HONEST / _HONEST.sum())[:-1])


def simulate(rng, gamers=()) -> pd.DataFrame:
    """One data set: interviewer_id, survey, nps (see the module docstring)."""
    who, survey, score = [], [], []
    for name in INTERVIEWERS:
        n = int(rng.integers(60, 151))
        s = rng.choice(3, n, p=MIX[name in CAMP_CALLERS])
        y = np.searchsorted(CUTS, rng.standard_normal(n) + SHIFT[s])
        if name in gamers:
            y = np.where(rng.random(n) < GAMED_SHARE, 10, y)
        who += [name] * n
        survey.append(SURVEYS[s])
        score.append(y)
    return pd.DataFrame({"interviewer_id": who, "survey": np.concatenate(survey),
                         "nps": np.concatenate(score)})


def _flags(df, strata) -> np.ndarray:
    fl = quality.interviewer_flags(df, alpha=ALPHA, strata=strata)
    return fl.loc[INTERVIEWERS, "flagged"].to_numpy()


def _margin(n_sets: int) -> float:
    return 2 * np.sqrt(ALPHA * (1 - ALPHA) / n_sets)


@pytest.fixture(scope="module")
def null_runs():
    """Flags (data sets × interviewers) without gaming, within survey strata and pooled."""
    rng = np.random.default_rng(SEED)
    data = [simulate(rng) for _ in range(N_NULL)]
    return {"strata": np.array([_flags(d, ("survey",)) for d in data]),
            "pooled": np.array([_flags(d, ()) for d in data])}


@pytest.fixture(scope="module")
def power_runs():
    """{number of gamers: flags (data sets × interviewers)}."""
    rng = np.random.default_rng(SEED + 1)
    return {g: np.array([_flags(simulate(rng, GAMERS[:g]), ("survey",))
                         for _ in range(N_POWER)]) for g in (1, 2, 3)}


def test_no_gaming_false_flags_within_alpha(null_runs):
    flags = null_runs["strata"]
    any_flag = flags.any(axis=1).mean()  # FDP is 1 when anything is flagged: no true gamer
    per_interviewer = flags.mean(axis=0)
    print(f"\nno gaming, within strata: a false flag in {any_flag:.1%} of {N_NULL} data sets; "
          "per interviewer " + ", ".join(f"{w} {r:.1%}" for w, r in
                                         zip(INTERVIEWERS, per_interviewer)))
    assert any_flag <= ALPHA + _margin(N_NULL)
    # no interviewer, camp callers included, is flagged often
    assert per_interviewer.max() <= ALPHA / 2 + _margin(N_NULL)


def test_without_case_mix_adjustment_camp_callers_are_flagged(null_runs):
    pooled, strata = null_runs["pooled"], null_runs["strata"]
    rate = pooled.mean(axis=0)
    print(f"\nno gaming, pooled (strata=()): a false flag in {pooled.any(axis=1).mean():.1%} "
          "of the data sets; per interviewer "
          + ", ".join(f"{w} {r:.1%}" for w, r in zip(INTERVIEWERS, rate)))
    assert pooled.any(axis=1).mean() >= 0.5
    assert pooled.any(axis=1).mean() >= 5 * max(strata.any(axis=1).mean(), 1 / N_NULL)
    # the false flags are the camp callers': their case mix, not their conduct
    camp = np.isin(INTERVIEWERS, CAMP_CALLERS)
    assert rate[camp].min() >= 0.5 and rate[camp].min() >= 5 * rate[~camp].max()


def test_power_with_one_to_three_gamers(power_runs):
    power = {}
    for g, flags in power_runs.items():
        gamer = np.isin(INTERVIEWERS, GAMERS[:g])
        power[g] = flags[:, gamer].mean()
        false = flags[:, ~gamer].sum(axis=1)
        fdp = false / np.maximum(flags.sum(axis=1), 1)
        print(f"\n{g} gamer(s), {GAMED_SHARE:.0%} of answers made 10s: power per gamer "
              f"{power[g]:.2f}; a false flag in {(false > 0).mean():.0%} of {N_POWER} data "
              f"sets, false discovery rate {fdp.mean():.1%}")
        assert power[g] >= 0.8
        assert fdp.mean() <= ALPHA + _margin(N_POWER)
    assert power[3] >= power[1] - 0.1  # several gamers do not hide one another
