"""The quarter-wide disclosure audit (cxlab.disclosure), checked against brute force.

The attacker's interval of a hidden count is computed by linear programming; here it is
compared with an exhaustive enumeration of every integer table consistent with what is
published (the independent check), on tables small enough to enumerate.
"""

from __future__ import annotations


import numpy as np
import pytest

from cxlab import disclosure
from cxlab.errors import DisclosureError

K = 5


def _count(records, cid, population, ids, shown=True, reliability=None, min_n=30):
    records.append({"kind": "count", "id": cid, "population": population,
                    "ids": [str(i) for i in ids], "value": len(ids), "shown": shown,
                    "reliability": reliability, "min_n": min_n})


def _grid(table):
    """Members of a two-way table of counts: cell (i, j) holds ids f"{i}.{j}.{m}"."""
    cells = {}
    for (i, j), v in np.ndenumerate(table):
        cells[i, j] = [f"{i}.{j}.{m}" for m in range(v)]
    return cells


def _publish_grid(table):
    """Every cell, row total, column total and the grand total of ``table`` as records."""
    cells = _grid(table)
    recs = []
    rows, cols = table.shape
    for (i, j), ids in cells.items():
        _count(recs, f"c{i}{j}", "answers", ids)
    for i in range(rows):
        _count(recs, f"r{i}", "answers", sum((cells[i, j] for j in range(cols)), []))
    for j in range(cols):
        _count(recs, f"k{j}", "answers", sum((cells[i, j] for i in range(rows)), []))
    _count(recs, "t", "answers", sum(cells.values(), []))
    return recs


def _brute_interval(table, hidden, target, hidden_margins=()):
    """Min and max of ``target`` over all non-negative integer tables that agree with
    ``table`` on every shown cell and every shown row, column and grand total (every
    combination of the hidden cells enumerated, numpy-vectorised)."""
    cells = sorted(hidden)
    rows, cols = table.sum(axis=1), table.sum(axis=0)
    show_r = [f"r{i}" not in hidden_margins for i in range(len(rows))]
    show_c = [f"k{j}" not in hidden_margins for j in range(len(cols))]
    caps = ([int(table.sum())] if "t" not in hidden_margins else []) + \
        ([int(rows.sum())] if all(show_r) else []) + ([int(cols.sum())] if all(show_c) else [])
    assert caps, "a shown total caps the enumeration"
    # a cell can hold no more than a shown total it is part of
    ranges = [np.arange(min([rows[i]] * show_r[i] + [cols[j]] * show_c[j] + caps) + 1)
              for i, j in cells]
    grid = np.stack([g.ravel() for g in np.meshgrid(*ranges, indexing="ij")], axis=1)
    ok = np.ones(len(grid), dtype=bool)
    base = table.copy()
    for c in cells:
        base[c] = 0
    for i in range(len(rows)):
        if show_r[i]:
            ok &= base[i].sum() + grid[:, [n for n, c in enumerate(cells) if c[0] == i]].sum(axis=1) == rows[i]
    for j in range(len(cols)):
        if show_c[j]:
            ok &= base[:, j].sum() + grid[:, [n for n, c in enumerate(cells) if c[1] == j]].sum(axis=1) == cols[j]
    if "t" not in hidden_margins:
        ok &= base.sum() + grid.sum(axis=1) == table.sum()
    values = grid[ok, cells.index(target)]
    return int(values.min()), int(values.max())


def test_a_difference_across_pages_is_closed():
    # web answers shown on one page (111), "did not complain" on another (108): the 3
    # complainants would be 111 − 108. The audit hides one of the two as well.
    recs = []
    _count(recs, "web", "answers", range(111))
    _count(recs, "complained", "answers", range(3), shown=False)
    _count(recs, "not", "answers", range(3, 111))
    result = disclosure.audit(recs, K)
    assert "complained" in result.hide
    assert {"web", "not"} & result.hide, "one side of the difference must go"
    value, lo, hi = next(iter(result.intervals.values()))
    assert value == 3 and hi - lo >= K


def test_the_same_group_on_two_pages_is_one_unknown():
    recs = []
    _count(recs, "a", "answers", range(3), shown=False)
    _count(recs, "b", "answers", range(3))  # the same members, shown elsewhere
    _count(recs, "c", "answers", range(50))
    result = disclosure.audit(recs, K)
    assert {"a", "b"} <= result.hide


@pytest.mark.parametrize("seed", range(6))
def test_two_way_table_intervals_equal_brute_force(seed):
    """Cross-tabs with margins: after the audit, each small cell's attacker interval from
    the LP equals the exhaustive integer enumeration and is at least K wide."""
    rng = np.random.default_rng(seed)
    table = rng.integers(0, 9, size=(2, 3))
    table[rng.integers(0, 2), rng.integers(0, 3)] = rng.integers(1, K)  # at least one small
    recs = _publish_grid(table)
    result = disclosure.audit(recs, K)
    hidden = {(int(c[1]), int(c[2])) for c in result.hide if c.startswith("c")}
    margins_hidden = {c for c in result.hide if not c.startswith("c")}
    for (i, j), v in np.ndenumerate(table):
        if 0 < v < K:
            assert (i, j) in hidden
            lo, hi = _brute_interval(table, hidden, (i, j), margins_hidden)
            assert hi - lo >= K, (table, hidden, (i, j), lo, hi)


def test_lp_interval_matches_enumeration_for_a_fixed_pattern():
    # a 2×2 table with every margin shown and all four cells hidden: cell (0, 0) = 3
    table = np.array([[3, 6], [7, 2]])
    recs = _publish_grid(table)
    for r in recs:
        if r["id"].startswith("c"):
            r["shown"] = False
    pb = disclosure._Problem(recs, K)
    target = pb.var_of["c00"]
    hidden = {pb.var_of[f"c{i}{j}"] for i in range(2) for j in range(2)}
    lo, hi, _ = pb.bounds(target, hidden, set())
    assert (lo, hi) == _brute_interval(table, {(0, 0), (0, 1), (1, 0), (1, 1)}, (0, 0))


def test_n_times_rate_hides_the_rate_of_a_small_numerator():
    # 58 invitations, 3 answers, a 5 % response rate: 58 × 5 % gives the 3 back
    recs = []
    _count(recs, "inv", "invitations", range(58))
    _count(recs, "ans", "answers", range(3), shown=False)
    recs.append({"kind": "rate", "id": "rate", "numerator": "ans", "denominator": "inv",
                 "at_least": 0.045, "at_most": 0.055})
    result = disclosure.audit(recs, K)
    assert "rate" in result.hide and "inv" not in result.hide


def test_a_rate_that_pins_a_small_count_through_another_total_is_hidden():
    # answers shown per channel (a: 40 = 37 + 3); the 3 hidden; the web rate of a second
    # table pins the web answers through their invitations
    recs = []
    _count(recs, "all", "answers", range(40))
    _count(recs, "phone", "answers", range(37))
    _count(recs, "web", "answers", range(37, 40), shown=False)
    _count(recs, "inv_web", "invitations", range(100))
    recs.append({"kind": "rate", "id": "rate_web", "numerator": "web",
                 "denominator": "inv_web", "at_least": 0.025, "at_most": 0.035})
    result = disclosure.audit(recs, K)
    value, lo, hi = result.intervals[disclosure._Problem(recs, K).var_of["web"]]
    assert hi - lo >= K and "rate_web" in result.hide


def test_a_shown_estimate_bounds_a_hidden_count_from_below():
    # the secondary cell's estimate is shown, so the attacker knows it has ≥ 30 members
    recs = []
    _count(recs, "total", "answers", range(40))
    _count(recs, "small", "answers", range(3), shown=False, reliability=False)
    _count(recs, "big", "answers", range(3, 40), reliability=True)
    result = disclosure.audit(recs, K)
    # hiding "big" (37, estimate shown ⇒ ≥ 30) leaves small ∈ [0, 10]: protected
    value, lo, hi = next(iter(result.intervals.values()))
    assert (lo, hi) == (0, 10)


def test_unprotectable_count_refuses_to_render():
    # a small count that is pinned by a rate which cannot be hidden (its only option is
    # the very numerator) — construct: the count is shown elsewhere as part of the same
    # variable only through bounds: reliability says ≥ 30 and ≤ 29 cannot both hold, so
    # use a direct contradiction of the model instead: a count whose members differ from
    # its value is refused
    recs = [{"kind": "count", "id": "x", "population": "answers", "ids": ["1", "2"],
             "value": 3, "shown": True, "reliability": None, "min_n": 30}]
    with pytest.raises(DisclosureError, match="does not match its members"):
        disclosure.audit(recs, K)


def test_markers_round_trip():
    text = "n = " + disclosure.mark("ab.1", "653") + " and " + disclosure.mark("ab.2", "3")
    res = disclosure.Audit(hide={"ab.2"}, intervals={}, secondary=0, checked=1)
    assert disclosure.apply(text, res, "hidden") == "n = 653 and hidden"
    assert disclosure.unmark(text) == "n = 653 and 3"


def test_a_marker_forged_in_the_data_neither_hides_nor_reveals():
    forged = disclosure.START + "ab.2" + disclosure.SEP  # a data value opening a marker
    text = "team " + forged + " n = " + disclosure.mark("ab.2", "3") + disclosure.END
    res = disclosure.Audit(hide={"ab.2"}, intervals={}, secondary=0, checked=1)
    out = disclosure.apply(text, res, "<hidden>")
    assert "3" not in out.replace("ab.2", "") and "&lt;hidden&gt;" in out
    assert not set(out) & {disclosure.START, disclosure.SEP, disclosure.END}


@pytest.mark.parametrize("seed", range(5))
def test_atoms_equal_the_members_grouped_by_their_counts(seed):
    """The vectorised atoms (sorted keys, signatures) against the definition written out
    in Python: members that belong to exactly the same published counts, with blocks
    counting for their size."""
    rng = np.random.default_rng(seed)
    n, k = 300, 12
    member_of = rng.random((n, k)) < 0.3
    blocks = {f"\ue004block{i}": int(rng.integers(2, 9)) for i in range(5)}
    names = [str(i) for i in range(n - 5)] + list(blocks)
    size = {m: blocks.get(m, 1) for m in names}
    recs = []
    for j in range(k):
        ids = [names[i] for i in np.flatnonzero(member_of[:, j])]
        rec = {"kind": "count", "id": f"c{j}", "population": "answers", "ids": ids,
               "value": sum(size[m] for m in ids), "shown": True, "reliability": None,
               "min_n": 30}
        if any(m in blocks for m in ids):
            rec["sizes"] = {m: blocks[m] for m in ids if m in blocks}
        recs.append(rec)
    pb = disclosure._Problem(recs, K)
    # the definition: group members by the set of counts (distinct member sets) they are in
    var_sets = {}
    for j in range(k):
        var_sets.setdefault(frozenset(np.flatnonzero(member_of[:, j])), []).append(j)
    want: dict[frozenset, int] = {}
    for i, m in enumerate(names):
        vs = frozenset(pb.var_of[f"c{j}"] for j in range(k) if member_of[i, j])
        if vs:
            want[vs] = want.get(vs, 0) + size[m]
    M = pb.M.toarray()
    got = {frozenset(np.flatnonzero(M[:, a])): pb.truth[a] for a in range(pb.n_atoms)}
    assert got == want


def test_subsets_keys_are_the_member_keys_of_the_subset():
    # cxlab.disclosure.Subsets hashes and sorts once; each subset's keys must be exactly
    # what member_keys makes of the subset's ids (the ledger's members files)
    rng = np.random.default_rng(4)
    ids = np.array([f"R{i}" for i in rng.integers(0, 3000, size=5000)], dtype=object)
    sets = disclosure.Subsets("answers", ids)
    for mask in (None, rng.random(5000) < 0.3, np.zeros(5000, dtype=bool), ids == ids[0]):
        m = sets.of(mask)
        want = ids if mask is None else ids[mask]
        assert (m.hashed() == disclosure.member_keys(want)).all()
        assert m.hashed().shape == disclosure.member_keys(want).shape
        assert list(m.ids) == list(want) and m.population == "answers"
        assert len(m) == len(want) and list(np.asarray(m.ids)) == list(want)
        if mask is not None:  # the subset's ids are made when read, not held
            assert isinstance(m.ids, disclosure.Picked) and m.ids.base is sets.ids
            assert list(m.ids[1:4]) == list(want[1:4])
    with pytest.raises(IndexError):  # as indexing the ids with it would
        sets.of(np.ones(4999, dtype=bool))


def test_ids_kept_as_arrow_text_are_the_ids_the_object_arrays_held():
    # members taken from an Arrow string column keep it as disclosure.Texts (the column's
    # own buffers, subsets as Arrow arrays); the reference is the object array of str the
    # members held before, column.astype(str).to_numpy(): the same ids in the same order
    # for every way a subset is cut, and the same ledger keys
    import pandas as pd

    from cxlab import _members

    rng = np.random.default_rng(6)
    column = pd.Series([f"R{i}" for i in rng.integers(0, 3000, size=5000)], dtype="string")
    frame = pd.DataFrame({"response_id": column, "g": rng.integers(0, 4, 5000)})
    want = column.astype(str).to_numpy()
    texts = disclosure.id_texts(column)
    assert isinstance(texts, disclosure.Texts)
    assert texts.arrow is column.array._pa_array  # no copy of the whole column
    mask = rng.random(5000) < 0.3
    pos = rng.permutation(5000)[:700]
    for got, ref in ((texts, want), (texts[mask], want[mask]), (texts[pos], want[pos]),
                     (texts[10:20], want[10:20]), (texts[:0], want[:0])):
        assert isinstance(got, disclosure.Texts) and len(got) == len(ref)
        assert list(got) == list(ref) and np.asarray(got).dtype == object
        assert (disclosure.member_keys(got) == disclosure.member_keys(ref)).all()
        assert (disclosure.Members("answers", got).hashed()
                == disclosure.member_keys(ref)).all()
    sub = disclosure.Subsets("answers", texts).of(mask)
    assert list(sub.ids) == list(want[mask])
    assert (sub.hashed() == disclosure.member_keys(want[mask])).all()
    groups = disclosure.members_by(frame, "g", "response_id", "answers")
    for key, m in groups.items():
        ref = want if isinstance(key, tuple) else want[frame["g"].to_numpy() == key]
        assert list(m.ids) == list(ref)
    assert list(_members.ids_of(frame, "answers", mask)) == list(want[mask])
    # a nullable boolean mask picks as a mask; anything else numpy refuses, Texts refuses
    assert list(texts[pd.array(mask, dtype="boolean")]) == list(want[mask])
    for bad in (np.array([True, None] * 2500, dtype=object), np.array([0.0, 1.0]),
                mask[:-1]):
        with pytest.raises(IndexError):
            texts[bad]
    # a column with a missing id keeps the object array (its text is the old one)
    gap = column.copy()
    gap.iloc[3] = None
    assert isinstance(disclosure.id_texts(gap), np.ndarray)
    assert list(disclosure.id_texts(gap)[:5]) == list(gap.astype(str).to_numpy()[:5])


def test_subsets_order_keys_as_member_keys_when_first_halves_tie(monkeypatch):
    # keys whose first 64 bits agree (never seen from real ids) are still ordered by
    # their bytes, as member_keys orders them
    rng = np.random.default_rng(5)
    keys = rng.integers(0, 2 ** 63, size=(400, 2)).astype(np.uint64)
    keys[::3, 0] = keys[0, 0]
    monkeypatch.setattr(disclosure, "_hashed", lambda ids: keys[np.asarray(ids, dtype=int)])
    ids = np.arange(400)
    sets = disclosure.Subsets("answers", ids)
    mask = rng.random(400) < 0.5
    want = np.unique(disclosure._void(keys[mask])).view(np.uint64).reshape(-1, 2)
    assert (sets.of(mask).hashed() == want).all()
