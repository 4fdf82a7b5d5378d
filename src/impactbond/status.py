"""Register status categories and code tables.

A person's week or day in the registers is one :class:`Status`.  Raw register
codes (DREAM-style weekly benefit codes, eIndkomst employment flags, ...) are
mapped to a Status by a :class:`CodeTable`; when one week carries several
codes, the highest-priority status wins, as in the Danish weekly benefit
registers where one code is set per week.

>>> from impactbond.status import Status, CodeTable
>>> int(Status.EMPLOYED), Status.EMPLOYED.is_employment
(1, True)
>>> table = CodeTable({"111": Status.UNEMPLOYMENT_BENEFIT, "890": Status.SICKNESS_BENEFIT})
>>> table.resolve(["111", "890"]) is Status.SICKNESS_BENEFIT
True
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping

import numpy as np
import numpy.typing as npt

from impactbond.errors import UnknownCode

__all__ = ["BENEFITS", "DEFAULT_PRIORITY", "CodeTable", "Status"]


class Status(enum.IntEnum):
    """What a person's register record says for a day or week (int8 code)."""

    UNKNOWN = 0
    """No data.  Never the same as self-supported."""
    EMPLOYED = 1
    """Ordinary employment, unsubsidised."""
    SUBSIDISED_EMPLOYMENT = 2
    """Flexjob, wage subsidy (løntilskud)."""
    EDUCATION = 3
    """Ordinary education (SU)."""
    SELF_SUPPORTED = 4
    """No public benefit, reason unknown (selvforsørget)."""
    SICKNESS_BENEFIT = 5
    """Sygedagpenge."""
    UNEMPLOYMENT_BENEFIT = 6
    """A-dagpenge."""
    SOCIAL_ASSISTANCE = 7
    """Kontanthjælp, uddannelseshjælp, selvforsørgelses- og hjemrejseydelse."""
    REHABILITATION = 8
    """Jobafklaringsforløb, ressourceforløb, revalidering."""
    DISABILITY_PENSION = 9
    """Førtidspension."""
    OTHER_BENEFIT = 10
    """Any other public transfer."""

    @property
    def name_da(self) -> str:
        """The status in Danish, as the registers and jobcentres say it.

        >>> Status.SICKNESS_BENEFIT.name_da
        'sygedagpenge'
        """
        return _NAMES[self][0]

    @property
    def name_en(self) -> str:
        """The status in English.

        >>> Status.SICKNESS_BENEFIT.name_en
        'sickness benefit'
        """
        return _NAMES[self][1]

    @property
    def is_employment(self) -> bool:
        """True for ordinary and subsidised employment."""
        return self in (Status.EMPLOYED, Status.SUBSIDISED_EMPLOYMENT)

    @property
    def is_benefit(self) -> bool:
        """True for the public benefit categories."""
        return self in BENEFITS

    @classmethod
    def parse(cls, value: str | int | Status) -> Status:
        """A Status from its name (any case) or its int code.

        >>> Status.parse("sickness_benefit") is Status.SICKNESS_BENEFIT
        True
        >>> Status.parse(1) is Status.EMPLOYED
        True
        """
        if isinstance(value, Status):
            return value
        if isinstance(value, int | np.integer):
            try:
                return cls(int(value))
            except ValueError:
                raise UnknownCode(f"no status has code {value}", field="status") from None
        key = str(value).strip().upper()
        try:
            return cls[key]
        except KeyError:
            names = ", ".join(s.name for s in cls)
            raise UnknownCode(f"unknown status {value!r}; known: {names}", field="status") from None

    @staticmethod
    def mask(statuses: Iterable[Status]) -> npt.NDArray[np.bool_]:
        """A boolean lookup table indexed by status code (length 256 for int8 safety)."""
        table = np.zeros(256, dtype=np.bool_)
        for s in statuses:
            table[int(s)] = True
        return table


_NAMES: dict[Status, tuple[str, str]] = {
    Status.UNKNOWN: ("ukendt (ingen oplysning)", "unknown (no data)"),
    Status.EMPLOYED: ("ordinær beskæftigelse", "ordinary employment"),
    Status.SUBSIDISED_EMPLOYMENT: (
        "støttet beskæftigelse (fleksjob, løntilskud)",
        "subsidised employment (flexjob, wage subsidy)",
    ),
    Status.EDUCATION: ("ordinær uddannelse (SU)", "ordinary education (student grant)"),
    Status.SELF_SUPPORTED: ("selvforsørget", "self-supported (no public benefit)"),
    Status.SICKNESS_BENEFIT: ("sygedagpenge", "sickness benefit"),
    Status.UNEMPLOYMENT_BENEFIT: ("a-dagpenge", "unemployment benefit"),
    Status.SOCIAL_ASSISTANCE: (
        "kontanthjælp, uddannelseshjælp, selvforsørgelses- og hjemrejseydelse",
        "social assistance",
    ),
    Status.REHABILITATION: (
        "jobafklaringsforløb, ressourceforløb, revalidering",
        "rehabilitation (clarification and resource courses, revalidation)",
    ),
    Status.DISABILITY_PENSION: ("førtidspension", "disability pension"),
    Status.OTHER_BENEFIT: ("anden offentlig forsørgelse", "other public benefit"),
}

BENEFITS: frozenset[Status] = frozenset(
    {
        Status.SICKNESS_BENEFIT,
        Status.UNEMPLOYMENT_BENEFIT,
        Status.SOCIAL_ASSISTANCE,
        Status.REHABILITATION,
        Status.DISABILITY_PENSION,
        Status.OTHER_BENEFIT,
    }
)

#: Default priority when one period carries several statuses: a benefit paid in
#: the week wins over work in it (the weekly register sets one code), and any
#: record wins over no record.  Earlier in the tuple = higher priority.
DEFAULT_PRIORITY: tuple[Status, ...] = (
    Status.DISABILITY_PENSION,
    Status.SICKNESS_BENEFIT,
    Status.REHABILITATION,
    Status.UNEMPLOYMENT_BENEFIT,
    Status.SOCIAL_ASSISTANCE,
    Status.OTHER_BENEFIT,
    Status.SUBSIDISED_EMPLOYMENT,
    Status.EMPLOYED,
    Status.EDUCATION,
    Status.SELF_SUPPORTED,
    Status.UNKNOWN,
)


def priority_rank(priority: Iterable[Status] = DEFAULT_PRIORITY) -> npt.NDArray[np.int8]:
    """Rank by status code: higher rank wins.  Statuses not listed rank lowest."""
    order = list(priority)
    rank = np.zeros(256, dtype=np.int8)
    for i, s in enumerate(order):
        rank[int(s)] = len(order) - i
    return rank


class CodeTable:
    """Maps raw register codes to :class:`Status`, with a priority rule.

    Parameters
    ----------
    codes:
        Raw code (string) -> Status.
    priority:
        Statuses from highest to lowest priority, used when a period carries
        several codes.  Defaults to :data:`DEFAULT_PRIORITY`.
    """

    def __init__(
        self,
        codes: Mapping[str, Status],
        priority: Iterable[Status] = DEFAULT_PRIORITY,
    ) -> None:
        self.codes: dict[str, Status] = {str(k): Status(v) for k, v in codes.items()}
        self.priority: tuple[Status, ...] = tuple(priority)
        self._rank = priority_rank(self.priority)

    def lookup(
        self, code: str, *, participant: str | None = None, row: int | None = None
    ) -> Status:
        """The Status of one raw code; an unknown code is an :class:`UnknownCode` error."""
        try:
            return self.codes[str(code)]
        except KeyError:
            raise UnknownCode(
                f"register code {code!r} is not in the code table",
                participant=participant,
                row=row,
                field="code",
                rule="every register code must map to a status",
            ) from None

    def resolve(
        self, codes: Iterable[str], *, participant: str | None = None, row: int | None = None
    ) -> Status:
        """The one Status of a period that carries several codes (highest priority wins).

        An empty set of codes gives ``Status.SELF_SUPPORTED`` only if the caller
        says so; here it is ``Status.UNKNOWN``.
        """
        best = Status.UNKNOWN
        for code in codes:
            s = self.lookup(code, participant=participant, row=row)
            if self._rank[int(s)] > self._rank[int(best)]:
                best = s
        return best

    def rank(self) -> npt.NDArray[np.int8]:
        """Priority rank indexed by status code (higher wins)."""
        return self._rank.copy()
