"""Scale: the core kernels on row chunks of dask arrays and on memory-mapped panels.

The core works row by row (each participant's result depends on that
participant's row only), so a national register that outgrows memory is
evaluated by handing the same kernel one row chunk at a time.  A
memory-mapped ``numpy.memmap`` panel needs nothing special: it *is* an
ndarray and the kernels read it in blocks.  For a panel on many files or
machines, :func:`map_rows` runs a kernel on every row chunk of a
:mod:`dask.array` (the optional ``scale`` extra).

>>> import numpy as np
>>> from impactbond.core.accrual import employed_weeks
>>> panel = np.array([[1, 1, 5, 1], [5, 5, 1, 1], [1, 5, 5, 5]], dtype=np.int8)
>>> table = np.zeros(256, dtype=np.int64); table[1] = 1
>>> weeks = map_rows(employed_weeks, panel, chunk_rows=2,
...                  rows={"window_start": [0, 1, 0], "window_end": [4, 4, 2]},
...                  weight_table=table)
>>> weeks.compute().tolist()
[3, 2, 1]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["map_rows"]


def map_rows(
    kernel: Callable[..., npt.NDArray[Any]],
    panel: Any,
    *,
    rows: Mapping[str, Any] | None = None,
    chunk_rows: int | None = None,
    dtype: Any = np.int64,
    **constants: Any,
) -> Any:
    """Run a row-wise core kernel on every row chunk of ``panel`` (lazily, with dask).

    Parameters
    ----------
    kernel:
        A core function whose first argument is the panel and which returns
        one value per row, e.g. :func:`impactbond.core.accrual.employed_weeks`
        or :func:`impactbond.core.retention.job_start`.
    panel:
        A 2-D array (numpy, memmap or dask) of int8 status codes, rows =
        participants.  Columns are never split: a row is always whole.
    rows:
        Per-row arguments of the kernel by name (``window_start``, ...), each
        of length ``panel.shape[0]``; they are chunked like the panel's rows.
    chunk_rows:
        Rows per chunk when ``panel`` is not already a dask array (default: a
        chunk of about 64 MiB).
    dtype:
        The kernel's result dtype.
    **constants:
        Arguments passed unchanged to every call (tables, horizons).

    Returns
    -------
    dask.array.Array
        One value per row; ``.compute()`` gives the numpy result, equal to
        calling the kernel on the whole panel.
    """
    try:
        import importlib

        # dask.array is only partly typed: treat it as Any here.
        da: Any = importlib.import_module("dask.array")
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError("map_rows needs dask: pip install 'impactbond[scale]'") from err
    if isinstance(panel, da.Array):
        arr = panel.rechunk({1: -1})
    else:
        n_cols = np.shape(panel)[1]
        step = chunk_rows or max(1, (64 << 20) // max(1, n_cols))
        arr = da.from_array(panel, chunks=(step, n_cols))
    names = list(rows or {})
    per_row = [
        da.asarray(
            np.asarray(rows[name]) if not isinstance(rows[name], da.Array) else rows[name]
        ).rechunk((arr.chunks[0],))[:, None]
        for name in names
        if rows is not None
    ]

    def block(chunk: npt.NDArray[Any], *columns: npt.NDArray[Any]) -> npt.NDArray[Any]:
        named = {name: column[:, 0] for name, column in zip(names, columns, strict=True)}
        return kernel(np.asarray(chunk), **named, **constants)

    return da.map_blocks(block, arr, *per_row, drop_axis=1, dtype=dtype)
