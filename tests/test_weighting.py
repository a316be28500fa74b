"""Survey weights by raking (issue 13, item 5): cxlab.weighting.

Where the numbers come from: the target margins themselves (raking must reproduce them);
an independent raking written here (:func:`plain_ipf`, Deming & Stephan's loop in pandas,
sharing no code with svy, which cxlab.weighting calls); the closed form of one margin
(``w = target share / sample share``); Kish's formula worked by hand; and the response
rates planted in the sample generator (phone 0.45, messenger 0.25, web 0.12).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxlab import io, weighting
from cxlab.errors import ParameterError
from cxlab.study import parse_study
from cxlab.weighting import kish_n, margins_from, rake, weighting_effect

QUARTER = "2026Q3"


def plain_ipf(frame: pd.DataFrame, margins: dict, sweeps: int = 10_000, tol: float = 1e-13):
    """Raking as Deming & Stephan wrote it: for each margin in turn, multiply every
    answer's weight by target total / weighted total of its category; stop when a whole
    sweep changes no weighted share by more than ``tol``. Weights of mean 1, and the
    sweeps it took."""
    n = len(frame)
    w = pd.Series(1.0, index=range(n))
    keys = {c: frame[c].astype(str).reset_index(drop=True) for c in margins}
    margins = {c: {str(k): t for k, t in m.items()} for c, m in margins.items()}
    for sweep in range(1, sweeps + 1):
        for col, targets in margins.items():
            total = sum(targets.values())
            have = w.groupby(keys[col]).sum()
            factor = {k: n * t / total / have[k] for k, t in targets.items()}
            w = w * keys[col].map(factor)
        worst = max(abs(w.groupby(keys[c]).sum()[k] / n - t / sum(m.values()))
                    for c, m in margins.items() for k, t in m.items())
        if worst < tol:
            return w.to_numpy(), sweep
    raise AssertionError("the reference loop did not converge")


def weighted_shares(frame: pd.DataFrame, weights: pd.Series, col: str) -> dict[str, float]:
    s = weights.groupby(frame[col].astype(str)).sum() / weights.sum()
    return s.to_dict()


def assert_margins_met(frame, weights, margins, atol=1e-6):
    for col, targets in margins.items():
        total = sum(targets.values())
        got = weighted_shares(frame, weights, col)
        assert set(got) == {str(k) for k in targets}, col
        for k, t in targets.items():
            assert got[str(k)] == pytest.approx(t / total, abs=atol), (col, k)


# ============================================================================ data

@pytest.fixture(scope="module")
def sample_tables(sample_warehouse):
    """The sample quarter: answers that name a programme (surveys after a lesson, a camp or
    a hike), and the quarter's invitations and visits as the target population."""
    answers = io.load("responses", sample_warehouse, quarter=QUARTER,
                      columns=["response_id", "channel", "survey", "programme", "nps"])
    answers = answers.dropna(subset=["programme"]).set_index("response_id")
    return {
        "responses": answers,
        "invitations": io.load("invitations", sample_warehouse, quarter=QUARTER),
        "visits": io.load("visits", sample_warehouse, quarter=QUARTER),
    }


@pytest.fixture(scope="module")
def sample_margins(sample_tables):
    return {**margins_from(sample_tables["invitations"], "channel"),
            **margins_from(sample_tables["visits"], "programme")}


@pytest.fixture
def export(rng):
    """A synthetic export of another team: other column names, integer codes, its own
    index, and a response propensity that differs by region and tier."""
    n = 2_000
    region = rng.choice(["north", "south", "east", "west"], size=n, p=[0.4, 0.3, 0.2, 0.1])
    kanal = rng.choice(["sms", "app", "email"], size=n, p=[0.5, 0.3, 0.2])
    tier = np.where(rng.random(n) < np.where(region == "north", 0.7, 0.3), 1,
                    rng.choice([2, 3], size=n))
    return pd.DataFrame({"kanal": kanal, "region": region, "tier": tier},
                        index=pd.Index([f"A{k:05d}" for k in range(n)], name="answer"))


EXPORT_MARGINS = {
    "kanal": {"sms": 0.2, "app": 0.5, "email": 0.3},
    "region": {"north": 1200, "south": 1500, "east": 1300, "west": 1000},  # counts
    "tier": {1: 0.3, 2: 0.45, 3: 0.25},
}


# ============================================================================ raking

def test_sample_answers_are_raked_to_channel_and_programme(sample_tables, sample_margins):
    answers = sample_tables["responses"]
    w = rake(answers, sample_margins)
    assert_margins_met(answers, w, sample_margins)
    assert w.index.equals(answers.index) and w.name == "weight"
    assert w.mean() == pytest.approx(1.0, abs=1e-12)
    assert w.attrs["max_deviation"] <= 1e-10
    for col, shares in sample_margins.items():
        assert w.attrs["margins"][col] == pytest.approx(shares)
    # the margins differ from the answers' own mix, so the weights are not all 1
    assert w.attrs["weighting_effect"] > 1.05


def test_sample_weights_agree_with_a_plain_ipf_loop(sample_tables, sample_margins):
    answers = sample_tables["responses"]
    w = rake(answers, sample_margins)
    ref, sweeps = plain_ipf(answers, sample_margins)
    np.testing.assert_allclose(w.to_numpy(), ref, rtol=1e-9)
    # svy's count of sweeps is found by asking it for fewer; the plain loop, run to a
    # much tighter tolerance, needs at least as many
    assert 1 <= w.attrs["iterations"] <= sweeps


def test_another_teams_export_is_raked_to_its_margins(export):
    w = rake(export, EXPORT_MARGINS)
    assert_margins_met(export, w, EXPORT_MARGINS)
    assert w.index.equals(export.index)
    ref, _ = plain_ipf(export, EXPORT_MARGINS)
    np.testing.assert_allclose(w.to_numpy(), ref, rtol=1e-9)


def test_one_margin_has_the_closed_form(export):
    # w = target share / sample share, for every answer of a category
    targets = {"sms": 0.2, "app": 0.5, "email": 0.3}
    w = rake(export, {"kanal": targets})
    sample_share = export["kanal"].value_counts(normalize=True)
    expected = export["kanal"].map(lambda k: targets[k] / sample_share[k])
    np.testing.assert_allclose(w.to_numpy(), expected.to_numpy(), rtol=1e-12)
    assert w.attrs["iterations"] == 1


def test_channel_weights_undo_the_planted_response_rates(sample_warehouse):
    # all quarters: invitations answered at 0.45 (phone), 0.25 (messenger), 0.12 (web),
    # so an answer by web stands for 0.45 / 0.12 times as many invitations as one by phone
    answers = io.load("responses", sample_warehouse, columns=["channel"])
    invitations = io.load("invitations", sample_warehouse, columns=["channel"])
    w = rake(answers, margins_from(invitations, "channel"))
    per_channel = w.groupby(answers["channel"]).first()
    assert per_channel["web"] / per_channel["phone"] == pytest.approx(0.45 / 0.12, rel=0.05)
    assert per_channel["messenger"] / per_channel["phone"] == pytest.approx(0.45 / 0.25,
                                                                            rel=0.05)


def test_trim_caps_the_weights_and_keeps_the_margins(sample_tables, sample_margins):
    answers = sample_tables["responses"]
    untrimmed = rake(answers, sample_margins)
    assert untrimmed.max() > 3
    w = rake(answers, sample_margins, trim=3, tol=1e-8)
    assert w.max() <= 3 * (1 + 1e-8)
    assert_margins_met(answers, w, sample_margins)
    assert w.attrs["trim"] == 3 and w.attrs["kish_n"] > untrimmed.attrs["kish_n"]


def test_a_cap_the_margins_cannot_meet_is_an_error(sample_tables, sample_margins):
    # web is 13 % of the answers and 28 % of the invitations: a web answer needs a
    # weight above 2 on average, which a cap of 2 forbids
    with pytest.raises(ParameterError, match=r"trim=2 cannot meet the margins.*channel='web'"):
        rake(sample_tables["responses"], sample_margins, trim=2)


# ============================================================================ Kish

def test_kish_n_by_hand():
    # (1 + 1 + 2 + 4)² / (1 + 1 + 4 + 16) = 64 / 22
    assert kish_n([1, 1, 2, 4]) == pytest.approx(64 / 22)
    assert weighting_effect([1, 1, 2, 4]) == pytest.approx(4 / (64 / 22))
    assert kish_n(pd.Series([3.0] * 7)) == pytest.approx(7)
    assert weighting_effect(np.full(7, 0.2)) == pytest.approx(1)
    # 1 + cv² with the population cv
    w = np.array([0.5, 0.5, 1.5, 1.5])
    assert weighting_effect(w) == pytest.approx(1 + (w.std() / w.mean()) ** 2)


def test_raked_weights_record_their_kish_n(export):
    w = rake(export, EXPORT_MARGINS)
    assert w.attrs["n"] == len(export)
    assert w.attrs["kish_n"] == pytest.approx(w.sum() ** 2 / (w ** 2).sum())
    assert w.attrs["weighting_effect"] == pytest.approx(len(export) / w.attrs["kish_n"])
    assert "svy" in w.attrs["method"]


@pytest.mark.parametrize("bad", [[], [1.0, np.nan], [1.0, -1.0], [0.0, 0.0]])
def test_kish_n_refuses_weights_it_cannot_use(bad):
    with pytest.raises(ParameterError, match="weights"):
        kish_n(bad)


# ============================================================================ errors

def test_a_category_without_a_target_names_it(export):
    margins = {"kanal": {"sms": 0.5, "app": 0.5}}
    with pytest.raises(ParameterError, match=r"'kanal'.*'email' \(\d+ answers\).*sms, app"):
        rake(export, margins)


def test_a_target_without_answers_names_it(export):
    margins = {"kanal": {"sms": 0.4, "app": 0.3, "email": 0.2, "fax": 0.1}}
    with pytest.raises(ParameterError, match=r"'kanal' has a target for 'fax' but no answer"):
        rake(export, margins)


def test_contradictory_margins_do_not_converge():
    # every web answer is a camp answer, so the weighted share of web can never exceed
    # that of camp; the margins ask for web 0.6 and camp 0.1
    answers = pd.DataFrame({
        "channel": ["web"] * 10 + ["phone"] * 30 + ["messenger"] * 20,
        "programme": ["camp"] * 10 + ["workshop"] * 20 + ["camp"] * 10 + ["workshop"] * 20,
    })
    margins = {"channel": {"web": 0.6, "phone": 0.2, "messenger": 0.2},
               "programme": {"camp": 0.1, "workshop": 0.9}}
    with pytest.raises(ParameterError, match=r"did not converge in 200 sweeps.*target"):
        rake(answers, margins, max_iter=200)


@pytest.mark.parametrize("value", [0, -0.2, float("nan"), "a lot", True])
def test_a_target_must_be_a_positive_number(export, value):
    margins = {"kanal": {"sms": value, "app": 0.5, "email": 0.5}}
    with pytest.raises(ParameterError, match=r"margin 'kanal', category 'sms'.*positive"):
        rake(export, margins)


def test_shares_must_add_up_to_one(export):
    with pytest.raises(ParameterError, match=r"margin 'kanal': got 0\.8.*adding up to 1"):
        rake(export, {"kanal": {"sms": 0.3, "app": 0.3, "email": 0.2}})


def test_an_answer_without_a_category_is_an_error(sample_tables, sample_margins):
    answers = sample_tables["responses"].copy()
    answers.iloc[[3, 5], answers.columns.get_loc("programme")] = pd.NA
    with pytest.raises(ParameterError, match=r"2 of \d+ answers have no value in 'programme'"
                                             r" \(first at row 4\)"):
        rake(answers, sample_margins)


def test_a_margin_without_a_column_is_an_error(export):
    with pytest.raises(ParameterError, match=r"margin 'channel' has no column.*kanal"):
        rake(export, {"channel": {"sms": 1.0}})


@pytest.mark.parametrize("kw, fragment", [
    ({"trim": 1}, "trim=1"), ({"tol": 0}, "tol=0"), ({"max_iter": 0}, "max_iter=0"),
])
def test_bad_settings_are_named(export, kw, fragment):
    with pytest.raises(ParameterError, match=fragment):
        rake(export, EXPORT_MARGINS, **kw)


# ============================================================================ margins

def test_margins_from_a_population_table():
    visits = pd.DataFrame({"client_id": ["a", "a", "b", "c", "c", "c"],
                           "programme": ["camp", "hike", "camp", "camp", "camp", None]})
    assert margins_from(visits, "programme") == {"programme": {"camp": 0.8, "hike": 0.2}}
    # clients per programme: a and b and c in camp, a in hike
    assert margins_from(visits, ["programme"], unit="client_id") == {
        "programme": {"camp": 0.75, "hike": 0.25}}
    with pytest.raises(ParameterError, match="'channel' not in the table"):
        margins_from(visits, "channel")
    with pytest.raises(ParameterError, match="no row of the table has a value in 'programme'"):
        margins_from(visits.iloc[:0], "programme")


# ============================================================================ the study

def _study(**weighting):
    return parse_study({"segments": {"programme": {"values": ["workshop", "hike", "camp"]}},
                        "weighting": weighting}, source="s.yml")


def test_study_margins_from_the_warehouse_tables(sample_tables, sample_margins):
    st = _study(margins={"channel": "invitations", "programme": "visits"}, trim=4)
    assert st.weighting.tables == ("invitations", "visits")
    got = weighting.study_margins(sample_tables, study=st)
    assert got == sample_margins
    w = weighting.study_weights(sample_tables["responses"], lambda t: sample_tables[t],
                                study=st)
    assert_margins_met(sample_tables["responses"], w, sample_margins)
    assert w.attrs["trim"] == 4 and w.max() <= 4 * (1 + 1e-10)


def test_study_margins_declared_as_numbers(export):
    st = parse_study({"channels": {"sms": "SMS", "app": "App", "email": "E-mail"},
                      "weighting": {"margins": {"channel": EXPORT_MARGINS["kanal"]}}},
                     source="s.yml")
    assert weighting.study_margins(study=st) == {"channel": EXPORT_MARGINS["kanal"]}
    w = weighting.study_weights(export.rename(columns={"kanal": "channel"}), study=st)
    assert_margins_met(export.rename(columns={"kanal": "channel"}), w,
                       {"channel": EXPORT_MARGINS["kanal"]})


def test_study_margins_need_their_tables_and_their_key(sample_tables):
    st = _study(margins={"channel": "invitations"})
    with pytest.raises(ParameterError, match=r"'channel' from the invitations table.*"
                                             r"io\.load\('invitations'"):
        weighting.study_margins({"visits": sample_tables["visits"]}, study=st)
    with pytest.raises(ParameterError, match="has no 'weighting' key"):
        weighting.study_margins(sample_tables, study=parse_study({}, source="s.yml"))
