"""Progress of long steps: one rule for when it shows, one way to draw it.

A long step — an ingest (each file, and a large file's stages), a bootstrap (its
resamples), a report (its notebooks) — runs inside :func:`task`::

    from cxlab import progress

    with progress.task("bootstrap", total=n_boot, unit="resamples") as bar:
        for ... :
            ...
            bar.advance()

**When progress shows** (:func:`enabled`, decided when the step starts):

1. ``CXLAB_PROGRESS=1`` forces it on, ``CXLAB_PROGRESS=0`` off (also ``true``/``false``,
   ``yes``/``no``, ``on``/``off``). ``cxlab --quiet`` and :func:`disable` set ``0``.
2. Otherwise it is off when ``CI`` is set (a CI job), when ``CXLAB_LEDGER`` is set (a
   report kernel run by papermill: its output becomes stakeholder HTML), and under
   pytest (``PYTEST_CURRENT_TEST``; nbval's kernels inherit it). "Set" means to
   anything but empty, ``0``, ``false``, ``no`` or ``off``.
3. Otherwise it is on in an interactive Jupyter kernel (a notebook in JupyterLab), and
   elsewhere only when stderr is a terminal: never under cron, in a pipe or in a log
   file, and never with ``TERM=dumb``.

**Short steps never flash a bar**: a step appears only once it has run for
:data:`DELAY` (1 s). On a terminal the bar goes to **stderr**, never stdout (stdout stays
for results and data), and disappears when the step ends. In a notebook it is an output
of the running cell, redrawn in place at most :data:`REFRESH` times a second and cleared
when the step ends (a saved notebook keeps no bar). Several steps at once — nested (an
ingest's files) or parallel (a report's notebooks) — are rows of one display.

When progress is off, :func:`task` returns a shared object whose methods do nothing, so
a loop may advance it on every iteration. Progress never touches random state or the
results: a seeded analysis gives the same numbers with or without it.
"""

from __future__ import annotations

import functools
import io
import os
import sys
import threading
import time

#: Environment variable that forces progress on (``1``) or off (``0``).
ENV = "CXLAB_PROGRESS"

#: Seconds a step must run before its bar appears (short steps never flash one); 0 shows
#: every step at once.
DELAY = 1.0

#: In a notebook, the most redraws per second (each redraw is a message to the browser).
REFRESH = 5

_ON = {"1", "true", "yes", "on"}
_OFF_VALUES = {"0", "false", "no", "off"}
# Environment variables (besides ENV) that turn progress off when set: a CI job, a
# report kernel keeping a disclosure ledger (cxlab.disclosure.ENV), a pytest run.
_QUIET_WHEN = ("CI", "CXLAB_LEDGER", "PYTEST_CURRENT_TEST")


def _forced() -> bool | None:
    value = os.environ.get(ENV, "").strip().lower()
    return True if value in _ON else False if value in _OFF_VALUES else None


def _in_notebook() -> bool:
    """An interactive Jupyter kernel (ipykernel's shell); IPython is not imported here."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return type(shell).__name__ == "ZMQInteractiveShell"


def _stderr_is_terminal() -> bool:
    try:
        return sys.stderr is not None and sys.stderr.isatty()
    except (AttributeError, ValueError, OSError):  # a replaced or closed stream
        return False


def enabled() -> bool:
    """Whether a step starting now shows its progress (the rule in the module docstring)."""
    forced = _forced()
    if forced is not None:
        return forced
    if any(os.environ.get(name, "").strip().lower() not in ("", *_OFF_VALUES)
           for name in _QUIET_WHEN):
        return False
    if _in_notebook():
        return True
    return _stderr_is_terminal() and os.environ.get("TERM") != "dumb"


def disable() -> None:
    """Turn progress off for this process and the processes it starts (report kernels):
    sets ``CXLAB_PROGRESS=0``."""
    os.environ[ENV] = "0"


def task(description: str, total: int | None = None, *, unit: str = "", show: bool = True):
    """A step whose progress shows according to :func:`enabled`; use it as ``with``.

    Parameters
    ----------
    description : str
        What the step does, e.g. ``"bootstrap"`` or ``"responses.csv: reading"``.
    total : int, optional
        How many units the step has; None when unknown (a pulsing bar and the count so
        far).
    unit : str
        The units counted, e.g. ``"resamples"``, ``"files"``.
    show : bool
        The caller's own switch (e.g. ``render(progress=False)``): False never shows.

    Returns
    -------
    Task
        A context manager whose value has ``advance(k=1)`` and ``update(completed=,
        total=, description=)``, safe to call from several threads; a no-op when
        progress is off.
    """
    if not (show and enabled()):
        return _OFF
    return Task(description, total, unit)


class _Off:
    """The task of a step whose progress is off: every method does nothing."""

    __slots__ = ()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None

    def advance(self, k: int = 1) -> None:
        return None

    def update(self, *, completed=None, total=None, description=None) -> None:
        return None


_OFF = _Off()


class Task:
    """One step's progress (:func:`task`): counted from the start, drawn after
    :data:`DELAY` as a row of the one display (:class:`_Board`)."""

    def __init__(self, description: str, total: int | None, unit: str):
        self.description, self.total, self.unit = description, total, unit
        self.completed = 0
        self._started = time.monotonic()
        self._lock = threading.Lock()
        self._row = None  # the display's task id, once shown
        self._closed = False
        self._timer = None

    def __enter__(self) -> Task:
        if DELAY <= 0:
            self._show()
        elif not _board_in_notebook():
            # on a terminal the bar appears after DELAY even if the step is one long
            # call; in a notebook it appears at the first advance after DELAY (output
            # is drawn only from the cell's thread)
            self._timer = threading.Timer(DELAY, self._show)
            self._timer.daemon = True
            self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._timer is not None:
            self._timer.cancel()
        with self._lock:
            self._closed = True
            row, self._row = self._row, None
        if row is not None:
            _remove(row)

    def advance(self, k: int = 1) -> None:
        """Count ``k`` more units done."""
        with self._lock:
            self.completed += k
            self._sync()

    def update(self, *, completed: int | None = None, total: int | None = None,
               description: str | None = None) -> None:
        """Set the count done, the total or the description."""
        with self._lock:
            if completed is not None:
                self.completed = completed
            if total is not None:
                self.total = total
            if description is not None:
                self.description = description
            self._sync()

    def _show(self) -> None:
        with self._lock:
            if self._row is None and not self._closed:
                self._row = _add(self)

    def _sync(self) -> None:
        """Pass the state to the display (the caller holds ``self._lock``)."""
        if self._closed:
            return
        if self._row is None:
            if self._timer is not None or time.monotonic() - self._started < DELAY:
                return
            self._row = _add(self)
        else:
            _update(self)


# ------------------------------------------------------------------------- the display

_lock = threading.RLock()
_board: _Board | None = None


def _board_in_notebook() -> bool:
    with _lock:
        return _board.notebook if _board is not None else _in_notebook()


class _Board:
    """The one display of the visible steps: a :class:`rich.progress.Progress`, live on
    stderr on a terminal, or rendered to HTML as an output of the running notebook cell."""

    def __init__(self, notebook: bool):
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
        from rich.table import Column

        self.notebook = notebook
        self.handle = None  # the notebook output, once drawn
        self.drawn = 0.0
        if notebook:
            console = Console(file=io.StringIO(), record=True, width=100, force_terminal=True,
                              force_jupyter=False, color_system="truecolor")
        else:  # CXLAB_PROGRESS=1 draws even where stderr is not a terminal
            console = Console(stderr=True, force_terminal=True if _forced() else None)
        count, remaining = _columns()
        self.progress = Progress(
            # the description is cut, never wrapped: one line per step
            TextColumn("{task.description}",
                       table_column=Column(no_wrap=True, overflow="ellipsis")),
            BarColumn(bar_width=20), count(table_column=Column(no_wrap=True)),
            TimeElapsedColumn(), remaining(), console=console, transient=True,
            redirect_stdout=False, get_time=time.monotonic, auto_refresh=not notebook,
            refresh_per_second=REFRESH)
        if not notebook:
            self.progress.start()

    def draw(self, now: bool = False) -> None:
        """Redraw. On a terminal only when ``now`` (a row came or goes): rich's own thread
        redraws :data:`REFRESH` times a second. In a notebook at most REFRESH times a
        second unless ``now``, and only from the cell's thread."""
        if not self.notebook:
            if now:
                self.progress.refresh()
            return
        if threading.current_thread() is not threading.main_thread():
            return
        at = time.monotonic()
        if not now and at - self.drawn < 1 / REFRESH:
            return
        self.drawn = at
        console = self.progress.console
        console.file.seek(0)  # the recording is what is shown: the file keeps nothing
        console.file.truncate()
        console.print(self.progress.get_renderable())
        text = console.export_text(clear=False)
        html = console.export_html(inline_styles=True, code_format=_PRE)
        self.handle = _publish({"text/plain": text, "text/html": html}, self.handle)

    def close(self) -> None:
        """End the display: a terminal's bar is erased, a notebook's output emptied."""
        if not self.notebook:
            self.progress.stop()
        elif self.handle is not None and threading.current_thread() is threading.main_thread():
            _publish({"text/plain": ""}, self.handle)


_PRE = ("<pre style=\"white-space:pre;overflow-x:auto;line-height:normal;font-family:Menlo,"
        "'DejaVu Sans Mono',consolas,'Courier New',monospace\">{code}</pre>")


def _publish(bundle: dict, handle):
    """Show ``bundle`` as the notebook output ``handle`` (a new one when None)."""
    from IPython.display import display

    if handle is None:
        return display(bundle, raw=True, display_id=True)
    handle.update(bundle, raw=True)
    return handle


def _add(t: Task):
    global _board
    with _lock:
        if _board is None:
            _board = _Board(_in_notebook())
        # added hidden and unstarted: the elapsed time counts from the step's start
        row = _board.progress.add_task(t.description, total=t.total, completed=t.completed,
                                       unit=t.unit, start=False, visible=False)
        for shown in _board.progress.tasks:
            if shown.id == row:
                shown.start_time = t._started
        _board.progress.update(row, visible=True)
        _board.draw(now=True)
        return row


def _update(t: Task) -> None:
    with _lock:
        if _board is not None:
            _board.progress.update(t._row, completed=t.completed, total=t.total,
                                   description=t.description)
            _board.draw()


def _remove(row) -> None:
    global _board
    with _lock:
        if _board is None:
            return
        _board.draw(now=True)  # the step's last state, before its row goes
        _board.progress.remove_task(row)
        if _board.progress.tasks:
            _board.draw(now=True)
        else:
            _board.close()
            _board = None


@functools.cache
def _columns():
    """The two columns of the display rich lacks (subclasses of rich's: made when a bar
    is first drawn, so that a step without progress never imports rich)."""
    from rich.progress import ProgressColumn, TimeRemainingColumn
    from rich.text import Text

    class Count(ProgressColumn):
        """``12/500 resamples``, or ``12 files`` without a total (nothing before the first)."""

        def render(self, task) -> Text:
            if task.total is None and not task.completed:
                return Text("")  # a step of stages only (a file being read)
            done = f"{task.completed:,.0f}"
            if task.total is not None:
                done += f"/{task.total:,.0f}"
            unit = task.fields.get("unit", "")
            return Text(f"{done} {unit}" if unit else done, style="progress.download")

    class Remaining(TimeRemainingColumn):
        """The time left, when the step has a total."""

        def render(self, task) -> Text:
            return Text("") if task.total is None else super().render(task)

    return Count, Remaining
