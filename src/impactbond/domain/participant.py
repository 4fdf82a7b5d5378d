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
from attrs import validators as v

from impactbond.errors import CPRNumberRefused, InvalidParticipant

__all__ = ["CPR_CANDIDATE_PATTERN", "Participant", "cpr_mask", "looks_like_cpr"]

# DDMMYY followed by four digits, with or without a dash, slash, dot or space, anywhere in the id.
_CPR = re.compile(r"(?<!\d)(\d{2})(\d{2})\d{2}[-\s/.]?\d{4}(?!\d)")
#: The shape of a CPR number in RE2 syntax (no look-arounds), for vectorised pre-filtering:
#: every string :func:`looks_like_cpr` accepts matches it.
CPR_CANDIDATE_PATTERN = r"(^|\D)\d{6}[-\s/.]?\d{4}(\D|$)"


def looks_like_cpr(text: str) -> bool:
    """True if ``text`` contains a ten-digit sequence shaped like a CPR number.

    The first four digits must be a plausible day (01-31, or 61-91 for
    substitute numbers) and month (01-12).

    >>> looks_like_cpr("0102031234"), looks_like_cpr("010203-1234"), looks_like_cpr("P-0001")
    (True, True, False)
    >>> looks_like_cpr("9999991234")
    False
    """
    for m in _CPR.finditer(text):
        day, month = int(m.group(1)), int(m.group(2))
        if (1 <= day <= 31 or 61 <= day <= 91) and 1 <= month <= 12:
            return True
    return False


def cpr_mask(values: Any) -> npt.NDArray[np.bool_]:
    """:func:`looks_like_cpr` of every string of an Arrow (or list-like) string column.

    Vectorised: a regular expression on the whole column finds the few
    strings shaped like a CPR number, and only those are checked one by one
    (day and month plausible).  Nulls are ``False``.

    >>> cpr_mask(["P-1", "0102031234", None, "x 010203/1234"]).tolist()
    [False, True, False, True]
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    array = (
        values if isinstance(values, pa.ChunkedArray | pa.Array) else pa.array(values, pa.string())
    )
    candidate = pc.fill_null(pc.match_substring_regex(array, CPR_CANDIDATE_PATTERN), False)
    mask = np.asarray(candidate.to_numpy(zero_copy_only=False), dtype=bool)
    for i in np.flatnonzero(mask).tolist():
        mask[i] = looks_like_cpr(str(array[i].as_py()))
    return mask


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
