"""Register status categories on Danish register semantics, and code tables.

A person's week or day in the registers is one :class:`Status`.  The
categories distinguish what Danish outcome contracts distinguish: each public
benefit (*ydelse*) of the weekly benefit registers (DREAM, jobindsats.dk) that
a clause can name is its own category, so a cohort clause such as "on
sickness benefit or in a clarification course" admits exactly the people it
names.  Raw register codes (DREAM-style weekly benefit codes, eIndkomst
employment flags, ...) are mapped to a Status by a :class:`CodeTable`; when
one week carries several codes, the highest-priority status wins
(:data:`DEFAULT_PRIORITY`), as in the weekly benefit registers where one code
is set per week.

Each status has an int8 code (``int(status)``), a contract-file name (its
lower-case name, ``"clarification_course"``), a Danish name
(:attr:`Status.name_da`) and an English name (:attr:`Status.name_en`).

Decisions
---------
Benefits (:data:`BENEFITS`)
    Every category paid for by a public transfer for the week: the cash
    benefits, the courses paid with a benefit (jobafklaringsforløb,
    ressourceforløb, revalidering), the pensions, and supported employment
    (fleksjob, løntilskud), because the registers and the Danish notion of
    being self-supported (*selvforsørget*) count a subsidised job as public
    support.  Not benefits: ordinary employment, ordinary education (SU is a
    study grant, not a *forsørgelsesydelse*), self-supported and unknown.
    The default :class:`~impactbond.domain.outcome.SelfSufficiency` counts
    the statuses that are neither a benefit nor unknown.
Employment (:attr:`Status.is_employment`)
    Ordinary employment and the two kinds of supported employment
    (fleksjob, løntilskud).  Contracts that pay for ordinary employment only
    say so with their status weights.
Priority (:data:`DEFAULT_PRIORITY`)
    A benefit paid in a week wins over work in it; a pension wins over
    everything (a pensioner with a small job is a pensioner); supported
    employment wins over ordinary employment (the subsidy is what the
    register records for the job); work wins over education; any record
    wins over self-supported, and self-supported over no record.
Removed names (:data:`SPLIT_STATUSES`)
    ``rehabilitation``, ``subsidised_employment`` and ``social_assistance``
    lumped benefits that contracts tell apart.  They are refused with an
    error that names what each was split into; their codes (8, 2, 7) are
    retired and never reused, so old coded data cannot change meaning
    silently.

>>> from impactbond.status import Status, CodeTable
>>> int(Status.EMPLOYED), Status.EMPLOYED.is_employment
(1, True)
>>> Status.CLARIFICATION_COURSE.name_da, Status.CLARIFICATION_COURSE.name_en
('jobafklaringsforløb', 'job clarification course')
>>> table = CodeTable({"111": Status.UNEMPLOYMENT_BENEFIT, "890": Status.SICKNESS_BENEFIT})
>>> table.resolve(["111", "890"]) is Status.SICKNESS_BENEFIT
True
>>> Status.parse("rehabilitation")
Traceback (most recent call last):
...
impactbond.errors.UnknownCode: status 'rehabilitation' is no longer a status: it was split into \
clarification_course (jobafklaringsforløb), resource_course (ressourceforløb), \
vocational_rehabilitation (revalidering, forrevalidering); name the one the clause means [...]
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping

import numpy as np
import numpy.typing as npt

from impactbond.errors import UnknownCode

__all__ = [
    "BENEFITS",
    "DEFAULT_PRIORITY",
    "EMPLOYMENT",
    "RETIRED_CODES",
    "SPLIT_STATUSES",
    "CodeTable",
    "Status",
]


class Status(enum.IntEnum):
    """What a person's register record says for a day or week (int8 code).

    Codes 2, 7 and 8 are retired (see :data:`RETIRED_CODES`).
    """

    UNKNOWN = 0
    """No data (ingen oplysning).  Never the same as self-supported."""
    EMPLOYED = 1
    """Ordinary employment, unsubsidised (ordinær beskæftigelse)."""
    EDUCATION = 3
    """Ordinary education, on the study grant or without (uddannelse, SU)."""
    SELF_SUPPORTED = 4
    """No public benefit, reason unknown (selvforsørget)."""
    SICKNESS_BENEFIT = 5
    """Sygedagpenge."""
    UNEMPLOYMENT_BENEFIT = 6
    """A-dagpenge: unemployment insurance benefit."""
    DISABILITY_PENSION = 9
    """Førtidspension."""
    OTHER_BENEFIT = 10
    """Any other public transfer, not one of the categories here."""
    CLARIFICATION_COURSE = 11
    """Jobafklaringsforløb: for sick-listed people whose sickness benefit ran out."""
    RESOURCE_COURSE = 12
    """Ressourceforløb: a course towards work or education for complex problems."""
    VOCATIONAL_REHABILITATION = 13
    """Revalidering (and forrevalidering): retraining with revalideringsydelse."""
    FLEXJOB = 14
    """Fleksjob: a job on special terms for reduced working capacity."""
    FLEXJOB_UNEMPLOYMENT_BENEFIT = 15
    """Ledighedsydelse: the benefit of an unemployed person visited to flexjob."""
    WAGE_SUBSIDY = 16
    """Løntilskud: a job with a wage subsidy to the employer."""
    CASH_BENEFIT = 17
    """Kontanthjælp."""
    EDUCATION_ASSISTANCE = 18
    """Uddannelseshjælp: the benefit of people under 30 without a vocational education."""
    INTEGRATION_BENEFIT = 19
    """Selvforsørgelses- og hjemrejseydelse, overgangsydelse (formerly integrationsydelse)."""
    PARENTAL_BENEFIT = 20
    """Barselsdagpenge: maternity, paternity and parental leave benefit."""
    EARLY_RETIREMENT_PAY = 21
    """Efterløn: voluntary early retirement pay."""
    SENIOR_PENSION = 22
    """Seniorpension, tidlig pension: retirement before the state pension age."""
    OLD_AGE_PENSION = 23
    """Folkepension: the state old-age pension."""

    @property
    def name_da(self) -> str:
        """The Danish name of the category (``"jobafklaringsforløb"``)."""
        return _NAMES[self][0]

    @property
    def name_en(self) -> str:
        """The English name of the category (``"job clarification course"``)."""
        return _NAMES[self][1]

    @property
    def file_name(self) -> str:
        """The name a contract file or a spells table uses (``"clarification_course"``)."""
        return self.name.lower()

    @property
    def is_employment(self) -> bool:
        """True for ordinary and supported employment (fleksjob, løntilskud)."""
        return self in EMPLOYMENT

    @property
    def is_benefit(self) -> bool:
        """True for the categories paid by a public transfer (:data:`BENEFITS`)."""
        return self in BENEFITS

    @classmethod
    def parse(cls, value: str | int | Status) -> Status:
        """A Status from its name (any case) or its int code.

        A removed name or a retired code is an :class:`~impactbond.errors.UnknownCode`
        error that says what it was split into; a Danish name gets the name to
        use instead.  Nothing is mapped silently.

        >>> Status.parse("sickness_benefit") is Status.SICKNESS_BENEFIT
        True
        >>> Status.parse(1) is Status.EMPLOYED
        True
        >>> Status.parse("fleksjob")
        Traceback (most recent call last):
        ...
        impactbond.errors.UnknownCode: unknown status 'fleksjob': fleksjob is named 'flexjob' [...]
        """
        if isinstance(value, Status):
            return value
        if isinstance(value, int | np.integer):
            code = int(value)
            if code in RETIRED_CODES:
                old = RETIRED_CODES[code]
                raise UnknownCode(
                    f"status code {code} ({old}) is retired: {_split_words(old)}",
                    field="status",
                    rule="a status code of a current category",
                ) from None
            try:
                return cls(code)
            except ValueError:
                raise UnknownCode(f"no status has code {code}", field="status") from None
        text = str(value).strip()
        key = text.upper()
        if key in cls.__members__:
            return cls[key]
        # Echo the value only when it reads as a word: never an identifier or a CPR number.
        shown = repr(text) if _WORD.fullmatch(text) else "(not a status name)"
        if text.lower() in SPLIT_STATUSES:
            raise UnknownCode(
                f"status {shown} is no longer a status: {_split_words(text.lower())}",
                field="status",
                rule="a status by its current name",
            )
        danish = _BY_DANISH_WORD.get(text.casefold())
        if danish is not None:
            raise UnknownCode(
                f"unknown status {shown}: {text.casefold()} is named {danish.file_name!r}",
                field="status",
                rule="a status by its lower-case English name",
            )
        names = ", ".join(s.file_name for s in cls)
        raise UnknownCode(
            f"unknown status {shown}; known: {names}",
            field="status",
            rule="a status by its lower-case English name",
        )

    @staticmethod
    def mask(statuses: Iterable[Status]) -> npt.NDArray[np.bool_]:
        """A boolean lookup table indexed by status code (length 256 for int8 safety)."""
        table = np.zeros(256, dtype=np.bool_)
        for s in statuses:
            table[int(s)] = True
        return table


#: Danish and English name of each status.
_NAMES: dict[Status, tuple[str, str]] = {
    Status.UNKNOWN: ("ingen oplysning", "no data"),
    Status.EMPLOYED: ("ordinær beskæftigelse", "ordinary employment"),
    Status.EDUCATION: ("uddannelse, SU", "ordinary education, study grant"),
    Status.SELF_SUPPORTED: ("selvforsørget", "self-supported, no public benefit"),
    Status.SICKNESS_BENEFIT: ("sygedagpenge", "sickness benefit"),
    Status.UNEMPLOYMENT_BENEFIT: ("a-dagpenge", "unemployment insurance benefit"),
    Status.DISABILITY_PENSION: ("førtidspension", "disability pension"),
    Status.OTHER_BENEFIT: ("anden offentlig ydelse", "other public benefit"),
    Status.CLARIFICATION_COURSE: ("jobafklaringsforløb", "job clarification course"),
    Status.RESOURCE_COURSE: ("ressourceforløb", "resource course"),
    Status.VOCATIONAL_REHABILITATION: (
        "revalidering, forrevalidering",
        "vocational rehabilitation",
    ),
    Status.FLEXJOB: ("fleksjob", "flexjob"),
    Status.FLEXJOB_UNEMPLOYMENT_BENEFIT: (
        "ledighedsydelse",
        "unemployment benefit of a person visited to flexjob",
    ),
    Status.WAGE_SUBSIDY: ("løntilskud", "wage-subsidised job"),
    Status.CASH_BENEFIT: ("kontanthjælp", "cash benefit"),
    Status.EDUCATION_ASSISTANCE: ("uddannelseshjælp", "education assistance"),
    Status.INTEGRATION_BENEFIT: (
        "selvforsørgelses- og hjemrejseydelse, overgangsydelse",
        "self-support and repatriation benefit, transition benefit",
    ),
    Status.PARENTAL_BENEFIT: ("barselsdagpenge", "parental leave benefit"),
    Status.EARLY_RETIREMENT_PAY: ("efterløn", "voluntary early retirement pay"),
    Status.SENIOR_PENSION: ("seniorpension, tidlig pension", "senior pension, early pension"),
    Status.OLD_AGE_PENSION: ("folkepension", "state old-age pension"),
}

#: Status names that were removed because they lumped benefits that contracts
#: tell apart: old name -> the statuses it was split into.
SPLIT_STATUSES: Mapping[str, tuple[Status, ...]] = {
    "rehabilitation": (
        Status.CLARIFICATION_COURSE,
        Status.RESOURCE_COURSE,
        Status.VOCATIONAL_REHABILITATION,
    ),
    "subsidised_employment": (Status.FLEXJOB, Status.WAGE_SUBSIDY),
    "social_assistance": (
        Status.CASH_BENEFIT,
        Status.EDUCATION_ASSISTANCE,
        Status.INTEGRATION_BENEFIT,
    ),
}

#: Codes of the removed statuses; never reused: code -> old name.
RETIRED_CODES: Mapping[int, str] = {
    2: "subsidised_employment",
    7: "social_assistance",
    8: "rehabilitation",
}

_WORD = re.compile(r"[^\W\d]+(?:[ _-][^\W\d]+)*")

# Each Danish word of a name (a name lists several, separated by ", ").
_BY_DANISH_WORD: dict[str, Status] = {
    word.casefold(): status
    for status, (da, _) in _NAMES.items()
    for word in da.split(", ")
    if status is not Status.UNKNOWN
}
# Common words for the same benefits.
_BY_DANISH_WORD.update(
    {
        "dagpenge": Status.UNEMPLOYMENT_BENEFIT,
        "integrationsydelse": Status.INTEGRATION_BENEFIT,
        "selvforsørgelsesydelse": Status.INTEGRATION_BENEFIT,
        "hjemrejseydelse": Status.INTEGRATION_BENEFIT,
        "revalideringsydelse": Status.VOCATIONAL_REHABILITATION,
    }
)


def _split_words(old: str) -> str:
    parts = ", ".join(f"{s.file_name} ({s.name_da})" for s in SPLIT_STATUSES[old])
    return f"it was split into {parts}; name the one the clause means"


#: Ordinary and supported employment.
EMPLOYMENT: frozenset[Status] = frozenset({Status.EMPLOYED, Status.FLEXJOB, Status.WAGE_SUBSIDY})

#: The categories paid by a public transfer for the week, supported employment included.
BENEFITS: frozenset[Status] = frozenset(
    {
        Status.SICKNESS_BENEFIT,
        Status.UNEMPLOYMENT_BENEFIT,
        Status.DISABILITY_PENSION,
        Status.OTHER_BENEFIT,
        Status.CLARIFICATION_COURSE,
        Status.RESOURCE_COURSE,
        Status.VOCATIONAL_REHABILITATION,
        Status.FLEXJOB,
        Status.FLEXJOB_UNEMPLOYMENT_BENEFIT,
        Status.WAGE_SUBSIDY,
        Status.CASH_BENEFIT,
        Status.EDUCATION_ASSISTANCE,
        Status.INTEGRATION_BENEFIT,
        Status.PARENTAL_BENEFIT,
        Status.EARLY_RETIREMENT_PAY,
        Status.SENIOR_PENSION,
        Status.OLD_AGE_PENSION,
    }
)

#: Default priority when one period carries several statuses (earlier in the
#: tuple = higher priority): pensions first (a pensioner with a small job is a
#: pensioner), then the other benefits (a benefit paid in the week wins over
#: work in it), supported employment before ordinary employment, work before
#: education, any record before self-supported, self-supported before no record.
DEFAULT_PRIORITY: tuple[Status, ...] = (
    Status.DISABILITY_PENSION,
    Status.SENIOR_PENSION,
    Status.OLD_AGE_PENSION,
    Status.EARLY_RETIREMENT_PAY,
    Status.SICKNESS_BENEFIT,
    Status.PARENTAL_BENEFIT,
    Status.CLARIFICATION_COURSE,
    Status.RESOURCE_COURSE,
    Status.VOCATIONAL_REHABILITATION,
    Status.FLEXJOB_UNEMPLOYMENT_BENEFIT,
    Status.UNEMPLOYMENT_BENEFIT,
    Status.CASH_BENEFIT,
    Status.EDUCATION_ASSISTANCE,
    Status.INTEGRATION_BENEFIT,
    Status.OTHER_BENEFIT,
    Status.FLEXJOB,
    Status.WAGE_SUBSIDY,
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
