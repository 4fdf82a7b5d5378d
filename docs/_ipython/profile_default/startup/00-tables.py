"""How the documentation shows pandas tables (the docs build sets IPYTHONDIR here).

A table of numbers is easier to read with thousands separators, without
trailing zeros, and without the row numbers pandas adds (0, 1, 2, ...): a
DataFrame is shown through a Styler that formats numbers and hides an index
of row numbers: a range, or the unnamed integers a filtered range leaves (a
meaningful index, such as a cohort or a named price, stays).
"""

from __future__ import annotations

import numbers
from typing import Any


def _number(x: Any) -> str:
    if isinstance(x, bool) or not isinstance(x, numbers.Number):
        return str(x)
    if isinstance(x, numbers.Integral):
        return f"{int(x):,}"
    value = float(x)  # type: ignore[arg-type]
    if value != value:  # NaN
        return ""
    text = f"{value:,.4f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _row_numbers(index: Any) -> bool:
    """An index of row numbers: a range, or the unnamed integers left by filtering one."""
    import pandas as pd

    if isinstance(index, pd.RangeIndex):
        return True
    return (
        not isinstance(index, pd.MultiIndex)
        and index.name is None
        and pd.api.types.is_integer_dtype(index.dtype)
    )


def _html(frame: Any) -> str:
    import pandas as pd

    styler = frame.style.format(_number, na_rep="")
    numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
    numeric += [
        c for c in frame.columns
        if frame[c].dtype == object and len(frame[c]) and all(
            isinstance(x, numbers.Number) and not isinstance(x, bool) for x in frame[c]
        )
    ]
    if numeric:
        styler = styler.set_properties(subset=numeric, **{"text-align": "right"})
        styler = styler.set_table_styles(
            [{"selector": f"th.col_heading.col{list(frame.columns).index(c)}",
              "props": [("text-align", "right")]} for c in numeric],
            overwrite=False,
        )
    if _row_numbers(frame.index):
        styler = styler.hide(axis="index")
    else:  # a named index of numbers (a price, a cap) is formatted like the cells
        styler = styler.format_index(_number, axis="index")
    styler = styler.set_table_attributes('class="dataframe impactbond-table"')
    return str(styler.to_html())


def _register() -> None:
    try:
        import pandas as pd
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return
    formatter = shell.display_formatter.formatters["text/html"]
    formatter.for_type(pd.DataFrame, _html)
    formatter.for_type(pd.Series, lambda s: _html(s.to_frame()))


_register()
