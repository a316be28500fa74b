"""Errors a person can act on.

Every error cxlab raises on purpose is a :class:`CxlabError`. Its message says what was
found, where (file, row, column) and what was expected; the CLI prints it without a
traceback and exits non-zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar


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


class ReportError(CxlabError):
    """A report could not be rendered (bad notebook list, output folder problem)."""


class NotebookError(ReportError):
    """A notebook failed while rendering a report: names the notebook, the cell and the error.

    The previous report is untouched; the failed executed notebook is kept at ``kept`` for
    the analyst (it shows the traceback in place). ``cell`` is papermill's 0-based
    ``cell_index``; the message counts from 1.
    """

    def __init__(self, notebook: str, quarter: str, cell: int | None, exec_count: int | None,
                 source: str, ename: str, evalue: str, kept: Path | None = None):
        self.notebook = notebook
        self.quarter = quarter
        self.cell = cell
        self.exec_count = exec_count
        self.source = source
        self.ename = ename
        self.evalue = evalue
        self.kept = kept
        lines = [line for line in (source or "").strip().splitlines() if line.strip()]
        excerpt = lines[0] if lines else ""
        if len(lines) > 1:
            excerpt += " …"
        # papermill's cell_index counts from 0 in the executed notebook (injected
        # parameters included); people count from 1
        where = f"cell {cell + 1} of the executed notebook" if cell is not None else "a cell"
        if exec_count is not None:
            where += f" (execution count [{exec_count}])"
        msg = (
            f"notebook '{notebook}' failed for {quarter} in {where}: {ename}: {evalue}"
            f"\n  cell source: {excerpt[:200]}"
            f"\n  the previous report for {quarter} (if any) was left untouched"
        )
        if kept is not None:
            msg += f"\n  executed notebook with the traceback: {kept}"
        super().__init__(msg)


class ParameterError(CxlabError):
    """A function was called with an argument it cannot work with."""


class FileError(CxlabError):
    """The operating system refused to read or write a file or folder: a full disk, a
    read-only or missing folder, a path through a file, no permission.

    Made with :meth:`from_os`, which says what was being done, where, and what to do.
    ``errno`` is the operating system's error number (``None`` when unknown).
    """

    #: errno name → what a person can do about it.
    HINTS: ClassVar[dict[str, str]] = {
        "ENOSPC": "the disk is full; free some space and run the command again",
        "EDQUOT": "the disk quota is used up; free some space and run the command again",
        "EACCES": "permission denied; check the permissions or choose another location",
        "EPERM": "the operation is not permitted; check the permissions or choose another "
                 "location",
        "EROFS": "the file system is read-only; choose a writable location",
        "ENOTDIR": "a part of the path is a file, not a folder; check the path",
        "EISDIR": "this is a folder, where a file was expected; check the path",
        "ENOENT": "no such file or folder; check the path",
        "EEXIST": "it exists already",
        "ENAMETOOLONG": "the path is too long; choose a shorter one",
        "EIO": "an input/output error from the disk; check the disk and try again",
        "EMFILE": "too many open files; close other programs and try again",
    }

    def __init__(self, message: str, errno: int | None = None):
        self.errno = errno
        super().__init__(message)

    @classmethod
    def from_os(cls, err: OSError, doing: str | None = None) -> FileError:
        """One line from an :class:`OSError`: ``cannot <doing> (<path>): <hint>``.

        Examples
        --------
        >>> import errno
        >>> full = OSError(errno.ENOSPC, "No space left on device", "r.csv")
        >>> str(FileError.from_os(full, "write the list"))[:64]
        'cannot write the list (r.csv): the disk is full; free some space'
        """
        import errno as _errno

        code = err.errno
        name = _errno.errorcode.get(code, "") if code is not None else ""
        hint = cls.HINTS.get(name) or (err.strerror or str(err) or type(err).__name__)
        paths = [p for p in (err.filename, getattr(err, "filename2", None)) if p]
        where = f" ({' → '.join(map(str, paths))})" if paths else ""
        what = f"cannot {doing}" if doing else "a file operation failed"
        tag = f" [{name}]" if name else ""
        return cls(f"{what}{where}: {hint}{tag}", code)


class LockError(WarehouseError):
    """The warehouse stayed locked by another process for longer than the wait allowed
    (``$CXLAB_LOCK_TIMEOUT`` seconds)."""


class DisclosureError(CxlabError):
    """A stakeholder report would let a reader work out a count of people under the
    disclosure threshold, and no further suppression can prevent it: it is not rendered
    (:mod:`cxlab.disclosure`)."""
