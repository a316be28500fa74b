"""The whole-report guarantee: no count of people under the disclosure threshold can be
worked out from what one rendered quarter shows.

Suppressing cell by cell is not enough: a hidden count can be recovered by subtracting the
shown parts from a total shown on another page, from a table's margin, or as n × rate. So
the stakeholder report is audited as a whole, the way statistical offices audit their
tables before release (τ-ARGUS's "audit" of a suppression pattern; Hundepool et al.,
*Statistical Disclosure Control*, Wiley 2012, §4.4 and §5.2):

1. **Ledger (in each notebook kernel).** Every count of people that a stakeholder table or
   sentence shows is registered with the *members* it counts: the ids of the answers,
   clients or invitations (``population``). Every shown rate whose numerator is such a
   count is registered with its two counts and its displayed precision. The kernel writes
   the ledger as JSON lines to the file named by ``$CXLAB_LEDGER`` (set by the renderer;
   in JupyterLab there is no ledger and nothing changes) and puts an invisible marker
   around the cell's text so the renderer can find it in the HTML. Each distinct set of
   members is stored once, as its members' 128-bit keyed hashes (``members/<digest>.npy``
   beside the ledgers): the audit needs to know which counts share a member, not who it
   is. Answers of quarters a report reads only as aggregates are recorded as *blocks*
   (:class:`Members` with sizes): one key standing for ``k`` answers always counted
   together.
2. **Attacker model (at render time).** Each population is cut into *atoms*: the sets of
   members that belong to exactly the same published counts. The attacker knows every
   published relation — a count is the sum of its atoms, a shown count equals its value, a
   count whose estimate is shown is at least ``min_n`` and one whose estimate reads
   "n < min_n" is below it, a shown rate bounds its numerator by its denominator within the
   rounding of the displayed figure — and nothing else (atoms are non-negative). This is
   stronger than a real reader, who does not know which atoms are empty.
3. **Audit.** For each hidden count of people from 1 to ``threshold − 1`` (primary
   suppression) the attacker's interval is found by linear programming (two
   ``scipy.optimize.linprog`` problems, HiGHS). The count is protected when the interval
   is at least ``threshold`` wide: the reader cannot narrow it to fewer than
   ``threshold + 1`` values, nor prove that the group is smaller than the threshold.
4. **Secondary suppression.** While a count is not protected, the cheapest published
   figure among those the LP's solution leans on (non-zero dual values) is hidden too —
   the smallest count, or a rate — and the audit is repeated. Hidden figures read the same
   label whether hidden for being small or for protecting a small one, so the label tells
   nothing. If nothing more can be hidden and a count is still exposed, rendering fails
   (:class:`~cxlab.errors.DisclosureError`): never an unaudited report.

Counts of events (complaints, contacts) are not protected: they are shown, with the
estimates made from them following ``min_n``. Shares of answers *within* a group large
enough to show an estimate (promoters, detractors) are estimates, not counts of a group.

What the attacker model assumes: the published figures are exact (counts) or rounded as
displayed (rates; a rate's interval is not used); the members' sets are known to the
attacker (stronger than any reader). What it leaves out: integrality — the LP relaxation,
as in statistical offices' audits. For counts alone (one- and two-way tables with their
margins) the relaxed range is the integer range (the tests check this against exhaustive
enumeration); where a rate enters, the integer range can be narrower, so each end of the
relaxed range is first rounded inwards to a whole number.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from cxlab.errors import DisclosureError

#: Environment variable naming the ledger file a notebook kernel appends to.
ENV = "CXLAB_LEDGER"
#: Invisible brackets (Unicode private use) around a published figure's text:
#: START id SEP text END. They survive HTML escaping, Markdown and pandas' HTML.
START, SEP, END = "\ue000", "\ue001", "\ue002"
# the text excludes START too: a marker forged in the data cannot swallow a real one
_MARK_RE = re.compile(f"{START}([0-9a-z.]+){SEP}([^{START}{END}]*){END}")
_STRAY = {ord(START): None, ord(SEP): None, ord(END): None}

DEFAULT_THRESHOLD = 5
#: Two independent 64-bit keyed hashes make a member's 128-bit key (``pandas.util.
#: hash_array``): two different ids share a key with probability ≈ n² / 2¹²⁹ — for ten
#: million members about 10⁻²⁵, far below any other risk in the pipeline.
_HASH_KEYS = ("cxlab-members-1a", "cxlab-members-2b")


class Texts:
    """Ids kept as an Arrow string array: what a recorded count's members hold when they
    come from an Arrow string column without missing values (:func:`id_texts`).

    A report kernel keeps the members of every count it shows until the end. Kept as
    Python strings (an object array), each id cost ≈ 65 bytes, made afresh for each
    count: after the quarterly report's headline at ten million answers they were 10 M
    strings, 0.8 GiB of a 2.9 GiB kernel. Here an id costs its bytes and an offset, and
    the members of a whole column are the column's own buffers (no copy). It behaves as
    the array of ``str`` it stands for where the members are read: ``len``, iteration,
    ``numpy.asarray`` (an object array of ``str``, made when asked: hashing the keys
    the ledger stores, :func:`member_keys`), and a boolean mask, positions or a slice
    give the subset, as Texts.
    """

    __slots__ = ("arrow",)

    def __init__(self, arrow) -> None:
        self.arrow = arrow

    def __len__(self) -> int:
        return len(self.arrow)

    def __getitem__(self, key) -> Texts:
        if isinstance(key, slice):
            return Texts(self.arrow[key])
        key = np.asarray(key)
        if key.dtype == object and all(isinstance(v, (bool, np.bool_)) for v in key):
            key = key.astype(bool)  # a nullable boolean mask without missing values
        if key.dtype == bool:
            if len(key) != len(self):
                raise IndexError(f"a mask of {len(key)} for {len(self)} ids")
            return Texts(self.arrow.filter(key))
        if key.dtype.kind not in "iu":  # as numpy refuses it: never taken as positions
            raise IndexError("ids are picked by a boolean mask, positions or a slice; "
                             f"got an array of {key.dtype}")
        return Texts(self.arrow.take(key.astype(np.int64, copy=False)))

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        out = np.asarray(self.arrow.to_numpy(), dtype=object)
        return out if dtype is None else out.astype(dtype)

    def __iter__(self):
        return iter(self.__array__())

    def __repr__(self) -> str:
        return f"Texts({len(self)} ids)"


def id_texts(column: pd.Series):
    """``column.astype(str).to_numpy()``, the ids as text — as :class:`Texts` on the
    column's own Arrow buffers when it is an Arrow string column without missing values
    (else the object array itself)."""
    arrow = getattr(column.array, "_pa_array", None)
    if (arrow is None or not isinstance(column.dtype, pd.StringDtype)
            or arrow.null_count):
        return column.astype(str).to_numpy()
    return Texts(arrow)


def member_keys(ids) -> np.ndarray:
    """The sorted distinct 128-bit keys of ``ids`` as an ``(n, 2)`` uint64 array."""
    h = _hashed(ids)
    if not len(h):
        return h
    return np.unique(_void(h)).view(np.uint64).reshape(-1, 2)


def _hashed(ids) -> np.ndarray:
    """The 128-bit key of each id, in order (``(n, 2)`` uint64)."""
    obj = np.asarray(ids)
    if obj.dtype != object or pd.api.types.infer_dtype(obj, skipna=False) != "string":
        obj = obj.astype(str).astype(object)  # every id as its text, as the ledger shows it
    if not len(obj):
        return np.zeros((0, 2), dtype=np.uint64)
    return np.column_stack([pd.util.hash_array(obj, hash_key=k, categorize=False)
                            for k in _HASH_KEYS]).astype(np.uint64)


class Subsets:
    """The members of subsets of one array of ids (a table's rows and its bands, say),
    with the ids hashed and sorted once: :meth:`of` a mask costs a pass over the sorted
    keys, not a hash and a sort of its own. Its keys equal :func:`member_keys` of the
    subset's ids."""

    def __init__(self, population: str, ids) -> None:
        self.population = population
        self.ids = ids if isinstance(ids, Texts) else np.asarray(ids)
        h = _hashed(self.ids)
        # the order of the keys' bytes (that of member_keys' sort): big-endian numbers
        big = h.byteswap()
        order = np.argsort(big[:, 0])
        first = big[order, 0]
        if len(first) > 1 and (first[1:] == first[:-1]).any():  # equal first halves
            order = np.lexsort((big[:, 1], big[:, 0]))
        self._order = order
        self._sorted = _void(h[self._order])
        # a repeated id: a subset's keys need their repeats dropped
        self._repeats = bool(len(h) > 1 and (self._sorted[1:] == self._sorted[:-1]).any())

    def of(self, mask=None) -> Members:
        """The members of the ids ``mask`` selects (all of them when None). Their keys
        are made when the ledger asks (:meth:`Members.hashed`), from the mask kept as
        bits: a table's members do not hold 16 bytes per id until then."""
        if mask is None:
            return Members(self.population, self.ids, keyer=lambda: self._keys(None))
        picked = Picked(self.ids, mask)
        if picked.size != len(self.ids):
            raise IndexError(f"a mask of {picked.size} for {len(self.ids)} ids")
        return Members(self.population, picked, keyer=lambda: self._keys(picked.mask()))

    def _keys(self, m) -> np.ndarray:
        k = self._sorted if m is None else self._sorted[m[self._order]]
        if self._repeats and len(k) > 1:
            k = k[np.r_[True, k[1:] != k[:-1]]]
        return k.view(np.uint64).reshape(-1, 2)


class Picked:
    """The ids a mask picks from an array of ids, made when read: the mask is kept as bits
    (one bit per id of the whole array). A subset's members are read only to check them
    (the ledger asks for keys, :meth:`Subsets.of`); a copy of each subset's ids, made up
    front, held 1.4 GiB in the penalty/reward table of a four-quarter window at ten
    million answers. Reads as the ids it stands for: ``len``, iteration, ``numpy.asarray``
    and indexing (of the picked ids)."""

    __slots__ = ("base", "bits", "size", "n")

    def __init__(self, base, mask) -> None:
        m = np.asarray(mask, dtype=bool)
        self.base, self.bits, self.size, self.n = base, np.packbits(m), len(m), int(m.sum())

    def mask(self) -> np.ndarray:
        return np.unpackbits(self.bits, count=self.size).astype(bool)

    def ids(self):
        """The picked ids (a Texts when ``base`` is one, else an array)."""
        return self.base[self.mask()]

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, key):
        return self.ids()[key]

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        out = np.asarray(self.ids())
        return out if dtype is None else out.astype(dtype)

    def __iter__(self):
        return iter(np.asarray(self))

    def __repr__(self) -> str:
        return f"Picked({self.n} of {self.size} ids)"


def _void(keys: np.ndarray) -> np.ndarray:
    """``(n, 2)`` keys as one 16-byte value each (sortable, comparable, hashable)."""
    return np.ascontiguousarray(keys, dtype=np.uint64).view(np.dtype((np.void, 16))).ravel()


def _digest(keys: np.ndarray) -> str:
    return hashlib.blake2b(np.ascontiguousarray(keys).tobytes(), digest_size=12).hexdigest()


# --------------------------------------------------------------------------------------
# kernel side: the ledger
# --------------------------------------------------------------------------------------

@dataclass(eq=False)  # ids are arrays: compared by identity (pandas compares attrs)
class Members:
    """Who a published count counts: a population (``answers``, ``clients``,
    ``invitations``) and the ids of its members.

    ``sizes`` (optional, one whole number per id) makes an id a *block*: ``k`` members the
    report only ever counts together, e.g. one earlier quarter's answers in one channel,
    read as an aggregate (:func:`cxlab.aggregates.answer_blocks`). A block's id must never
    also be counted member by member, so block ids carry the prefix
    :data:`cxlab.aggregates.BLOCK`, which no real id has.
    """

    population: str
    ids: np.ndarray
    sizes: np.ndarray | None = None
    #: makes :func:`member_keys` of ``ids`` another way (:class:`Subsets`)
    keyer: object = field(default=None, repr=False)

    def hashed(self) -> np.ndarray:
        """:func:`member_keys` of ``ids`` (what the ledger stores)."""
        return self.keyer() if self.keyer is not None else member_keys(self.ids)

    def __len__(self) -> int:
        if self.sizes is None:
            return len(self.ids)
        return int(np.sum(self.sizes))

    def size_map(self) -> dict[str, int]:
        """{block id → its number of members} (empty without blocks)."""
        if self.sizes is None:
            return {}
        return {str(i): int(k) for i, k in zip(self.ids, self.sizes)}


def members_by(frame, by, id_col: str, population: str) -> dict:
    """The members of each group of ``frame`` grouped by ``by`` (the keys as the groupby's
    index keys, missing values kept as a group), plus ``()`` for the whole frame."""
    ids = id_texts(frame[id_col])
    out = {(): Members(population, ids)}
    if by:
        keys = [by] if isinstance(by, str) else list(by)
        for key, pos in frame.groupby(keys, dropna=False, sort=False).indices.items():
            if len(keys) == 1 and isinstance(key, tuple):
                key = key[0]
            out[key] = Members(population, ids[pos])
    return out


def attach(table, column: str, members: dict):
    """Record on ``table`` (its ``attrs``) the members behind each row's ``column`` count,
    keyed by the row's index key. Returns ``table``."""
    cells = dict(table.attrs.get("cx_members", {}))
    cells[column] = members
    table.attrs["cx_members"] = cells
    return table


def lookup(table, column: str, key):
    """The members recorded for ``table``'s ``column`` at index ``key``, or None."""
    cells = getattr(table, "attrs", {}).get("cx_members", {})
    m = cells.get(column)
    if m is None:
        return None
    if key in m:
        return m[key]
    if isinstance(key, tuple) and len(key) == 1 and key[0] in m:
        return m[key[0]]
    return None


def members_of(frame, id_col: str, population: str) -> Members:
    """All rows of ``frame`` as one group's members."""
    return Members(population, id_texts(frame[id_col]))


def check_members(table, column: str) -> None:
    """Raise unless every row of ``table`` has members recorded for ``column`` and their
    number equals the row's count (a test of a function's bookkeeping)."""
    for key, value in table[column].items():
        m = lookup(table, column, key)
        if m is None:
            raise AssertionError(f"{column} at {key!r}: no members recorded")
        have = (len(set(map(str, m.ids))) if m.sizes is None
                else sum(m.size_map().values()))
        if have != int(value):
            raise AssertionError(f"{column} at {key!r}: {value} shown, {have} members")


def active() -> bool:
    """Whether this process keeps a ledger (a renderer's kernel)."""
    return bool(os.environ.get(ENV))


@dataclass
class Ledger:
    """The published counts and rates of one kernel (appended to ``path``)."""

    path: Path
    prefix: str = field(default_factory=lambda: f"{os.getpid():x}")
    _n: int = 0
    _populations: dict = field(default_factory=dict)
    _written: set = field(default_factory=set)

    def _next(self) -> str:
        self._n += 1
        return f"{self.prefix}.{self._n:x}"

    def _write(self, record: dict) -> None:
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")

    def count(self, value, members: Members, shown: bool, reliability: bool | None = None,
              min_n: int | None = None) -> str:
        """Register a count of people; returns its id.

        The members are stored once per distinct set, as their sorted 128-bit keys
        (:func:`member_keys`) in ``members/<digest>.npy`` beside the ledger — a quarter of
        a million answers counted on ten pages is one 16-byte-per-member file, not ten
        lists of ids in JSON."""
        cid = self._next()
        keys = members.hashed()
        digest = _digest(keys)
        folder = self.path.parent / MEMBERS_DIR
        target = folder / f"{digest}.npy"
        if digest not in self._written and not target.exists():
            folder.mkdir(parents=True, exist_ok=True)
            tmp = folder / f".{digest}.{os.getpid()}.npy"
            np.save(tmp, keys)
            os.replace(tmp, target)  # two kernels writing the same set: either wins
        self._written.add(digest)
        record = {"kind": "count", "id": cid, "population": members.population,
                  "members": digest, "n_members": int(len(keys)), "value": int(value),
                  "shown": bool(shown), "reliability": reliability, "min_n": min_n}
        if members.sizes is not None:
            record["sizes"] = members.size_map()
        self._write(record)
        return cid

    def rate(self, numerator: str, denominator: str, low: float, high: float) -> str:
        """Register a shown rate: numerator / denominator lies in [low, high] (the
        displayed figure ± half its last digit). Returns its id."""
        cid = self._next()
        self._write({"kind": "rate", "id": cid, "numerator": numerator,
                     "denominator": denominator, "at_least": float(low), "at_most": float(high)})
        return cid


_LEDGER: Ledger | None = None


def ledger() -> Ledger | None:
    """This kernel's ledger, or None outside a report run."""
    global _LEDGER
    path = os.environ.get(ENV)
    if not path:
        return None
    if _LEDGER is None or str(_LEDGER.path) != path:
        _LEDGER = Ledger(Path(path))
    return _LEDGER


def mark(cell_id: str | None, text: str) -> str:
    """``text`` wrapped in the invisible marker of ``cell_id`` (unchanged without one)."""
    return text if cell_id is None else f"{START}{cell_id}{SEP}{text}{END}"


def unmark(text: str) -> str:
    """``text`` with the markers removed and the marked texts kept (and any stray marker
    character, e.g. one that came with the data, dropped)."""
    return _MARK_RE.sub(lambda m: m.group(2), text).translate(_STRAY)


# --------------------------------------------------------------------------------------
# render side: the audit
# --------------------------------------------------------------------------------------

@dataclass
class Audit:
    """What the audit decided: the ids of published figures to hide, and per protected
    count the attacker's interval after hiding them (for the record and the tests)."""

    hide: set
    intervals: dict  # variable → (value, low, high)
    secondary: int
    checked: int


#: The folder beside the ledgers that holds each distinct member set once.
MEMBERS_DIR = "members"


def read_ledgers(paths) -> list[dict]:
    """The records of the ledgers at ``paths``; a count's members are found with
    :func:`keys_of`."""
    records = []
    for p in paths:
        p = Path(p)
        if p.exists():
            with open(p, encoding="utf-8") as fh:
                for line in fh:
                    if line.strip():
                        r = json.loads(line)
                        if "members" in r:
                            r["_folder"] = str(p.parent / MEMBERS_DIR)
                        records.append(r)
    return records


def keys_of(record: dict) -> np.ndarray:
    """A count record's members as sorted distinct 128-bit keys (``(n, 2)`` uint64): from
    its member file, or from inline ``ids`` (records written by hand, in tests)."""
    if "members" in record:
        return np.load(Path(record["_folder"]) / f"{record['members']}.npy")
    return member_keys(record["ids"])


def key_set(record: dict) -> frozenset:
    """A count record's members as a set of Python ints (for set algebra in tests)."""
    k = keys_of(record)
    return frozenset((int(a) << 64) | int(b) for a, b in k)


class _Problem:
    """The attacker's linear program over the atoms of every population."""

    def __init__(self, records: list[dict], threshold: int):
        self.threshold = threshold
        counts = [r for r in records if r["kind"] == "count"]
        self.rates = [r for r in records if r["kind"] == "rate"]
        # one variable per distinct (population, member set): the same group counted on
        # two pages is one unknown to the attacker
        self.var_of: dict[str, int] = {}
        self.cells_of: dict[int, list[str]] = defaultdict(list)
        keys: dict[tuple, int] = {}
        self.value: list[int] = []
        self.population: list[str] = []
        self.lower: list[float] = []
        self.upper: list[float] = []
        self.shown: list[bool] = []
        #: members standing for several (blocks): {(population, 16-byte key) → size}
        self.size_of: dict[tuple, int] = {}
        for r in counts:
            for i, k in (r.get("sizes") or {}).items():
                key = (r["population"], _void(member_keys([i]))[0].tobytes())
                if self.size_of.setdefault(key, int(k)) != int(k):
                    raise DisclosureError(
                        f"the block {i!r} of {r['population']} is recorded with two sizes "
                        f"({self.size_of[key]} and {k}): the report cannot be audited")
        self.keys: list[np.ndarray] = []  # each variable's members (sorted 128-bit keys)
        loaded: dict[str, np.ndarray] = {}
        for r in counts:
            digest = r.get("members")
            if digest is None:  # inline ids (records written by hand)
                k = member_keys(r["ids"])
                digest = _digest(k)
                loaded.setdefault(digest, k)
            key = (r["population"], digest)
            if key not in keys:
                if digest not in loaded:
                    loaded[digest] = keys_of(r)
                keys[key] = len(self.value)
                self.value.append(int(r["value"]))
                self.population.append(r["population"])
                self.keys.append(loaded[digest])
                self.lower.append(0.0)
                self.upper.append(np.inf)
                self.shown.append(False)
            v = keys[key]
            size = self._size(r["population"], self.keys[v])
            if size != int(r["value"]):
                raise DisclosureError(
                    f"a published count ({r['value']}) does not match its members "
                    f"({size} {r['population']}): the report cannot be audited")
            self.var_of[r["id"]] = v
            self.cells_of[v].append(r["id"])
            self.shown[v] = self.shown[v] or bool(r["shown"])
            if r.get("reliability") is not None and r.get("min_n"):
                # an estimate shown says n ≥ min_n; "n < min_n" says the opposite
                if r["reliability"]:
                    self.lower[v] = max(self.lower[v], float(r["min_n"]))
                else:
                    self.upper[v] = min(self.upper[v], float(r["min_n"]) - 1)
        self.rate_ids = {r["id"]: i for i, r in enumerate(self.rates)}
        self._atoms()

    def _sizes(self, population: str, keys: np.ndarray) -> np.ndarray:
        """How many members each key stands for: 1, or a block's size."""
        out = np.ones(len(keys), dtype=np.int64)
        blocks = {k: n for (pop, k), n in self.size_of.items() if pop == population}
        if blocks and len(keys):
            vk = _void(keys)
            bv = np.array([np.frombuffer(k, dtype=np.uint64) for k in blocks],
                          dtype=np.uint64).reshape(-1, 2)
            hit = np.flatnonzero(np.isin(vk, _void(bv)))
            for i in hit:
                out[i] = blocks[vk[i].tobytes()]
        return out

    def _size(self, population: str, keys: np.ndarray) -> int:
        return int(self._sizes(population, keys).sum())

    def _atoms(self) -> None:
        """Member → atom: members in exactly the same variables form one atom.

        Vectorised over members: all (member, variable) pairs of a population are sorted
        by member; a member's *signature* is the sum (mod 2⁶⁴, twice) of a random 64-bit
        weight of each variable it belongs to, and members with equal signatures form
        an atom. Two different sets of variables share a signature with probability
        2⁻¹²⁸ per pair — the cost is a few sorts, not a Python loop over members."""
        from scipy import sparse

        rng = np.random.default_rng(0x5EED)
        n_vars = len(self.value)
        w = rng.integers(0, 2**64 - 1, size=(n_vars, 2), dtype=np.uint64, endpoint=True)
        rows, cols, truth = [], [], []
        for pop in sorted(set(self.population)):
            vs = [v for v in range(n_vars) if self.population[v] == pop and len(self.keys[v])]
            if not vs:
                continue
            keys = np.concatenate([self.keys[v] for v in vs])
            label = np.concatenate([np.full(len(self.keys[v]), v, dtype=np.int64) for v in vs])
            vk = _void(keys)
            order = np.argsort(vk, kind="stable")
            vk, label = vk[order], label[order]
            starts = np.flatnonzero(np.r_[True, vk[1:] != vk[:-1]])
            ends = np.r_[starts[1:], len(vk)]
            sig = np.column_stack([np.add.reduceat(w[label, j], starts) for j in (0, 1)])
            members = keys[order][starts]
            size = self._sizes(pop, members)
            uniq, first, inverse = np.unique(_void(sig), return_index=True, return_inverse=True)
            weight = np.bincount(inverse.ravel(), weights=size, minlength=len(uniq))
            base = len(truth)
            for a, m in enumerate(first):
                for v in label[starts[m]:ends[m]]:
                    rows.append(int(v))
                    cols.append(base + a)
            truth.extend(weight.tolist())
        self.n_atoms = len(truth)
        self.M = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)),
                                   shape=(n_vars, self.n_atoms))
        self.truth = np.asarray(truth, dtype=float)

    def bounds(self, target: int, hidden_vars: set, hidden_rates: set):
        """The attacker's [min, max] of variable ``target``, and the published figures the
        extremes lean on (their dual values are not zero)."""
        from scipy.optimize import linprog

        key = (frozenset(hidden_vars), frozenset(hidden_rates))
        if getattr(self, "_key", None) != key:
            self._key, self._system = key, self._build(hidden_vars, hidden_rates)
        shown, A_eq, b_eq, A_ub, b_ub, ub_rows, ub_who = self._system
        c = np.asarray(self.M[target].todense()).ravel()
        leans: set = set()
        out = []
        for sign in (1.0, -1.0):
            res = linprog(sign * c, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq,
                          b_eq=b_eq if shown else None, bounds=(0, None), method="highs")
            if res.status == 3:  # unbounded above: as good as it gets
                out.append(np.inf if sign < 0 else 0.0)
                continue
            if res.status != 0:
                raise DisclosureError(f"the disclosure audit's linear program failed: {res.message}")
            out.append(sign * res.fun)
            if shown and res.eqlin is not None:
                for v, m in zip(shown, res.eqlin.marginals):
                    if abs(m) > 1e-9:
                        leans.add(("count", v))
            if ub_rows and res.ineqlin is not None:
                for who, m in zip(ub_who, res.ineqlin.marginals):
                    if who is not None and abs(m) > 1e-9:
                        leans.add(who)
        return out[0], out[1], leans

    def _build(self, hidden_vars: set, hidden_rates: set):
        """The attacker's constraints when ``hidden_vars`` and ``hidden_rates`` are hidden."""
        from scipy import sparse

        shown = [v for v in range(len(self.value)) if v not in hidden_vars]
        A_eq = self.M[shown] if shown else None
        b_eq = np.array([self.value[v] for v in shown], dtype=float)
        ub_rows, ub_b, ub_who = [], [], []
        for v in range(len(self.value)):
            if v in hidden_vars:
                if self.upper[v] < np.inf:
                    ub_rows.append(self.M[v]); ub_b.append(self.upper[v]); ub_who.append(None)
                if self.lower[v] > 0:
                    ub_rows.append(-self.M[v]); ub_b.append(-self.lower[v]); ub_who.append(None)
        for i, r in enumerate(self.rates):
            if r["id"] in hidden_rates:
                continue
            num, den = self.var_of.get(r["numerator"]), self.var_of.get(r["denominator"])
            if num is None or den is None:
                continue
            # low·D ≤ N ≤ high·D
            ub_rows.append(r["at_least"] * self.M[den] - self.M[num]); ub_b.append(0.0); ub_who.append(("rate", r["id"]))
            ub_rows.append(self.M[num] - r["at_most"] * self.M[den]); ub_b.append(0.0); ub_who.append(("rate", r["id"]))
        A_ub = sparse.vstack(ub_rows).tocsr() if ub_rows else None
        b_ub = np.array(ub_b) if ub_rows else None
        return shown, A_eq, b_eq, A_ub, b_ub, ub_rows, ub_who


def audit(records: list[dict], threshold: int = DEFAULT_THRESHOLD) -> Audit:
    """Decide what the quarter's stakeholder pages hide (see the module docstring)."""
    if not records:
        return Audit(set(), {}, 0, 0)
    pb = _Problem(records, threshold)
    n_vars = len(pb.value)
    primary = {v for v in range(n_vars) if 0 < pb.value[v] < threshold}
    hidden = set(primary) | {v for v in range(n_vars) if not pb.shown[v]}
    hidden_rates: set = set()
    # a shown rate over a hidden primary numerator is hidden with it
    for r in pb.rates:
        if pb.var_of.get(r["numerator"]) in primary or pb.var_of.get(r["denominator"]) in primary:
            hidden_rates.add(r["id"])
    first = (len(hidden), len(hidden_rates))
    intervals = {}
    # hiding more only removes constraints, so the attacker's interval of a count can only
    # widen: a count found protected stays protected, and only the exposed are re-checked
    pending = sorted(primary)
    while True:
        exposed = {}
        for v in pending:
            lo, hi, leans = pb.bounds(v, hidden, hidden_rates)
            lo, hi = float(np.ceil(lo - 1e-7)), float(np.floor(hi + 1e-7))  # whole numbers
            intervals[v] = (pb.value[v], lo, hi)
            if hi - lo < threshold:
                exposed[v] = leans
        pending = sorted(exposed)
        if not exposed:
            break
        progressed = False
        for v, leans in exposed.items():
            options = []
            for kind, who in leans:
                if kind == "count" and who not in hidden:
                    options.append((pb.value[who], 0, who))
                elif kind == "rate" and who not in hidden_rates:
                    r = pb.rates[pb.rate_ids[who]]
                    den = pb.var_of[r["denominator"]]
                    options.append((pb.value[den], 1, who))
            if not options:
                continue
            _, kind, who = min(options, key=lambda o: (o[0], o[1], str(o[2])))
            if kind == 0:
                hidden.add(who)
            else:
                hidden_rates.add(who)
            progressed = True  # one per exposed count per round; the next round re-checks
        if not progressed:
            worst = next(iter(exposed))
            raise DisclosureError(
                f"a count of {pb.value[worst]} {pb.population[worst]} could still be worked "
                f"out from the published figures, and nothing more can be hidden: the "
                f"report is not rendered")
    hide = {cid for v in hidden for cid in pb.cells_of[v]} | hidden_rates
    secondary = len(hidden) + len(hidden_rates) - sum(first)
    return Audit(hide, intervals, secondary, len(primary))


def apply(text: str, result: Audit, label: str) -> str:
    """``text`` (HTML) with each marked figure either unmarked or replaced by ``label``
    (HTML-escaped); stray marker characters are dropped."""
    import html

    safe = html.escape(label)
    return _MARK_RE.sub(lambda m: safe if m.group(1) in result.hide else m.group(2),
                        text).translate(_STRAY)
