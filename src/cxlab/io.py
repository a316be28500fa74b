"""Reading real exports and keeping them in the warehouse: one name for both.

:mod:`cxlab.exports` reads a team's files (CSV/TSV/TXT, XLSX, Parquet; encodings,
separators, decimal commas, Russian dates) and maps them onto our tables (renamed
columns, constants, recoded values, scales, generated ids); :mod:`cxlab.warehouse` keeps
them (DuckDB by default: idempotent, one transaction per batch) and reads them back.
``from cxlab import io`` gives the public functions of both, as notebooks and the CLI
use them (``io.read``, ``io.ingest``, ``io.load`` …).
"""

from __future__ import annotations

from cxlab.exports import *  # noqa: F401,F403 - the facade re-exports both modules
from cxlab.exports import __all__ as _exports_all
from cxlab.warehouse import *  # noqa: F401,F403
from cxlab.warehouse import __all__ as _warehouse_all
# helpers other modules of the package use through ``io``
from cxlab.warehouse import INGEST_LOG, _existing_columns, _q, _warehouse_path  # noqa: F401

__all__ = [*_exports_all, *_warehouse_all]
