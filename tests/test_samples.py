"""The sample data: determinism, validity, integrity, and every planted truth visible in
the raw CSVs by a simple check that does not reuse the generator's code.

Expected numbers come from :data:`cxlab.samples.TRUTHS` (the planted values, documented
in ``data/samples/README.md``); tolerances allow for sampling noise at the sample's size.
"""

from __future__ import annotations

import itertools
import math
import re

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats
from typer.testing import CliRunner

from cxlab import samples, schema
from cxlab.errors import ParameterError, ReadError
from cxlab.paths import SAMPLE_STUDY, SAMPLES_DIR
from cxlab.study import load_study

TRUTHS = samples.TRUTHS
FACTOR_COLS = list(TRUTHS["factors"]["columns"])


@pytest.fixture(scope="module")
def t():
    """The committed tables, typed."""
    return {name: samples.load(name) for name in samples.TABLE_ORDER}


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    out = tmp_path_factory.mktemp("samples")
    tables = samples.generate(seed=samples.DEFAULT_SEED, out=out)
    return out, tables


def _score(nps: pd.Series) -> pd.Series:
    """+1 promoter, 0 passive, −1 detractor: NPS (points) = 100 × mean."""
    x = nps.dropna().astype(int)
    return pd.Series(np.where(x >= 9, 1, np.where(x <= 6, -1, 0)), index=x.index)


def _nps(nps: pd.Series) -> float:
    return 100 * _score(nps).mean()


def _welch_p(a: pd.Series, b: pd.Series) -> float:
    return stats.ttest_ind(_score(a), _score(b), equal_var=False).pvalue


# ------------------------------------------------------------------ determinism

def test_same_seed_gives_byte_identical_committed_files(regenerated):
    out, _ = regenerated
    for name in [f"{t}.csv" for t in samples.TABLE_ORDER] + [samples.TELEGRAM_PATH]:
        committed = (SAMPLES_DIR / name).read_bytes()
        assert (out / name).read_bytes() == committed, (
            f"{name} differs from generate(seed={samples.DEFAULT_SEED}); run `make samples`")


def test_cli_other_seed_gives_other_data(tmp_path):
    from cxlab.cli import app

    result = CliRunner().invoke(app, ["samples", "--out", str(tmp_path), "--seed", "7"])
    assert result.exit_code == 0, result.output
    assert str(tmp_path) in result.output  # says where it wrote
    for name in samples.TABLE_ORDER:
        assert (tmp_path / f"{name}.csv").exists()
    other = pd.read_csv(tmp_path / "responses.csv", dtype=str)
    ours = pd.read_csv(SAMPLES_DIR / "responses.csv", dtype=str)
    assert not other.equals(ours)
    assert list(other.columns) == list(ours.columns)


def test_bad_seed_and_table_are_reported():
    with pytest.raises(ParameterError, match="seed"):
        samples.generate(seed=-1, out=None)
    with pytest.raises(ParameterError, match="one of clients"):
        samples.load("answers")


def test_load_missing_directory_is_a_read_error(tmp_path):
    with pytest.raises(ReadError, match="cxlab samples"):
        samples.load("clients", directory=tmp_path)


def test_files_are_plain_utf8_csv_with_iso_dates_and_no_float_ints():
    total = 0
    for name in samples.TABLE_ORDER:
        raw = (SAMPLES_DIR / f"{name}.csv").read_bytes()
        total += len(raw)
        assert b"\r\n" not in raw and not raw.startswith(b"\xef\xbb\xbf")
        raw.decode("utf-8")
    assert total <= 5_000_000  # "a few MB at most"
    resp = pd.read_csv(SAMPLES_DIR / "responses.csv", dtype=str, keep_default_na=False)
    for col in ["nps", "csat"] + FACTOR_COLS:
        vals = resp[col][resp[col] != ""]
        assert vals.str.fullmatch(r"\d+").all(), col
    assert resp["submitted_at"].str.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d").all()
    visits = pd.read_csv(SAMPLES_DIR / "visits.csv", dtype=str)
    assert visits["visit_date"].str.fullmatch(r"\d{4}-\d\d-\d\d").all()


# ------------------------------------------------------------------ validity and integrity

def test_every_table_validates_and_is_typed(t, regenerated):
    _, gen = regenerated
    for name in samples.TABLE_ORDER:
        assert len(t[name]) == len(gen[name]) > 0
        pd.testing.assert_frame_equal(t[name], gen[name])
    r = t["responses"]
    assert str(r["nps"].dtype) == "Int64"
    assert str(r["recommend"].dtype) == "boolean"
    assert pd.api.types.is_datetime64_any_dtype(r["submitted_at"])
    assert sorted(schema.factor_columns(r)) == sorted(FACTOR_COLS)


def test_sizes_are_as_briefed(t):
    assert 1900 <= len(t["clients"]) <= 2600
    assert 5000 <= len(t["responses"]) <= 9000
    q = schema.quarter_of(t["responses"]["submitted_at"])
    assert sorted(q.unique()) == list(TRUTHS["quarters"])
    assert t["responses"]["submitted_at"].max() <= pd.Timestamp("2026-09-30 23:59:59")


def test_referential_integrity(t):
    ids = set(t["clients"]["client_id"])
    for name in ("visits", "responses", "invitations", "contacts"):
        assert set(t[name]["client_id"]) <= ids, name
    assert set(t["complaints"]["client_id"].dropna()) <= ids
    c = t["clients"].set_index("client_id")
    ref = c.dropna(subset=["referred_by"])
    assert (ref["source"] == "referral").all()
    assert (c.loc[ref["referred_by"], "joined_on"].to_numpy() < ref["joined_on"].to_numpy()).all()
    # every visit on or after the family registered
    v = t["visits"].merge(t["clients"][["client_id", "joined_on"]], on="client_id")
    assert (v["visit_date"] >= v["joined_on"]).all()


def test_interviewer_only_on_phone_and_answers_where_expected(t):
    r = t["responses"]
    assert r.loc[r["channel"] == "phone", "interviewer_id"].notna().all()
    assert r.loc[r["channel"] != "phone", "interviewer_id"].isna().all()
    # each response answers exactly one form of the recommendation question
    assert (r["nps"].isna() != r["recommend"].isna()).all()


def test_personal_data_is_synthetic_but_realistic(t):
    c = t["clients"]
    phones = c["phone"].dropna()
    assert phones.str.fullmatch(r"\+7 9\d\d \d{3}-\d\d-\d\d").all() and phones.is_unique
    assert c["email"].dropna().str.fullmatch(r"[a-z]+\.[a-z]\d+@example\.(com|org|net)").all()
    assert c["parent_name"].str.fullmatch(r"[А-ЯЁ][а-яё]+ [А-ЯЁ][а-яё]+ [А-ЯЁ][а-яё]+").all()
    assert c["child_name"].str.fullmatch(r"[А-ЯЁ][а-яё]+ [А-ЯЁ][а-яё]+").all()
    # some comments name the child, so report scans have something to find
    first = c.set_index("client_id")["child_name"].str.split(" ").str[0]
    r = t["responses"].dropna(subset=["comment"])
    named = [name in text for name, text in zip(first.loc[r["client_id"]], r["comment"])]
    assert sum(named) >= 50
    assert r["comment"].str.contains(r"[а-я]").all()


# ------------------------------------------------------------------ planted truths

def test_gamed_interviewer_gives_tens(t):
    ph = t["responses"].query("channel == 'phone'").dropna(subset=["nps"])
    gamed = ph["interviewer_id"] == TRUTHS["gaming"]["interviewer"]
    ten = ph["nps"] == 10
    table = pd.crosstab(gamed, ten)
    p = stats.fisher_exact(table.to_numpy())[1]
    share_gamed, share_other = ten[gamed].mean(), ten[~gamed].mean()
    assert p < 0.01
    assert share_gamed == pytest.approx(TRUTHS["gaming"]["share_10"], abs=0.05)
    assert share_other == pytest.approx(TRUTHS["gaming"]["others_share_10"], abs=0.07)
    per_q = schema.quarter_of(ph.loc[gamed, "submitted_at"]).value_counts()
    assert gamed.sum() >= 150 and len(per_q) == 8


def test_overall_nps_is_realistic(t):
    r = t["responses"]
    lo, hi = TRUTHS["nps"]["overall_range"]
    for ch in ("phone", "messenger", "web"):
        assert lo - 15 <= _nps(r.loc[r["channel"] == ch, "nps"]) <= hi + 10, ch
    assert lo <= _nps(r["nps"]) <= hi


def test_drop_quarter_is_lower_than_its_neighbours(t):
    r = t["responses"].dropna(subset=["nps"])
    q = schema.quarter_of(r["submitted_at"])
    drop = TRUTHS["nps"]["drop_quarter"]
    by_q = {k: r.loc[q == k, "nps"] for k in TRUTHS["quarters"]}
    assert _nps(by_q[drop]) - _nps(by_q["2025Q2"]) == pytest.approx(
        TRUTHS["nps"]["drop_vs_previous"], abs=7)
    assert _welch_p(by_q[drop], by_q["2025Q2"]) < 0.01
    assert _welch_p(by_q[drop], by_q["2025Q4"]) < 0.01
    # the lowest quarter, and lower within each channel too (not a channel-mix artefact)
    assert min(by_q, key=lambda k: _nps(by_q[k])) == drop
    for ch in ("phone", "messenger", "web"):
        m = r["channel"] == ch
        assert _nps(r.loc[m & (q == drop), "nps"]) < _nps(r.loc[m & (q == "2025Q2"), "nps"])


def test_phone_is_higher_than_web(t):
    r = t["responses"]
    phone = r.loc[r["channel"] == "phone"]
    phone_honest = phone.loc[phone["interviewer_id"] != TRUTHS["gaming"]["interviewer"], "nps"]
    web = r.loc[r["channel"] == "web", "nps"]
    messenger = r.loc[r["channel"] == "messenger", "nps"]
    gap = _nps(phone_honest) - _nps(web)
    assert gap == pytest.approx(TRUTHS["nps"]["phone_vs_web_gap"], abs=6)
    assert _welch_p(phone_honest, web) < 0.01
    assert _nps(phone["nps"]) > _nps(messenger) > _nps(web)


def _lapsed_and_camp(t):
    """Independent cohort flags: days since the last visit / last camp visit."""
    r = t["responses"].dropna(subset=["nps"])
    keyed = (r[["response_id", "client_id"]].assign(day=r["submitted_at"].dt.normalize())
             .sort_values("day", kind="stable").reset_index(drop=True))
    v = t["visits"].sort_values("visit_date", kind="stable")
    flags = keyed
    for name, rows in (("last", v), ("last_camp", v[v["programme"] == "camp"])):
        right = rows[["client_id", "visit_date"]].rename(columns={"visit_date": name})
        flags = pd.merge_asof(flags, right, left_on="day", right_on=name, by="client_id")
    out = r.set_index("response_id")
    flags = flags.set_index("response_id")
    since = (flags["day"] - flags["last"]).dt.days
    since_camp = (flags["day"] - flags["last_camp"]).dt.days
    out["lapsed"] = ~(since <= TRUTHS["nps"]["lapsed_days"]).reindex(out.index)
    out["camp"] = (since_camp <= TRUTHS["nps"]["camp_days"]).reindex(out.index)
    return out


def test_lapsed_clients_are_much_lower(t):
    r = _lapsed_and_camp(t)
    lapsed, rest = r.loc[r["lapsed"], "nps"], r.loc[~r["lapsed"], "nps"]
    assert len(lapsed) >= 150
    assert _nps(lapsed) - _nps(rest) == pytest.approx(TRUTHS["nps"]["lapsed_gap"], abs=7)
    assert _welch_p(lapsed, rest) < 0.01
    # surveys of type "lapsed" go to lapsed clients
    assert r.loc[r["survey"] == "lapsed", "lapsed"].all()


def test_camp_attendees_are_higher(t):
    r = _lapsed_and_camp(t)
    camp, rest = r.loc[r["camp"], "nps"], r.loc[~r["camp"], "nps"]
    assert len(camp) >= 300
    assert _nps(camp) - _nps(rest) == pytest.approx(TRUTHS["nps"]["camp_gap"], abs=6)
    assert _welch_p(camp, rest) < 0.01


def test_referrals_follow_nps(t):
    r = t["responses"].dropna(subset=["nps"]).sort_values("submitted_at", kind="stable")
    first = r.drop_duplicates("client_id").copy()
    first["cls"] = np.where(first["nps"] >= 9, "promoter",
                            np.where(first["nps"] >= 7, "passive", "detractor"))
    first["referred"] = first["client_id"].isin(set(t["clients"]["referred_by"].dropna()))
    rates = first.groupby("cls")["referred"].mean()
    for cls, planted in TRUTHS["referrals"]["rate"].items():
        assert rates[cls] == pytest.approx(planted, abs=0.05), cls
    table = pd.crosstab(first["cls"].isin(["promoter"]), first["referred"]).to_numpy()
    assert stats.fisher_exact(table)[1] < 0.01


def test_response_rates_by_channel(t):
    rr = (t["responses"]["channel"].value_counts() / t["invitations"]["channel"].value_counts())
    for ch, planted in TRUTHS["response_rate"].items():
        assert rr[ch] == pytest.approx(planted, abs=0.05), ch
    # every response has an invitation (same client, survey, channel) sent before it
    inv = t["invitations"].groupby(["client_id", "survey", "channel"])["sent_at"].min()
    r = t["responses"].set_index(["client_id", "survey", "channel"])
    assert (inv.reindex(r.index).to_numpy() <= r["submitted_at"].to_numpy()).all()


def test_fcr_by_channel(t):
    c = t["contacts"].sort_values("opened_at", kind="stable")
    nxt = c.groupby(["client_id", "topic"])["opened_at"].shift(-1)
    first_time = ~((nxt - c["opened_at"]) <= pd.Timedelta(days=TRUTHS["fcr_window_days"]))
    fcr = first_time.groupby(c["channel"]).mean()
    for ch in ("phone", "messenger", "web"):
        assert fcr[ch] == pytest.approx(TRUTHS["fcr"][ch], abs=0.05), ch
    assert fcr["phone"] > fcr["messenger"] > fcr["web"]


def test_never_attended_share(t):
    share = 1 - t["clients"]["client_id"].isin(t["visits"]["client_id"]).mean()
    assert share == pytest.approx(TRUTHS["never_attended_share"], abs=0.02)


def test_binary_nps_only_in_the_pilot(t):
    r = t["responses"]
    binary = r["recommend"].notna()
    b = TRUTHS["binary_nps"]
    pilot = ((r["survey"] == b["survey"]) & (r["channel"] == b["channel"])
             & (schema.quarter_of(r["submitted_at"]) == b["quarter"]))
    assert binary.sum() >= 30
    assert (binary == pilot).all()
    assert r.loc[binary, "nps"].isna().all()


def test_complaints_patterns(t):
    cp = t["complaints"]
    hours = (cp["resolved_at"] - cp["received_at"]).dt.total_seconds() / 3600
    med = hours.groupby(cp["channel"]).median()
    assert med.idxmax() == TRUTHS["complaints"]["slowest_channel"]
    email = cp["channel"] == "email"
    assert stats.mannwhitneyu(hours[email].dropna(), hours[~email].dropna()).pvalue < 0.01
    # the camp-organisation surge
    q = schema.quarter_of(cp["received_at"])
    camp = cp["category"] == TRUTHS["complaints"]["surge_category"]
    per_q = camp.groupby(q).sum()
    surge = TRUTHS["complaints"]["surge_quarter"]
    assert per_q[surge] >= 3 * per_q.drop(surge).mean()
    # ~30 % of those satisfied with the resolution are still not loyal
    sat = cp["satisfied_with_resolution"] == True  # noqa: E712 (nullable boolean)
    not_loyal = 1 - cp.loc[sat, "loyal_after"].astype(bool).mean()
    assert not_loyal == pytest.approx(TRUTHS["complaints"]["satisfied_not_loyal_share"], abs=0.08)


def test_complaints_rate_and_deadlines(t):
    cp, v = t["complaints"], t["visits"]
    active = v.groupby(schema.quarter_of(v["visit_date"]))["client_id"].nunique()
    per_q = cp.groupby(schema.quarter_of(cp["received_at"])).size()
    rate = (per_q / active.reindex(per_q.index)).drop(TRUTHS["complaints"]["surge_quarter"])
    assert rate.between(0.04, 0.06).all()
    days = np.busday_count(cp["received_at"].dt.normalize().to_numpy().astype("datetime64[D]"),
                           cp["deadline_at"].dt.normalize().to_numpy().astype("datetime64[D]"))
    expected = cp["importance"].map(TRUTHS["complaints"]["deadline_working_days"])
    weekend = cp["received_at"].dt.day_of_week >= 5  # a weekend complaint starts on Monday
    assert (days[~weekend.to_numpy()] == expected[~weekend].to_numpy()).all()


def test_complainants_score_lower(t):
    r = t["responses"]
    who = set(t["complaints"]["client_id"].dropna())
    comp, rest = r.loc[r["client_id"].isin(who), "nps"], r.loc[~r["client_id"].isin(who), "nps"]
    assert _nps(comp) < _nps(rest) - 10
    assert _welch_p(comp, rest) < 0.01


# ------------------------------------------------------------------ loyalty factors

def test_population_shapley_formula_against_known_cases():
    # independent predictors: the Shapley value of each is its squared correlation
    # (the R² decomposes additively), so shares are β_j² / Σβ²
    beta = np.array([0.5, 0.3, 0.1])
    shares = samples.shapley_shares(np.eye(3), beta)
    np.testing.assert_allclose(shares, beta ** 2 / (beta ** 2).sum(), atol=1e-12)
    # two predictors: φ₁ = (R² + r₁² − r₂²) / 2 (the two orderings averaged)
    corr = np.array([[1.0, 0.6], [0.6, 1.0]])
    r = np.array([0.5, 0.4])
    full = r @ np.linalg.solve(corr, r)
    np.testing.assert_allclose(samples.shapley_from_corr(corr, r),
                               [(full + 0.25 - 0.16) / 2, (full + 0.16 - 0.25) / 2])
    truth = TRUTHS["factors"]["shapley_shares"]
    assert sum(truth.values()) == pytest.approx(1, abs=1e-3)


def _ols_r2(y: np.ndarray, x: np.ndarray) -> float:
    if x.shape[1] == 0:
        return 0.0
    return sm.OLS(y, sm.add_constant(x)).fit().rsquared


def test_factor_importance_in_the_data_matches_the_planted_shapley(t):
    r = t["responses"]
    r = r[r["interviewer_id"].fillna("") != TRUTHS["gaming"]["interviewer"]]
    cc = r.dropna(subset=FACTOR_COLS + ["nps"])
    y = cc["nps"].to_numpy(float)
    x = cc[FACTOR_COLS].to_numpy(float)
    p = len(FACTOR_COLS)
    # brute force: refit OLS for every subset (independent of the generator's formula)
    r2 = {s: _ols_r2(y, x[:, list(s)]) for k in range(p + 1)
          for s in itertools.combinations(range(p), k)}
    phi = np.zeros(p)
    for j in range(p):
        for k in range(p):
            w = 1 / (p * math.comb(p - 1, k))  # |S|! (p-|S|-1)! / p!
            for s in itertools.combinations([i for i in range(p) if i != j], k):
                phi[j] += w * (r2[tuple(sorted(s + (j,)))] - r2[s])
    shares = dict(zip(FACTOR_COLS, phi / phi.sum()))
    truth = TRUTHS["factors"]["shapley_shares"]
    for col in FACTOR_COLS:
        assert shares[col] == pytest.approx(truth[col], abs=0.04), col
    top2 = set(sorted(shares, key=shares.get)[-2:])
    assert top2 == {"f_teacher_attention", "f_child_enjoyment"}
    # the instructive disagreement: teacher_feedback has a sizeable Shapley share but
    # ~no own regression effect, and a high VIF
    fit = sm.OLS(y, sm.add_constant((x - x.mean(0)) / x.std(0))).fit()
    fb = FACTOR_COLS.index("f_teacher_feedback")
    assert shares["f_teacher_feedback"] > 0.07
    assert fit.params[fb + 1] < 0.05 and fit.pvalues[fb + 1] > 0.01
    from statsmodels.stats.outliers_influence import variance_inflation_factor
    vif = variance_inflation_factor(sm.add_constant(x), fb + 1)
    assert vif > 2
    assert np.corrcoef(x[:, 0], x[:, fb])[0, 1] > 0.65


def test_asymmetric_factors_keep_the_linear_covariances_by_simulation():
    # the must-be and delighter terms have average slope 1, so (Stein's lemma) the latent
    # score covaries with the factor scores as the linear model's does, and the planted
    # (linear-regression) Shapley shares stand; their own variance is the exact one the
    # generator divides by. Independent: a large plain simulation of the latent scores.
    f = TRUTHS["factors"]
    assert f["must_be"] == "f_safety" and f["delighter"] == "f_price_value"
    assert set(f["shapes"]) == {f["must_be"], f["delighter"]}
    assert set(f["linear"]) == set(FACTOR_COLS) - set(f["shapes"])
    rng = np.random.default_rng(7)
    z = rng.multivariate_normal(np.zeros(len(samples.FACTORS)), samples.FACTOR_CORR,
                                size=1_000_000)
    beta = np.array([f["weights"][c] for c in FACTOR_COLS])
    term = z @ beta
    for col, s in f["shapes"].items():
        j = FACTOR_COLS.index(col)
        c, m = s["kink_latent"], s["mix"]
        kinked = np.minimum(z[:, j], c) if s["kind"] == "must_be" else np.maximum(z[:, j], c)
        tail = (z[:, j] < c) if s["kind"] == "must_be" else (z[:, j] > c)
        h = (1 - m) * z[:, j] + m * (kinked - kinked.mean()) / tail.mean()
        term += beta[j] * (h - z[:, j])
        # slopes as planted: steep on the kinked side, (1 − m) on the other
        steep = (1 - m) + m / tail.mean()
        assert (s["slope_below"], s["slope_above"]) == pytest.approx(
            (steep, 1 - m) if s["kind"] == "must_be" else (1 - m, steep), abs=0.01)
    np.testing.assert_allclose(term, samples._factor_term(z), atol=0.01)
    cov = (z - z.mean(0)).T @ (term - term.mean()) / len(term)
    np.testing.assert_allclose(cov, samples.FACTOR_CORR @ beta, atol=0.006)
    assert term.std() == pytest.approx(samples._TERM_SD, abs=0.004)
    np.testing.assert_allclose(samples.shapley_shares(samples.FACTOR_CORR, beta),
                               list(f["shapley_shares"].values()), atol=1e-4)


def test_must_be_and_delighter_show_in_raw_band_shares(t):
    # one factor at a time, pandas only: the detractor share's rise from a middle (4) to a
    # low (1–3) rating against the promoter share's rise from 4 to 5. Halo makes both
    # large for every factor, but safety's is the most tilted to the penalty and
    # price_value's the most tilted to the reward.
    r = t["responses"].dropna(subset=["nps"])
    tilt = {}
    for col in FACTOR_COLS:
        x, nps = r[col], r["nps"]
        det = (nps <= 6)[x.notna()].groupby(pd.cut(x.dropna(), [0, 3, 4, 5])).mean()
        pro = (nps >= 9)[x.notna()].groupby(pd.cut(x.dropna(), [0, 3, 4, 5])).mean()
        tilt[col] = (det.iloc[0] - det.iloc[1]) / (pro.iloc[2] - pro.iloc[1])
    order = sorted(tilt, key=tilt.get)
    assert order[-1] == TRUTHS["factors"]["must_be"] and tilt[order[-1]] > 1.2
    assert order[0] == TRUTHS["factors"]["delighter"] and tilt[order[0]] < 0.7
    linear = [tilt[c] for c in TRUTHS["factors"]["linear"]]
    assert 0.75 < min(linear) and max(linear) < 1.0


def test_factor_not_applicable_shares(t):
    na = t["responses"][FACTOR_COLS].isna().mean()
    assert na.max() <= 0.12
    assert na["f_schedule"] >= 0.05
    assert (t["responses"][FACTOR_COLS].stack().between(1, 5)).all()


def test_study_describes_the_factor_columns():
    st = load_study(SAMPLE_STUDY)
    for f in st.factors.values():
        assert f.hypothesis in st.hypotheses
        assert (f.scale.lo, f.scale.hi) == (1, 5)
        assert f.question("ru").endswith("?") and f.question("en").endswith("?")
        assert f.label("ru") and f.label("en")
        # one factor = one question: no "и"/"and" joining two things to rate
        assert not re.search(r"\s(и|или)\s", f.question("ru")), f.question("ru")
        assert not re.search(r"\s(and|or)\s", f.question("en")), f.question("en")
    assert sorted(st.factor_columns) == sorted(FACTOR_COLS)


def test_readme_documents_every_planted_number():
    text = (SAMPLES_DIR / "README.md").read_text(encoding="utf-8")
    for col, share in TRUTHS["factors"]["shapley_shares"].items():
        assert col in text and f"{share:.3f}" in text, col
    for col, w in TRUTHS["factors"]["weights"].items():
        assert f"{w:+.2f}" in text, col
    for col, s in TRUTHS["factors"]["shapes"].items():
        row = next(x for x in text.splitlines() if x.startswith(f"| `{col}` | **"))
        for v in (f"{abs(s['kink_latent']):.3f}", f"{s['mix']:g}",
                  f"{s['slope_below']:.2f}", f"{s['slope_above']:.2f}",
                  f"{s['kink_at_rating'] - 1} \\| {s['kink_at_rating']}"):
            assert v in row, (col, v)
    for name in samples.TABLE_ORDER:
        assert f"`{name}.csv`" in text
    for col in schema.TABLES["responses"].column_names + FACTOR_COLS:
        assert f"`{col}`" in text, col
    assert TRUTHS["gaming"]["interviewer"] in text and TRUTHS["nps"]["drop_quarter"] in text


def test_measured_truths_are_current(t):
    # TRUTHS["measured"] (and the README) quote these figures for the committed data
    assert samples.measure(t) == TRUTHS["measured"]
    m = TRUTHS["measured"]
    assert m["drop_vs_previous"] == pytest.approx(TRUTHS["nps"]["drop_vs_previous"], abs=3)
    assert m["lapsed_gap"] == pytest.approx(TRUTHS["nps"]["lapsed_gap"], abs=3)
    assert m["camp_gap"] == pytest.approx(TRUTHS["nps"]["camp_gap"], abs=3)
    assert m["phone_vs_web_gap"] == pytest.approx(TRUTHS["nps"]["phone_vs_web_gap"], abs=3)


# ------------------------------------------------------------------ what clients say
#
# Counted without any NLP library: a comment mentions the schedule (parking) when one of
# its words starts with one of these stems, the forms the generator writes (a test below
# checks that no other theme's sentence contains them, so a count of words is a count of
# planted mentions).

SCHEDULE_WORDS = re.compile(r"\b(?:расписани|перенес|перенос|врем|отмен|выходн)", re.IGNORECASE)
PARKING_WORDS = re.compile(r"\b(?:парков|припарков|машин|стоянк)", re.IGNORECASE)
COMMENTS = TRUTHS["comments"]
SURGE = COMMENTS["schedule_surge_quarter"]


def _binomial_ok(k: int, n: int, p: float, z: float = 3.5) -> bool:
    """k of n within z binomial standard errors of p. The committed data are one draw:
    3.5 standard errors leave a false alarm of ~5 in 10,000 per check (about 1 % over the
    ~20 checks below), while a share planted wrong by a few points is still caught."""
    return abs(k / n - p) <= z * math.sqrt(p * (1 - p) / n)


@pytest.fixture(scope="module")
def comments():
    """The committed comments of 0–10 answers, raw, with category and quarter."""
    r = pd.read_csv(SAMPLES_DIR / "responses.csv", dtype=str, keep_default_na=False)
    r = r[(r["comment"] != "") & (r["nps"] != "")].copy()
    n = r["nps"].astype(int)
    r["cat"] = np.where(n >= 9, "promoter", np.where(n >= 7, "passive", "detractor"))
    r["quarter"] = pd.PeriodIndex(pd.to_datetime(r["submitted_at"]), freq="Q").astype(str)
    r["schedule"] = r["comment"].str.contains(SCHEDULE_WORDS)
    r["parking"] = r["comment"].str.contains(PARKING_WORDS)
    return r


def test_comment_stems_are_the_generators_own_and_no_other_theme_uses_them():
    assert SCHEDULE_WORDS.pattern.count("|") + 1 == len(COMMENTS["theme_stems"]["schedule"])
    for stem in COMMENTS["theme_stems"]["schedule"]:
        assert stem in SCHEDULE_WORDS.pattern
    for stem in COMMENTS["theme_stems"]["parking"]:
        assert stem in PARKING_WORDS.pattern
    cases = next(iter(samples.CHILD_CASES.items()))
    for theme, pols in samples.COMMENT_TEMPLATES.items():
        for pol, templates in pols.items():
            assert 4 <= len(templates) <= 9, (theme, pol)
            for tpl in templates:
                text = tpl.format(child=cases[0], child_gen=cases[1][0],
                                  child_dat=cases[1][1], a="а", sya="ась")
                assert bool(SCHEDULE_WORDS.search(text)) == (theme == "schedule"), text
                assert bool(PARKING_WORDS.search(text)) == (theme == "parking"), text
    # every boy's and girl's name has its case forms written out
    assert set(samples.CHILD_CASES) == set(samples.CHILD_GIRLS) | set(samples.CHILD_BOYS)


def test_schedule_surge_in_detractors_comments(comments):
    det = comments[comments["cat"] == "detractor"]
    before = det[det["quarter"] != SURGE]
    surge = det[det["quarter"] == SURGE]
    p_surge = COMMENTS["comment_schedule_detractors_" + SURGE]
    p_before = COMMENTS["comment_schedule_detractors_before"]
    assert len(surge) >= 50 and len(before) >= 300
    assert _binomial_ok(surge["schedule"].sum(), len(surge), p_surge)
    assert _binomial_ok(before["schedule"].sum(), len(before), p_before)
    # each earlier quarter with enough comments is at the lower level, and below the surge
    for q, g in before.groupby("quarter"):
        if len(g) >= 30:
            assert _binomial_ok(g["schedule"].sum(), len(g), p_before), q
            assert g["schedule"].mean() < surge["schedule"].mean() - 0.15, q
    table = [[surge["schedule"].sum(), (~surge["schedule"]).sum()],
             [before["schedule"].sum(), (~before["schedule"]).sum()]]
    assert stats.fisher_exact(table)[1] < 1e-6
    # passives and promoters: the same level in every quarter, no surge
    for cat in ("passive", "promoter"):
        g = comments[comments["cat"] == cat]
        assert _binomial_ok(g["schedule"].sum(), len(g), COMMENTS["comment_schedule_by_category"][cat])


def test_parking_is_raised_by_category_in_every_quarter(comments):
    planted = COMMENTS["comment_parking_by_category"]
    assert COMMENTS["off_questionnaire_theme"] == "parking"
    for cat, p in planted.items():
        g = comments[comments["cat"] == cat]
        assert _binomial_ok(g["parking"].sum(), len(g), p), cat
        for q, gq in g.groupby("quarter"):
            if len(gq) >= 30:
                assert _binomial_ok(gq["parking"].sum(), len(gq), p), (cat, q)
    share = comments.groupby("cat")["parking"].mean()
    assert share["detractor"] > share["passive"] > share["promoter"]


def test_comments_follow_the_ratings_and_the_category(comments):
    # a detractor who rated value for money 1–2 complains about the price far more often
    # than one who rated it 4–5; promoters thank, detractors do not
    det = comments[comments["cat"] == "detractor"]
    price = det["comment"].str.contains(r"\b(?:дорог|цен|стоимост|абонемент)", case=False)
    low = det["f_price_value"].isin(["1", "2"])
    high = det["f_price_value"].isin(["4", "5"])
    assert price[low].mean() > price[high].mean() + 0.2
    thanks = comments["comment"].str.contains(r"\b(?:спасибо|благодар)", case=False)
    assert thanks[comments["cat"] == "promoter"].mean() > 0.3
    assert thanks[comments["cat"] == "detractor"].mean() == 0
    # some comments name the child in another case (redaction must find them)
    cases = [g for g, _ in samples.CHILD_CASES.values()] + [d for _, d in samples.CHILD_CASES.values()]
    inflected = re.compile(r"(?:для|к) (?:" + "|".join(sorted(set(cases))) + r")\b")
    assert comments["comment"].str.contains(inflected).sum() >= 30


def test_comment_code_leaves_every_other_value_alone(tmp_path, monkeypatch):
    # the comments (and the Telegram export) draw from their own generator: another key
    # for it changes what comments say, and nothing else of any table
    monkeypatch.setattr(samples, "COMMENT_RNG_KEY", 99)
    samples.generate(seed=samples.DEFAULT_SEED, out=tmp_path)
    for name in samples.TABLE_ORDER:
        if name != "responses":
            assert (tmp_path / f"{name}.csv").read_bytes() == (SAMPLES_DIR / f"{name}.csv").read_bytes(), name
    other = pd.read_csv(tmp_path / "responses.csv", dtype=str, keep_default_na=False)
    ours = pd.read_csv(SAMPLES_DIR / "responses.csv", dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(other.drop(columns="comment"), ours.drop(columns="comment"))
    assert ((other["comment"] == "") == (ours["comment"] == "")).all()
    assert (other["comment"] != ours["comment"]).mean() > 0.3
    assert (tmp_path / samples.TELEGRAM_PATH).read_bytes() != (
        SAMPLES_DIR / samples.TELEGRAM_PATH).read_bytes()


def test_study_themes_match_the_generators_words():
    st = load_study(SAMPLE_STUDY)
    for fid, f in st.factors.items():
        assert tuple(f.themes) == COMMENTS["theme_lemmas"][fid], fid
    assert set(st.themes) == {"praise"}
    assert tuple(st.themes["praise"].lemmas) == COMMENTS["theme_lemmas"]["praise"]
    # parking is left for the analysis to find: no theme of the study names it
    every = {w for lemmas in st.theme_lemmas.values() for w in lemmas}
    assert not every & set(COMMENTS["theme_lemmas"]["parking"])
    assert st.quotes is True
    assert dict(st.feedback.roles) == TRUTHS["telegram"]["roles"]
    assert st.feedback.client_ref == TRUTHS["telegram"]["client_ref"]


def test_templates_lemmatise_to_their_own_theme_only():
    # the study's lemma lists (pymorphy3 normal forms) find each sentence's own theme and
    # no other; skipped where pymorphy3 is not installed
    pymorphy3 = pytest.importorskip("pymorphy3")
    morph = pymorphy3.MorphAnalyzer()
    lemmas = COMMENTS["theme_lemmas"]
    for theme, pols in samples.COMMENT_TEMPLATES.items():
        for templates in pols.values():
            for tpl in templates:
                text = tpl.format(child="Маша", child_gen="Маши", child_dat="Маше", a="а",
                                  sya="ась")
                got = {morph.parse(w)[0].normal_form.replace("ё", "е")
                       for w in re.findall(r"\w+", text.lower())}
                hit = {t for t, ws in lemmas.items() if got & set(ws)}
                assert hit == (set() if theme == "general" else {theme}), text


# ------------------------------------------------------------------ the feedback group

@pytest.fixture(scope="module")
def export():
    import json

    return json.loads((SAMPLES_DIR / samples.TELEGRAM_PATH).read_text(encoding="utf-8"))


def _text(m) -> str:
    t = m["text"]
    return t if isinstance(t, str) else "".join(p if isinstance(p, str) else p["text"] for p in t)


def test_telegram_export_has_the_desktop_format(export):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    assert export["name"] == "ОБРАТНАЯ СВЯЗЬ" and export["type"] == "private_supergroup"
    assert isinstance(export["id"], int)
    msgs = export["messages"]
    assert 600 <= len(msgs) <= 900
    ids = [m["id"] for m in msgs]
    assert len(set(ids)) == len(ids) and ids == sorted(ids)
    by_id = {m["id"]: m for m in msgs}
    moscow = ZoneInfo("Europe/Moscow")
    for m in msgs:
        assert m["type"] in ("message", "service")
        for key, unix in (("date", "date_unixtime"), ("edited", "edited_unixtime")):
            if key in m:
                local = datetime.fromtimestamp(int(m[unix]), moscow)
                assert m[key] == local.strftime("%Y-%m-%dT%H:%M:%S"), m["id"]
        assert "2024-10-01T00:00:00" <= m["date"] <= "2026-09-30T23:59:59"
        if "reply_to_message_id" in m:
            target = by_id[m["reply_to_message_id"]]  # exists
            assert target["date_unixtime"] <= m["date_unixtime"] and target["id"] < m["id"]
        if m["type"] == "service":
            assert m["action"] in ("join_group_by_link", "pin_message", "invite_members")
            assert m["actor"] and m["actor_id"].startswith("user") and "from" not in m
            if m["action"] == "pin_message":
                assert m["message_id"] in by_id
            continue
        assert m["from"] and re.fullmatch(r"user\d{10}", m["from_id"])
        # text_entities spell out the text: the plain string, or the list's parts
        ents = m["text_entities"]
        assert "".join(e["text"] for e in ents) == _text(m)
        if isinstance(m["text"], list):
            assert len(ents) == len(m["text"])
            for part, e in zip(m["text"], ents):
                assert e == ({"type": "plain", "text": part} if isinstance(part, str) else part)
                if not isinstance(part, str):
                    assert part["type"] in ("bold", "mention", "phone", "link", "hashtag")
        if "photo" in m:
            d = m["date"]
            stamp = f"{d[8:10]}-{d[5:7]}-{d[:4]}_{d[11:].replace(':', '-')}"
            assert re.fullmatch(rf"photos/photo_\d+@{stamp}\.jpg", m["photo"])
            assert m["width"] > 0 and m["height"] > 0
        if m.get("media_type") == "sticker":
            assert m["text"] == "" and m["sticker_emoji"]
    kinds = {
        "list texts": sum(isinstance(m.get("text"), list) for m in msgs),
        "service": sum(m["type"] == "service" for m in msgs),
        "replies": sum("reply_to_message_id" in m for m in msgs),
        "photos": sum("photo" in m for m in msgs),
        "captionless photos": sum("photo" in m and m["text"] == "" for m in msgs),
        "stickers": sum(m.get("media_type") == "sticker" for m in msgs),
        "edited": sum("edited" in m for m in msgs),
    }
    assert min(kinds.values()) >= 3, kinds
    assert {m["action"] for m in msgs if m["type"] == "service"} == {
        "join_group_by_link", "pin_message", "invite_members"}
    staff = {m["from_id"]: m["from"] for m in msgs if m["type"] == "message"}
    assert set(staff) == set(TRUTHS["telegram"]["roles"])


def test_telegram_refers_to_real_clients_and_carries_personal_data(export):
    clients = pd.read_csv(SAMPLES_DIR / "clients.csv", dtype=str, keep_default_na=False)
    ids = set(clients["client_id"])
    texts = [_text(m) for m in export["messages"] if m["type"] == "message"]
    refs = [x for t in texts for x in re.findall(TRUTHS["telegram"]["client_ref"], t)]
    assert len(refs) >= 200 and set(refs) <= ids
    # the phone parts are the client's own phone, the child named in the same message
    phones = dict(zip(clients["phone"], clients["client_id"]))
    first = dict(zip(clients["client_id"], clients["child_name"].str.split(" ").str[0]))
    n_phone = 0
    for m in export["messages"]:
        parts = m["text"] if isinstance(m["text"], list) else []
        for p in parts:
            if isinstance(p, dict) and p["type"] == "phone":
                n_phone += 1
                cid = re.search(TRUTHS["telegram"]["client_ref"], _text(m)).group(1)
                assert phones[p["text"]] == cid
                gen = samples.CHILD_CASES[first[cid]][0]
                assert gen in _text(m)
    assert n_phone >= 5
    # answers of the head of improvements reply to what was relayed
    head = next(k for k, v in TRUTHS["telegram"]["roles"].items() if v == "improvements")
    answers = [m for m in export["messages"] if m.get("from_id") == head
               and "reply_to_message_id" in m]
    assert len(answers) >= 100
    assert all(_text(m).startswith(("Принято", "Передали", "Видел")) for m in answers
               if m["text"])


def test_telegram_planted_themes(export):
    tg = TRUTHS["telegram"]
    relay = {k for k, v in tg["roles"].items() if v in tg["relaying_roles"]}
    fb = [m for m in export["messages"] if m["type"] == "message" and m["from_id"] in relay
          and "reply_to_message_id" not in m and _text(m)]
    q = pd.PeriodIndex(pd.to_datetime([m["date"] for m in fb]), freq="Q").astype(str)
    sched = np.array([bool(SCHEDULE_WORDS.search(_text(m))) for m in fb])
    park = np.array([bool(PARKING_WORDS.search(_text(m))) for m in fb])
    surge = np.asarray(q == SURGE)
    assert surge.sum() >= 40 and (~surge).sum() >= 250
    assert _binomial_ok(sched[surge].sum(), surge.sum(), tg["feedback_schedule_" + SURGE])
    assert _binomial_ok(sched[~surge].sum(), (~surge).sum(), tg["feedback_schedule_before"])
    assert _binomial_ok(park.sum(), len(park), tg["feedback_parking"])
    assert sched[surge].mean() > sched[~surge].mean() + 0.15
    assert samples.measure_telegram(export) == tg["measured"]


def test_telegram_export_is_written_with_the_tables(regenerated, export):
    out, _ = regenerated
    raw = (out / samples.TELEGRAM_PATH).read_bytes()
    assert raw == (SAMPLES_DIR / samples.TELEGRAM_PATH).read_bytes()
    assert "ОБРАТНАЯ СВЯЗЬ".encode() in raw and b"\\u04" not in raw  # not ASCII-escaped
    assert raw.startswith(b'{\n "name"')  # indent 1, as Telegram Desktop writes


def test_readme_documents_what_clients_say():
    text = (SAMPLES_DIR / "README.md").read_text(encoding="utf-8")
    m = TRUTHS["measured"]
    for v in (COMMENTS["comment_schedule_detractors_" + SURGE],
              COMMENTS["comment_schedule_detractors_before"],
              *COMMENTS["comment_parking_by_category"].values(),
              m["comment_schedule_detractors_" + SURGE], m["comment_schedule_detractors_before"],
              TRUTHS["telegram"]["feedback_schedule_" + SURGE],
              TRUTHS["telegram"]["measured"]["schedule_" + SURGE]):
        assert f"{v:.2f}" in text or f"{v:.3f}" in text, v
    assert "[seed, 16]" in text and "`telegram/result.json`" in text
    for from_id in TRUTHS["telegram"]["roles"]:
        assert from_id in text
