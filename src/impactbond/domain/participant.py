"""Participants: pseudonymous people in a cohort, with the dates that start their windows.

>>> from datetime import date
>>> p = Participant("NYB-0001", "sick_listed", enrolled=date(2024, 2, 1))
>>> p.id, p.cohort
('NYB-0001', 'sick_listed')
>>> Participant("010203-1234", "sick_listed", enrolled=date(2024, 2, 1))
Traceback (most recent call last):
...
impactbond.errors.CPRNumberRefused: participant id looks like a Danish CPR number; use a pseudonym [...]
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from impactbond.domain import _validators as v
from impactbond.errors import CPRNumberRefused, InvalidParticipant

__all__ = [
    "CPR_CANDIDATE_PATTERN",
    "CPR_PATTERN",
    "Participant",
    "cpr_mask",
    "looks_like_cpr",
    "withhold_cpr",
]

#: The one definition of "looks like a CPR number": DDMMYY and four digits, the
#: day 01-31 (or 61-91 for substitute numbers), the month 01-12, with no
#: separator or one of ``-``, ``/``, ``.`` or a space after the six date digits,
#: and no digit directly before or after.  Only ASCII digits count.  The same
#: text drives :func:`looks_like_cpr` (Python ``re``) and :func:`cpr_mask`
#: (RE2 in Arrow), so the two agree on every string.
CPR_PATTERN = (
    r"(0[1-9]|[12][0-9]|3[01]|6[1-9]|[78][0-9]|9[01])"  # day, or day + 60
    r"(0[1-9]|1[0-2])"  # month
    r"[0-9]{2}"  # year
    r"[-/. ]?"  # separator
    r"[0-9]{4}"  # sequence number
)
_CPR = re.compile(r"(?<![0-9])" + CPR_PATTERN + r"(?![0-9])")
# RE2 has no look-behind: a non-digit (or the ends of the text) around the number.
_CPR_RE2 = r"(^|[^0-9])" + CPR_PATTERN + r"([^0-9]|$)"
#: :data:`CPR_PATTERN` in RE2 syntax (no look-arounds), for Arrow: a string matches it
#: exactly when :func:`looks_like_cpr` accepts it.
CPR_CANDIDATE_PATTERN = _CPR_RE2


def looks_like_cpr(text: str) -> bool:
    """True if ``text`` contains a ten-digit sequence shaped like a CPR number.

    The first four digits must be a plausible day (01-31, or 61-91 for
    substitute numbers) and month (01-12); the six date digits may be followed
    by ``-``, ``/``, ``.`` or a space.

    >>> looks_like_cpr("0102031234"), looks_like_cpr("010203-1234"), looks_like_cpr("P-0001")
    (True, True, False)
    >>> looks_like_cpr("010203/1234"), looks_like_cpr("010203.1234"), looks_like_cpr("id 010203 1234")
    (True, True, True)
    >>> looks_like_cpr("9999991234"), looks_like_cpr("01020312345")
    (False, False)
    """
    return _CPR.search(text) is not None


def withhold_cpr(text: str) -> str:
    """``text`` with everything shaped like a CPR number replaced (a last guard for messages).

    >>> withhold_cpr("participant 010190-1234 not found")
    'participant <CPR number withheld> not found'
    """
    return _CPR.sub("<CPR number withheld>", text)


def string_bytes(values: pa.Array | pa.ChunkedArray) -> list[npt.NDArray[np.uint8]]:
    """The UTF-8 bytes of every chunk of a string column (its cells back to back)."""
    chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
    out = []
    for chunk in chunks:
        if len(chunk) == 0:
            continue
        _, offsets, data = chunk.buffers()
        if data is None:
            continue
        kind = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
        bounds = np.frombuffer(offsets, kind, chunk.offset + len(chunk) + 1)
        lo, hi = int(bounds[chunk.offset]), int(bounds[-1])
        out.append(np.frombuffer(data, np.uint8)[lo:hi])
    return out


_SEPARATOR_BYTES = np.frombuffer(b"-/. ", np.uint8)


def _may_hold_cpr(values: pa.Array | pa.ChunkedArray) -> bool:
    """Whether any cell could match :data:`CPR_PATTERN`.

    Every match is a run of ten ASCII digits, or a run of six digits, one
    separator and a run of four, so the column's bytes (its cells back to
    back) hold such runs; where they do not, no cell matches and the pattern
    need not run.
    """
    for b in string_bytes(values):
        digit = np.zeros(len(b) + 2, dtype=np.int8)
        digit[1:-1] = (b >= 48) & (b <= 57)
        edge = np.diff(digit)
        start, end = np.flatnonzero(edge == 1), np.flatnonzero(edge == -1)
        length = end - start
        if np.any(length >= 10):
            return True
        if len(start) > 1 and np.any(
            (start[1:] - end[:-1] == 1)
            & (length[:-1] >= 6)
            & (length[1:] >= 4)
            & np.isin(b[end[:-1]], _SEPARATOR_BYTES)
        ):
            return True
    return False


def cpr_mask(values: Any) -> npt.NDArray[np.bool_]:
    """Vectorised :func:`looks_like_cpr` over an Arrow (or list-like) string column (null: False).

    >>> import pyarrow as pa
    >>> cpr_mask(pa.array(["P-1", "010203-1234", None])).tolist()
    [False, True, False]
    >>> cpr_mask(["x 010203/1234"]).tolist()
    [True]
    """
    if not isinstance(values, pa.Array | pa.ChunkedArray):
        values = pa.array(list(values), pa.string())
    if len(values) == 0:
        return np.zeros(0, dtype=np.bool_)
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        values = pc.cast(values, pa.string())
    if not _may_hold_cpr(values):
        return np.zeros(len(values), dtype=np.bool_)
    hits = pc.match_substring_regex(values, _CPR_RE2)
    return np.asarray(pc.fill_null(hits, False).to_numpy(zero_copy_only=False), dtype=np.bool_)


def _pseudonym(_inst: object, _attr: attrs.Attribute[str], value: str) -> None:
    if not value.strip():
        raise InvalidParticipant("participant id is empty", field="id", rule="ids are non-empty")
    if value != value.strip():
        raise InvalidParticipant(
            f"participant id {value!r} has surrounding spaces", participant=value, field="id"
        )
    if looks_like_cpr(value):
        # The refused value is never echoed back: it may be a real person's number.
        raise CPRNumberRefused(
            "participant id looks like a Danish CPR number; use a pseudonym",
            participant="<refused>",
            field="id",
            rule="participant ids are pseudonyms",
        )


def _check_dates(p: Participant) -> None:
    if p.referred is not None and p.referred > p.enrolled:
        raise InvalidParticipant(
            f"referred {p.referred} after enrolled {p.enrolled}",
            participant=p.id,
            field="referred",
            rule="a participant is referred before (or when) enrolled",
        )
    if p.exited is not None and p.exited < p.enrolled:
        raise InvalidParticipant(
            f"exited {p.exited} before enrolled {p.enrolled}",
            participant=p.id,
            field="exited",
            rule="a participant exits after enrolment",
        )


@attrs.frozen
class Participant:
    """A pseudonymous person in a cohort.

    Parameters
    ----------
    id:
        A pseudonym.  A Danish CPR number (with or without dash) is refused.
    cohort:
        The cohort label (målgruppe), e.g. ``"sick_listed"``.
    enrolled:
        Start of the programme (opstart); measurement windows start here.
    referred:
        Referral (visitation) date, on or before ``enrolled``.
    exited:
        Date the person left the programme, if any.
    """

    id: str = attrs.field(validator=v.and_(v.instance_of(str), _pseudonym))
    cohort: str = attrs.field(validator=v.and_(v.instance_of(str), v.min_len(1)))
    enrolled: date = attrs.field(validator=v.instance_of(date))
    referred: date | None = attrs.field(default=None, validator=v.optional(v.instance_of(date)))
    exited: date | None = attrs.field(default=None, validator=v.optional(v.instance_of(date)))

    def __attrs_post_init__(self) -> None:
        _check_dates(self)
