"""Errors a person can act on.

Every error cxlab raises on purpose is a :class:`CxlabError`. Its message says what was
found, where (file, row, column) and what was expected; the CLI prints it without a
traceback and exits non-zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class CxlabError(Exception):
    """Base class of cxlab's errors."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one place in an input.

    ``row`` is the 1-based data row as a person counts it in the file (the header is not
    a row; for a DataFrame, the position + 1). ``None`` where the problem is not tied to
    a row (a missing column, a wrong table).
    """

    column: str | None
    check: str
    value: object = None
    row: int | None = None
    expected: str = ""
    place: str = "column"  # what ``column`` names: a column, or a key of a YAML file

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"{self.place} '{self.column}'")
        place = ", ".join(where) or "table"
        got = "" if self.value is None else f": got {self.value!r}"
        exp = f"; expected {self.expected}" if self.expected else ""
        return f"{place}{got}{exp} [{self.check}]"


class ValidationError(CxlabError):
    """An input failed its table's schema. Carries every problem found, not the first."""

    def __init__(self, source: str, table: str, problems: list[Problem], max_shown: int = 30):
        self.source = source
        self.table = table
        self.problems = list(problems)
        lines = [f"{source}: {len(self.problems)} problem(s) in table '{table}':"]
        lines += [f"  - {p}" for p in self.problems[:max_shown]]
        if len(self.problems) > max_shown:
            lines.append(f"  … and {len(self.problems) - max_shown} more")
        super().__init__("\n".join(lines))


class ReadError(CxlabError):
    """A file could not be read at all (missing, unknown format, undecodable)."""


class WarehouseError(CxlabError):
    """The warehouse is missing, or a query on it asked for something it has not got."""


class ChannelMixingError(CxlabError):
    """A single figure was asked of responses from more than one survey channel."""

    def __init__(self, channels, what: str = "NPS"):
        self.channels = sorted(map(str, channels))
        super().__init__(
            f"{what} over responses from {len(self.channels)} survey channels "
            f"({', '.join(self.channels)}): answers given in different survey channels "
            "are answered under different conditions and must not be pooled into one figure. Split by channel "
            "(e.g. a grouped table with by=['channel']) or pass pool_channels=True to "
            "pool on purpose; the result then records that it pooled."
        )


class QuarterError(CxlabError):
    """A quarter string is malformed, unknown, or has no data."""


class ParameterError(CxlabError):
    """A function was called with an argument it cannot work with."""
