"""Who each published count of people counts: the bookkeeping behind the disclosure audit.

:mod:`cxlab.disclosure` audits a stakeholder report over the *members* behind every count
of people it shows. The analysis functions that return such counts record them here when
a ledger is active (:func:`cxlab.disclosure.active`: the ``CXLAB_LEDGER`` environment
variable is set, i.e. in a renderer's kernel). Outside a report nothing here runs, so an
analyst's call — or a 10-million-row frame — pays nothing.

Populations and their id columns: ``answers`` (``response_id``), ``invitations``
(``invitation_id``), ``clients`` (``client_id``). Counts of events (complaints, contacts)
are not people and are not recorded.

The members of a table's rows are keyed by the row's index key exactly as iterating the
table's index gives it (what :func:`cxlab.disclosure.lookup` is called with), found with
one ``get_indexer`` over the counted rows' keys (missing values match missing values
whatever their spelling: ``NaN``, ``None``, ``<NA>``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxlab import disclosure
from cxlab.disclosure import Members

#: id column of each population
ID_COLUMN = {"answers": "response_id", "invitations": "invitation_id", "clients": "client_id"}

_MISSING = "\ue003missing"


def active() -> bool:
    """Whether counts should be recorded (a ledger is active)."""
    return disclosure.active()


def _same(a, b) -> bool:
    if a is b:
        return True
    if not (isinstance(a, Members) and isinstance(b, Members)):
        return bool(a == b)
    return a.population == b.population and np.array_equal(np.asarray(a.ids),
                                                             np.asarray(b.ids))


class Cells(dict):
    """The members of one column's rows ({row key → Members}), as stored in a table's
    ``attrs``.

    pandas compares the ``attrs`` of the inputs of a concatenation — also inside
    ``nlargest``, ``describe`` … on a column taken from the table — and deep-copies them
    on nearly every operation. A plain dict of :class:`~cxlab.disclosure.Members` fails
    the comparison (``==`` of two arrays of ids is not a truth value), so this one
    compares by value, and is shared rather than copied: recorded members are never
    changed in place (:func:`attach` stores a new mapping).
    """

    def __eq__(self, other) -> bool:
        if self is other:
            return True
        if not isinstance(other, dict) or len(self) != len(other):
            return False
        for key, m in self.items():
            if key not in other or not _same(m, other[key]):
                return False
        return True

    def __ne__(self, other) -> bool:
        return not self.__eq__(other)

    __hash__ = None

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self


def attach(table, column: str, members: dict):
    """:func:`cxlab.disclosure.attach` with the members kept as :class:`Cells`."""
    return disclosure.attach(table, column, members if isinstance(members, Cells)
                             else Cells(members))


def ids_of(frame: pd.DataFrame, population: str, mask=None):
    """The ids of ``frame``'s rows (``mask``: only those) as strings — an object array,
    or :class:`cxlab.disclosure.Texts` for an Arrow string column — or None when the
    frame has no id column for ``population`` (nothing can be recorded)."""
    col = ID_COLUMN[population]
    if col not in frame.columns:
        return None
    ids = disclosure.id_texts(frame[col])  # the column's own buffers when it can
    return ids if mask is None else ids[np.asarray(mask, dtype=bool)]


def _normalised(frame: pd.DataFrame) -> pd.MultiIndex:
    f = frame.reset_index(drop=True).astype(object)
    return pd.MultiIndex.from_frame(f.where(f.notna(), _MISSING))


def on_index(index: pd.Index, keys: pd.DataFrame | None, ids: np.ndarray,
             population: str) -> dict:
    """{key of each row of ``index`` → the members whose key equals it}, plus ``()`` → all.

    ``keys`` holds one row per id, with the index's levels as columns in the same order
    (None: every id belongs to every row, e.g. a one-row table indexed ``"all"``).
    """
    if not isinstance(ids, disclosure.Texts):  # ids as Arrow text stay so (compact)
        ids = np.asarray(ids).astype(str)
    out = {(): Members(population, ids)}
    if keys is None or len(index) == 0:
        for key in index:
            out[key] = Members(population, ids if keys is None else ids[:0])
        return out
    rows = index if index.is_unique else index.unique()  # a repeated key: one group
    target = _normalised(rows.to_frame(index=False))
    if not target.is_unique:  # two spellings of "missing" in one level: cannot tell apart
        return out
    pos = target.get_indexer(_normalised(keys))
    order = np.argsort(pos, kind="stable")
    bounds = np.searchsorted(pos[order], np.arange(len(rows) + 1))
    for i, key in enumerate(rows):
        out[key] = Members(population, ids[order[bounds[i]:bounds[i + 1]]])
    return out


def attach_grouped(table, column: str, frame: pd.DataFrame, by, population: str,
                   mask=None) -> None:
    """Record on ``table`` the members of each row's ``column``: the rows of ``frame``
    (``mask``: only those counted) grouped by ``by`` — the columns whose values make the
    table's index, in its order (empty: a one-row table, every counted row). Does nothing
    when the frame has no id column for ``population``."""
    m = np.ones(len(frame), dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    ids = ids_of(frame, population, m)
    if ids is None:
        return
    by = [by] if isinstance(by, str) else list(by or [])
    keys = frame.loc[m, by] if by else None
    attach(table, column, on_index(table.index, keys, ids, population))


def strip(table) -> dict:
    """Remove and return ``table``'s recorded members ({column → members}), e.g. before
    :func:`pandas.concat` of tables with different rows (it keeps ``attrs`` only when all
    the inputs' are equal): merge them and :func:`attach` them to the result."""
    return table.attrs.pop("cx_members", {}) if hasattr(table, "attrs") else {}
