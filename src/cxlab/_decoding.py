"""Decoding an export: one encoding per file, decided over its whole content.

One decision per file, over its whole content; never a sample, never a guess that
could store mojibake. The rule, in order:

1. A BOM decides: UTF-8 (``utf-8-sig``) or UTF-16 (LE/BE); the rest must decode.
2. NUL bytes mean UTF-16 without BOM: ASCII in UTF-16 puts a NUL in every other byte,
   on the odd offsets (little-endian) or the even ones (big-endian). NULs without that
   pattern are no text at all.
3. A file that decodes as UTF-8 is UTF-8 (cp1251 Russian text practically never does:
   its letters are bytes 0xC0–0xFF, and two of them in a row are never valid UTF-8).
4. Otherwise, if most of its non-ASCII bytes still decode as UTF-8, it is a UTF-8 file
   with bytes that are not (a cp1251 row appended, a stray 0xFF): refused at the first.
5. Otherwise it is a single-byte file: cp1251, KOI8-R or latin-1, chosen by the words
   each decoding makes (a word: a run of letters). Cyrillic decodings count the letters
   of words written in Cyrillic only, in a natural case (всё, Всё, ВСЁ; KOI8-R read as
   cp1251 gives вСЁ-like inverted words); latin-1 counts words mixing ASCII letters with
   accented ones (café, Müller; cp1251 Russian read as latin-1 gives words of accented
   letters only, Âñ¸; a latin-1 file with € or “ ” is read as its Windows form, cp1252).
   Between cp1251 and KOI8-R, the decoding whose letters are more likely Russian text
   wins (letter frequencies below, with inverted-case words penalised). A decoding with
   control characters or pseudo-graphics is not text.
6. The chosen encoding must hold for every line: a line that reads as Russian only in
   the other Cyrillic encoding, or a run of UTF-8 letters in a single-byte file, is a
   mixed file, refused at that line.

A refusal names the line and the byte offset (0-based, from the start of the file) of
the first byte that does not decode as the encoding of the rest of the file.

:func:`_detect_encoding` is what :mod:`cxlab.exports` calls; :func:`_check_encoding` checks
an encoding the user named.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from cxlab._shapley import njit
from cxlab.errors import ReadError

#: Single-byte encodings a file without BOM may be in when it is not UTF-8.
SINGLE_BYTE = ("cp1251", "koi8-r", "latin-1")
ENCODINGS_TEXT = ("UTF-8 (with or without BOM), UTF-16 (with or without BOM), cp1251 "
                  "(Windows Cyrillic), KOI8-R or latin-1 (cp1252)")

#: Letter frequencies of Russian text, per cent (as tabulated in Russian Wikipedia,
#: «Частотность», from the National Corpus of the Russian Language). Only their order
#: of magnitude matters: they tell Russian text from the same bytes read in the wrong
#: Cyrillic encoding, which permutes the letters (KOI8-R о is cp1251 П).
RUSSIAN_LETTER_PCT = {
    "о": 10.97, "е": 8.45, "а": 8.01, "и": 7.35, "н": 6.70, "т": 6.26, "с": 5.47, "р": 4.73,
    "в": 4.54, "л": 4.40, "к": 3.49, "м": 3.21, "д": 2.98, "п": 2.81, "у": 2.62, "я": 2.01,
    "ы": 1.90, "ь": 1.74, "г": 1.70, "з": 1.65, "б": 1.59, "ч": 1.44, "й": 1.21, "х": 0.97,
    "ж": 0.94, "ш": 0.73, "ю": 0.64, "ц": 0.48, "щ": 0.36, "э": 0.32, "ф": 0.26, "ъ": 0.04,
    "ё": 0.04,
}
_LOG_P = {c: float(np.log(p / 100)) for c, p in RUSSIAN_LETTER_PCT.items()}
_LOG_P_OTHER = float(np.log(1e-4))  # Cyrillic letters Russian does not use (ђ, ў, і …)
#: nats per letter taken off a word in an unnatural case (вСЁ, пРИВЕТ)
_CASE_PENALTY = 2.0
#: a line votes for cp1251 or KOI8-R with this many letters and this lead per letter
#: (each Russian line of the sample data leads by 0.31 nats per letter or more in its
#: own encoding: tests/test_decoding.py), or when the other decoding is not text
_MIXED_LINE_LETTERS, _MIXED_LINE_MARGIN = 12, 0.3

_CYRILLIC_WORD = re.compile(r"[\u0400-\u04ff]+")
_WORD = re.compile(r"[^\W\d_]+")


class _Undecodable(Exception):
    """Where a file stops being text in the encoding of the rest of it."""

    def __init__(self, offset: int, why: str, encoding: str | None = None):
        super().__init__(why)
        self.offset = offset
        self.why = why
        self.encoding = encoding  # UTF-16 lines are counted in decoded text


def _natural_case(word: str) -> bool:
    return word.islower() or word.isupper() or word.istitle()


@lru_cache(maxsize=1 << 16)
def _word_score(word: str) -> float:
    v = sum(_LOG_P.get(c, _LOG_P_OTHER) for c in word.lower())
    return v if _natural_case(word) else v - _CASE_PENALTY * len(word)


def _russian_score(text: str) -> float:
    """Log-likelihood of the Cyrillic letters of ``text`` as Russian (higher: likelier):
    letter frequencies, less a penalty per letter of words in an unnatural case."""
    return sum(_word_score(w) for w in _CYRILLIC_WORD.findall(text))


#: Characters no export holds: controls (C0 but tab and line ends, C1), pseudo-graphics
#: (KOI8-R's upper half read from another encoding), CJK, Hangul and private use (bytes of
#: another encoding read as UTF-16) and the replacement character (a byte cp1251 lacks).
_JUNK = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2500-\u25ff"
                   "\u3000-\ufaff\ufffd]")


def _first_junk(text: str) -> int | None:
    m = _JUNK.search(text)
    return None if m is None else m.start()


#: A run of bytes that may hold letters in a single-byte encoding (ASCII letters and bytes
#: 0x80–0xFF) with at least one byte above ASCII: every non-ASCII word of every decoding
#: lies inside one, so the rule below looks at each distinct run once, not at every line.
_HIGH_RUN = re.compile(rb"(?<![A-Za-z\x80-\xff])[A-Za-z]*[\x80-\xff][A-Za-z\x80-\xff]*")


def _high_runs(data: bytes) -> tuple[list[bytes], list[int]]:
    """The runs of :data:`_HIGH_RUN` in order, and the offset of each run's first high byte."""
    tokens, firsts = [], []
    for m in _HIGH_RUN.finditer(data):
        tok = m.group()
        tokens.append(tok)
        firsts.append(m.start() + len(tok) - len(tok.lstrip(_ASCII_LETTERS)))
    return tokens, firsts


_ASCII_LETTERS = bytes(range(65, 91)) + bytes(range(97, 123))


def _word_ok(word: str, enc: str) -> bool:
    if enc == "latin-1":
        # ÿ (0xFF) and the Icelandic þ ð are the likeliest stray bytes, the rarest letters
        return (any(c.isascii() for c in word)
                and all(c.isascii() or ("\u00c0" <= c <= "\u00fd" and c not in "ÐÞð")
                        for c in word))
    return all("\u0400" <= c <= "\u04ff" for c in word) and _natural_case(word)


def _evidence(runs: dict[bytes, int], enc: str) -> int:
    """Letters in words that look like real words in this decoding (see the rule), over
    the file's distinct runs of high bytes (:data:`_HIGH_RUN`) weighted by their counts."""
    n = 0
    for run, k in runs.items():
        for word in _WORD.findall(run.decode(enc, "replace")):
            if len(word) >= 2 and not word.isascii() and _word_ok(word, enc):
                n += k * len(word)
    return n


def _utf16_by_nuls(data: bytes) -> str | None:
    """``utf-16-le``/``-be`` when the NUL bytes fall on one parity, as ASCII in UTF-16
    puts them (at least a tenth of that parity's bytes, 95 % of all NULs); else None."""
    even, odd = data[0::2].count(0), data[1::2].count(0)
    total = even + odd
    if not total:
        return None
    if odd >= 0.95 * total and odd >= 0.1 * len(data[1::2]):
        return "utf-16-le"
    if even >= 0.95 * total and even >= 0.1 * len(data[0::2]):
        return "utf-16-be"
    return None


def _check_utf16(data: bytes, start: int, enc: str, why: str) -> None:
    """The whole body must decode as ``enc`` and hold no junk: UTF-16 read from bytes
    of another encoding gives CJK-looking characters, private-use ones and controls."""
    body = data[start:]
    try:
        text = body.decode(enc)
    except UnicodeDecodeError as err:
        raise _Undecodable(start + err.start, f"not {enc.upper()} ({why})", enc) from None
    # text a CX export holds lies below U+3000 (Latin, Cyrillic, Greek, punctuation,
    # symbols) or is an emoji; bytes of another encoding read as UTF-16 land in
    # U+3000–U+FAFF (CJK, Hangul, private use) or are controls
    i = _first_junk(text)
    if i is not None:
        ch = text[i]
        offset = start + len(text[:i].encode(enc))
        raise _Undecodable(offset, f"not {enc.upper()} text ({why}): it reads as {ch!r} "
                                   f"(U+{ord(ch):04X}); the file mixes UTF-16 with another "
                                   f"encoding (if it really holds CJK text, pass "
                                   f"encoding={enc!r})", enc)


def _decide_encoding(data: bytes) -> str:
    """The encoding of a whole file (see the rule above); :class:`_Undecodable` if none."""
    if data.startswith(codecs.BOM_UTF8):
        try:
            data[3:].decode("utf-8")
        except UnicodeDecodeError as err:
            raise _Undecodable(3 + err.start, "not UTF-8, the encoding its BOM declares; "
                                              "the file mixes encodings or has a stray byte"
                               ) from None
        return "utf-8-sig"
    for bom, enc in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            _check_utf16(data, 2, enc, "the encoding its BOM declares")
            return "utf-16"
    if b"\x00" in data:
        enc = _utf16_by_nuls(data)
        if enc is None:
            raise _Undecodable(data.index(b"\x00"), "a NUL byte (0x00), which no text holds "
                                                    "unless it is UTF-16; the NULs of this file "
                                                    "do not fall in UTF-16's pattern")
        _check_utf16(data, 0, enc, "UTF-16 without BOM, as its NUL bytes show")
        return enc
    census = _utf8_census(data)
    if not census.bad:
        return "utf-8"
    if census.high - census.bad >= census.bad:
        raise _Undecodable(census.first_bad, f"not UTF-8, the encoding of the rest of the file "
                                             f"({census.high - census.bad} of its {census.high} "
                                             "non-ASCII bytes are UTF-8); the file mixes "
                                             "encodings (a row saved in cp1251?) or has a stray "
                                             "byte")
    return _single_byte(data, census)


#: The single-byte path reads a file in pieces of about this many bytes, each cut just
#: after a line end: no line, word or run of letters crosses a cut, so every per-line
#: and per-word quantity of the rule is the same as over the whole file, and memory stays
#: flat on a large export (nothing holds a decoded copy of the file).
CHUNK = 1 << 22
_ASCII = bytes(range(128))


def _pieces(data: bytes, size: int | None = None):
    """(start, end) of pieces of ``data``, each ending just after a line end (or at the
    end of the data)."""
    size = size or CHUNK
    start, n = 0, len(data)
    while start < n:
        end = min(start + size, n)
        if end < n:
            nl = data.find(b"\n", end - 1)
            end = n if nl < 0 else nl + 1
        yield start, end
        start = end


@dataclass
class _Census:
    """What the UTF-8 reading of a file says (rule steps 3, 4 and 6)."""

    high: int = 0  # bytes above ASCII
    bad: int = 0  # bytes that are not part of a UTF-8 character
    first_bad: int | None = None  # offset of the first
    #: real UTF-8 text (two letters or more): (offset, the text), the first in the file
    utf8_text: tuple[int, str] | None = None


def _utf8_census(data: bytes, size: int | None = None) -> _Census:
    """:class:`_Census` of ``data``, piece by piece: a compiled pass (:func:`_utf8_counts`)
    counts the bytes Python's UTF-8 decoder would not read as characters; only a piece
    holding UTF-8 characters is decoded, to look for real UTF-8 text in it."""
    c = _Census()
    arr = np.frombuffer(data, dtype=np.uint8)
    for off, end in _pieces(data, size):
        bad, high, first_bad = _utf8_counts(arr[off:end])
        if bad and c.first_bad is None:
            c.first_bad = off + int(first_bad)
        if high > bad and c.utf8_text is None:  # UTF-8 characters in this piece
            text = data[off:end].decode("utf-8", "surrogateescape")  # an invalid byte → U+DC80–DCFF
            for m in re.finditer(r"[^\x00-\x7f\udc80-\udcff]{2,}", text):
                if m.group().isalpha():
                    c.utf8_text = (off + len(text[:m.start()].encode("utf-8", "surrogateescape")),
                                   m.group())
                    break
        c.bad += int(bad)
        c.high += int(high)
    return c


@njit(cache=True, nogil=True)
def _utf8_counts(a):
    """(bytes that are not part of a UTF-8 character, bytes above ASCII, offset of the
    first such byte or −1), as Python's decoder reads ``a``: a well-formed character
    (no overlong form, no surrogate, at most U+10FFFF) is read whole; otherwise the lead
    byte and the continuation bytes that could still begin a character are one error,
    and reading goes on at the next byte (the "maximal subpart" rule;
    tests/test_decoding.py checks it against ``bytes.decode``)."""
    n = a.size
    i = 0
    bad = 0
    high = 0
    first = -1
    while i < n:
        b = a[i]
        if b < 0x80:
            i += 1
            continue
        need, lo, hi = 0, 0x80, 0xBF
        if 0xC2 <= b <= 0xDF:
            need = 1
        elif b == 0xE0:
            need, lo = 2, 0xA0
        elif b == 0xED:
            need, hi = 2, 0x9F
        elif 0xE1 <= b <= 0xEF:
            need = 2
        elif b == 0xF0:
            need, lo = 3, 0x90
        elif b == 0xF4:
            need, hi = 3, 0x8F
        elif 0xF1 <= b <= 0xF3:
            need = 3
        k = 1
        while k <= need and i + k < n:
            c = a[i + k]
            if k == 1:
                if c < lo or c > hi:
                    break
            elif c < 0x80 or c > 0xBF:
                break
            k += 1
        high += k
        if need and k == need + 1:
            i += k
            continue
        if first < 0:
            first = i
        bad += k
        i += k
    return bad, high, first


def _single_byte(data: bytes, census: _Census) -> str:
    scan = _scan(data)
    runs = dict(zip(scan.tokens, scan.counts.tolist()))
    evidence = {enc: _evidence(runs, enc) for enc in SINGLE_BYTE}
    first_high = re.search(rb"[\x80-\xff]", data).start()
    if not any(evidence.values()):
        raise _Undecodable(first_high, "not UTF-8, and the file's non-ASCII bytes form no "
                                       "word in cp1251, KOI8-R or latin-1 (a stray byte?)")
    cyrillic = [e for e in ("cp1251", "koi8-r") if evidence[e]]
    if cyrillic and max(evidence[e] for e in cyrillic) >= evidence["latin-1"]:
        enc = _cp1251_or_koi8(scan)
    else:
        enc = "latin-1"
        if scan.junk[enc] is not None and scan.junk["cp1252"] is None:
            # bytes 0x80–0x9F are controls in latin-1 but € “ ” – … in its Windows form
            enc = "cp1252"
    junk = scan.junk[enc]
    if junk is not None:
        raise _Undecodable(junk, f"not a character of {enc}, the encoding of the rest of the "
                                 "file; the file mixes encodings or has a stray byte")
    # real UTF-8 text (two letters or more) inside a single-byte file: mixed
    if census.utf8_text is not None:
        offset, text = census.utf8_text
        raise _Undecodable(offset, f"UTF-8 text ({text!r}) in a file otherwise in "
                                   f"{enc}: the file mixes encodings")
    return enc


#: The single-byte encodings whose junk (:data:`_JUNK`) is looked for, as bits of
#: :data:`_JUNK_BYTES`: a byte is junk in an encoding when the character it decodes to is.
_JUNK_ENCODINGS = ("cp1251", "koi8-r", "latin-1", "cp1252")
_JUNK_BYTES = np.array([sum(1 << j for j, e in enumerate(_JUNK_ENCODINGS)
                            if _JUNK.match(bytes([b]).decode(e, "replace")))
                        for b in range(256)], dtype=np.uint8)


@dataclass
class _Scan:
    """One pass over a single-byte file's runs (:data:`_HIGH_RUN`): the distinct runs
    and how often each occurs, the cp1251/KOI8-R votes of its lines (see
    :func:`_cp1251_or_koi8`), each decoding's Russian score, and the first junk byte of
    each encoding of :data:`_JUNK_ENCODINGS` (None: none)."""

    tokens: list[bytes]
    counts: np.ndarray
    votes: dict[str, int]
    first: dict[str, int]
    score: dict[str, float]
    junk: dict[str, int | None]


class _TokenTable:
    """The distinct runs seen so far, with what the rule needs of each: its Russian score
    and junk in cp1251 and KOI8-R, its Cyrillic letters (read as cp1251) and its count."""

    def __init__(self):
        self.tokens: list[bytes] = []
        self.ids: dict[int, int] = {}  # 64-bit hash → token id
        self.by_bytes: dict[bytes, int] = {}
        self._rows: list[tuple[float, float, bool, bool, int]] = []
        self._arrays = None
        self.counts = np.zeros(0, dtype=np.int64)

    def add(self, tok: bytes) -> int:
        i = self.by_bytes.get(tok)
        if i is not None:
            return i
        i = len(self.tokens)
        self.tokens.append(tok)
        self.by_bytes[tok] = i
        text = {e: tok.decode(e, "replace") for e in ("cp1251", "koi8-r")}
        self._rows.append((_russian_score(text["cp1251"]), _russian_score(text["koi8-r"]),
                           _first_junk(text["cp1251"]) is not None,
                           _first_junk(text["koi8-r"]) is not None,
                           sum(len(w) for w in _CYRILLIC_WORD.findall(text["cp1251"]))))
        return i

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(score (n, 2), junk (n, 2), letters (n,)) of the tokens so far."""
        if self._arrays is None or len(self._arrays[2]) != len(self._rows):
            rows = np.array(self._rows, dtype=float).reshape(-1, 5)
            self._arrays = (rows[:, :2], rows[:, 2:4] > 0, rows[:, 4])
        return self._arrays

    def count(self, ids: np.ndarray) -> None:
        add = np.bincount(ids, minlength=len(self.tokens))
        add[:len(self.counts)] += self.counts
        self.counts = add


def _scan(data: bytes, size: int | None = None) -> _Scan:
    """:class:`_Scan` of ``data``, piece by piece (:func:`_pieces`): a compiled pass finds
    each piece's runs with a 64-bit hash of their bytes; each distinct hash is decoded and
    scored once. Runs are checked byte for byte against the run their hash stands for, so
    a hash collision costs time (that piece's runs are read with the regex), never a
    wrong token."""
    table = _TokenTable()
    arr = np.frombuffer(data, dtype=np.uint8)
    votes = {"cp1251": 0, "koi8-r": 0}
    first: dict[str, int] = {}
    junk: dict[str, int | None] = {e: None for e in _JUNK_ENCODINGS}
    for off, end in _pieces(data, size):
        a = arr[off:end]
        found = _first_flags(a, _JUNK_BYTES, len(_JUNK_ENCODINGS))
        for j, e in enumerate(_JUNK_ENCODINGS):
            if junk[e] is None and found[j] >= 0:
                junk[e] = off + int(found[j])
        ids, line, firsts, n_lines = _piece_runs(data, off, a, table)
        if not len(ids):
            continue
        table.count(ids)
        _vote(table, ids, line, firsts + off, n_lines, votes, first)
    table.count(np.zeros(0, dtype=np.int64))
    scores = table.arrays()[0]
    score = {e: float(table.counts.astype(float) @ scores[:, j]) if len(table.tokens) else 0.0
             for j, e in enumerate(("cp1251", "koi8-r"))}
    return _Scan(table.tokens, table.counts, votes, first, score, junk)


def _piece_runs(data: bytes, off: int, a: np.ndarray, table: _TokenTable):
    """The runs of the piece ``a`` (``data[off:off + len(a)]``): (token id, line within the
    piece, offset of the first high byte within the piece) of each, in order, and the
    piece's number of lines."""
    bound = (a.size + 1) // 2  # runs are separated by a byte at least
    start = np.empty(bound, dtype=np.int64)
    end = np.empty(bound, dtype=np.int64)
    firsts = np.empty(bound, dtype=np.int64)
    line = np.empty(bound, dtype=np.int64)
    hashes = np.empty(bound, dtype=np.uint64)
    n, n_nl = _fill_runs(a, _CLASS, start, end, firsts, line, hashes)
    start, end, firsts, line, hashes = start[:n], end[:n], firsts[:n], line[:n], hashes[:n]
    n_lines = int(n_nl) + 1
    if not n:
        return np.zeros(0, dtype=np.int64), line, firsts, n_lines
    uniq, where, inverse = np.unique(hashes, return_index=True, return_inverse=True)
    rep_start, rep_end = start[where], end[where]
    if not _same_as(a, start, end, rep_start[inverse], rep_end[inverse]):
        # two different runs with one hash in this piece: read its runs exactly
        tokens, tfirsts = _high_runs(data[off:off + a.size])
        ids = np.array([table.add(t) for t in tokens], dtype=np.int64)
        tfirsts = np.asarray(tfirsts, dtype=np.int64)
        nl = np.flatnonzero(a == 0x0A)
        return ids, np.searchsorted(nl, tfirsts, side="left"), tfirsts, n_lines
    gid = np.empty(len(uniq), dtype=np.int64)
    for k, h in enumerate(uniq.tolist()):
        tok = data[off + rep_start[k]:off + rep_end[k]]
        i = table.ids.get(h)
        if i is None or table.tokens[i] != tok:  # new, or a hash shared across pieces
            i = table.add(tok)
            table.ids.setdefault(h, i)
        gid[k] = i
    return gid[inverse], line, firsts, n_lines


def _vote(table: _TokenTable, ids, line, firsts, n_lines: int, votes: dict, first: dict):
    """Each line's cp1251/KOI8-R vote (see :func:`_cp1251_or_koi8`), added to ``votes``;
    ``first`` keeps each encoding's first voting line's first high byte."""
    encs = ("cp1251", "koi8-r")
    score, junk, letters = table.arrays()
    per = {j: np.bincount(line, weights=score[ids, j], minlength=n_lines) for j in (0, 1)}
    bad = {j: np.bincount(line, weights=junk[ids, j], minlength=n_lines) > 0 for j in (0, 1)}
    n_letters = np.bincount(line, weights=letters[ids], minlength=n_lines)
    first_high = np.full(n_lines, np.iinfo(np.int64).max)
    np.minimum.at(first_high, line, firsts)
    sc = np.column_stack([np.where(bad[j], -np.inf, per[j]) for j in (0, 1)])
    best = np.where(sc[:, 1] > sc[:, 0], 1, 0)  # ties go to cp1251, as max() did
    with np.errstate(invalid="ignore"):
        lead = np.abs(sc[:, 0] - sc[:, 1])
    clear = (n_letters > 0) & (np.isinf(lead) | ((n_letters >= _MIXED_LINE_LETTERS)
                                                 & (lead > _MIXED_LINE_MARGIN * n_letters)))
    clear &= ~(np.isinf(sc[:, 0]) & np.isinf(sc[:, 1]))  # junk both ways: no vote
    for j, e in enumerate(encs):
        mine = clear & (best == j)
        votes[e] += int(n_letters[mine].sum())
        if mine.any():
            first[e] = min(first.get(e, np.iinfo(np.int64).max), int(first_high[mine].min()))


#: Byte classes of the compiled pass: 0 other, 1 ASCII letter, 2 above ASCII, 3 line end.
_CLASS = np.zeros(256, dtype=np.uint8)
_CLASS[0x41:0x5B] = _CLASS[0x61:0x7B] = 1
_CLASS[0x80:] = 2
_CLASS[0x0A] = 3


@njit(cache=True, nogil=True)
def _fill_runs(a, cls, start, end, firsts, line, hashes):
    """Each run's start, end, first high byte, line (line ends before it) and FNV-1a hash
    of its bytes; returns (runs, line ends)."""
    k = 0
    ln = 0
    inrun = False
    high = False
    s = 0
    f = 0
    h = np.uint64(0)
    for i in range(a.size):
        c = cls[a[i]]
        if c == 1 or c == 2:
            if not inrun:
                inrun = True
                s = i
                h = np.uint64(14695981039346656037)
            if c == 2 and not high:
                high = True
                f = i
            h = (h ^ np.uint64(a[i])) * np.uint64(1099511628211)
        else:
            if inrun and high:
                start[k] = s
                end[k] = i
                firsts[k] = f
                line[k] = ln
                hashes[k] = h
                k += 1
            inrun = False
            high = False
            ln += c == 3
    if inrun and high:
        start[k] = s
        end[k] = a.size
        firsts[k] = f
        line[k] = ln
        hashes[k] = h
        k += 1
    return k, ln


@njit(cache=True, nogil=True)
def _same_as(a, start, end, rep_start, rep_end) -> bool:
    """Whether every run's bytes equal those of the run its hash stands for."""
    for k in range(start.size):
        n = end[k] - start[k]
        if n != rep_end[k] - rep_start[k]:
            return False
        if start[k] == rep_start[k]:
            continue
        for i in range(n):
            if a[start[k] + i] != a[rep_start[k] + i]:
                return False
    return True


@njit(cache=True, nogil=True)
def _first_flags(a, table, nbits):
    """For each bit of ``table[byte]``, the first position of a byte with it (−1: none)."""
    out = np.full(nbits, -1, dtype=np.int64)
    left = nbits
    for i in range(a.size):
        t = table[a[i]]
        if t:
            for j in range(nbits):
                if (t >> j) & 1 and out[j] < 0:
                    out[j] = i
                    left -= 1
            if left == 0:
                break
    return out


def _cp1251_or_koi8(scan: _Scan) -> str:
    """cp1251 or KOI8-R: each line votes for the decoding that reads as Russian text
    (by :func:`_russian_score`; a decoding with junk is not text). Lines with enough
    letters and a clear lead decide, by their letters; the first line voting the other
    way is a mixed file. Without such lines, the whole file's score decides.

    Each distinct run of high bytes (:data:`_HIGH_RUN`) is decoded and scored once; a
    line's score is the sum over its runs (the Cyrillic words of a line lie inside them),
    gathered per line with numpy (:func:`_scan`), so a ten-million-line export costs one
    compiled pass.
    """
    votes, first = scan.votes, scan.first
    encs = ("cp1251", "koi8-r")
    if any(votes.values()):
        enc = max(votes, key=lambda e: (votes[e], e == "cp1251"))
        other = "koi8-r" if enc == "cp1251" else "cp1251"
        if votes[other]:
            raise _Undecodable(first[other], f"this line reads as Russian in {other}, the rest "
                                             f"of the file in {enc}: the file mixes encodings")
        return enc
    clean = [e for e in encs if scan.junk[e] is None] or list(encs)
    return max(clean, key=lambda e: scan.score[e])


def _line_of(data: bytes, offset: int, enc: str | None = None) -> int:
    """The 1-based line holding byte ``offset`` (UTF-16: counted in decoded text)."""
    if enc and enc.startswith("utf-16"):
        start = 2 if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) else 0
        body = data[start:offset - (offset - start) % 2]
        codec = enc if enc != "utf-16" else ("utf-16-le" if data[:2] == codecs.BOM_UTF16_LE
                                             else "utf-16-be")
        return body.decode(codec, "replace").count("\n") + 1
    return data.count(b"\n", 0, offset) + 1


def _undecodable_message(path: Path, data: bytes, err: _Undecodable, enc: str | None = None
                         ) -> str:
    byte = data[err.offset] if err.offset < len(data) else None
    shown = f" (0x{byte:02X})" if byte is not None else ""
    enc = enc or err.encoding
    return (f"{path}: cannot decode the file: line {_line_of(data, err.offset, enc)}, byte "
            f"offset {err.offset}{shown}: {err.why}. Expected the whole file in one encoding: "
            f"{ENCODINGS_TEXT}; save it again as UTF-8")


def _utf8_streaming(path: Path) -> str | None:
    """``utf-8``/``utf-8-sig`` when the whole file is UTF-8 without NUL bytes (read in
    chunks: the common case costs no copy of the file); None: look closer."""
    with open(path, "rb") as fh:
        head = fh.read(4)
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return None
        enc = "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"
        fh.seek(0)
        dec = codecs.getincrementaldecoder(enc)("strict")
        try:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                if b"\x00" in chunk:
                    return None
                dec.decode(chunk)
            dec.decode(b"", final=True)
        except UnicodeDecodeError:
            return None
    return enc


def _detect_encoding(path: Path) -> str:
    """The encoding of the whole file (see the rule above), or :class:`ReadError` naming
    the line and byte offset where it stops being one encoding."""
    enc = _utf8_streaming(path)
    if enc is not None:
        return enc
    data = path.read_bytes()
    try:
        return _decide_encoding(data)
    except _Undecodable as err:
        raise ReadError(_undecodable_message(path, data, err)) from None


def _check_encoding(path: Path, enc: str) -> None:
    """An encoding given by the caller (``encoding=``) must decode the whole file."""
    try:
        codec = codecs.lookup(enc)
    except LookupError:
        raise ReadError(f"{path}: unknown encoding {enc!r}; expected a Python codec name "
                        "such as utf-8, cp1251, koi8-r, latin-1, utf-16") from None
    data = path.read_bytes()
    try:
        data.decode(codec.name)
    except UnicodeDecodeError as err:
        raise ReadError(_undecodable_message(
            path, data, _Undecodable(err.start, f"not {enc} ({err.reason})"), codec.name)
        ) from None
