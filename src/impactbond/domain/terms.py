"""Terms of the payment designs beyond a rate card, as contract data.

The pure data types that contract files carry and that both
:func:`impactbond.settle` and :mod:`impactbond.finance` use: effect tiers
(:class:`Tier`, :class:`TierTable`), refusion schedules as dated parameters
(:class:`RefusionBand`, :class:`RefusionSchedule`), and the financing of a
contract (:class:`DatedAmount`, :class:`TopUp`, :class:`ReturnCap`,
:class:`Guarantee`, :class:`DeliveryFee`, :class:`Financing`).  Each
validates itself and names its clause; :mod:`impactbond.finance` re-exports
the names it always had.

>>> from fractions import Fraction as F
>>> table = TierTable([Tier(0, F(1, 5), Money(1000, "GBP")),
...                    Tier(F(1, 5), None, Money(2000, "GBP"))])
>>> print(table.payment_for(F(1, 4)))
GBP 2,000.00
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from datetime import date
from fractions import Fraction
from typing import Any

import attrs

from impactbond.calendar import DayCount, MonthRounding, add_months
from impactbond.domain import _validators as v
from impactbond.errors import AmbiguousDate, InvalidContract, InvalidInput
from impactbond.money import Money

__all__ = [
    "MEASURES",
    "ComparisonGroup",
    "DatedAmount",
    "DayCount",
    "DeliveryFee",
    "Financing",
    "Guarantee",
    "GuaranteeCall",
    "RefusionBand",
    "RefusionSchedule",
    "ReturnCap",
    "Tier",
    "TierTable",
    "TopUp",
]


def exact_fraction(value: Any) -> Fraction:
    """An exact Fraction from an int, a str (``"1/2"``, ``"0.5"``), a Decimal or a float.

    A float is read through its shortest decimal form, so ``0.1`` is one tenth.

    >>> exact_fraction("1/2"), exact_fraction(0.1), exact_fraction(3)
    (Fraction(1, 2), Fraction(1, 10), Fraction(3, 1))
    """
    return Fraction(str(value)) if isinstance(value, float) else Fraction(value)


def optional_exact_fraction(value: Any) -> Fraction | None:
    """:func:`exact_fraction`, with ``None`` passed through."""
    return None if value is None else exact_fraction(value)


def check_gates(table: TierTable, clause: str, **gates: Fraction | None) -> None:
    """Refuse a gate above the top tier: the tiers below it could never be paid."""
    top = table.top.from_effect
    for name, gate in gates.items():
        if gate is not None and gate > top:
            raise InvalidContract(
                f"{name} {gate} lies above the top tier (from {top}): the tiers below it "
                "can never be paid",
                field=name,
                clause=clause or None,
                rule="a gate lies at or below the top tier",
            )


def check_share_of_savings(share: Fraction, clause: str) -> None:
    """Refuse a share of savings outside [0, 100 %]."""
    if not 0 <= share <= 1:
        raise InvalidContract(
            f"share {share} is outside [0, 1]",
            field="share",
            clause=clause or None,
            rule="a share of savings lies between 0 and 100 %",
        )


def _guarantee_call(value: Any) -> Any:
    return v.member(GuaranteeCall, value)


def _optional_day_count(value: Any) -> Any:
    return None if value is None else v.member(DayCount, value)


def _month_rounding(value: Any) -> Any:
    return v.member(MonthRounding, value)


def check_target(target: Fraction | None, target_share: Fraction | None, clause: str) -> None:
    """Refuse a target that is not exactly one of an absolute count and a share of the cohort."""
    where = clause or None
    if (target is None) == (target_share is None):
        raise InvalidContract(
            "give exactly one of target and target_share",
            field="target" if target is None else "target_share",
            clause=where,
            rule="a target is an absolute count or a share of the cohort, not both or neither",
        )
    if target is not None and target <= 0:
        raise InvalidContract(
            f"target {target} is not positive",
            field="target",
            clause=where,
            rule="a target is positive",
        )
    if target_share is not None and not 0 < target_share <= 1:
        raise InvalidContract(
            f"target_share {target_share} is outside (0, 1]",
            field="target_share",
            clause=where,
            rule="a target share lies above 0 and at most 100 % of the cohort",
        )


def target_in_units(
    target: Fraction | None, target_share: Fraction | None, people: int
) -> Fraction:
    """An absolute ``target``, or ``target_share`` x ``people`` (the cohort's settled participants).

    >>> target_in_units(None, Fraction(1, 2), 41), target_in_units(Fraction(30), None, 41)
    (Fraction(41, 2), Fraction(30, 1))
    """
    if target is not None:
        return target
    assert target_share is not None
    return target_share * people


@attrs.frozen
class Tier:
    """Effects in ``[from_effect, to_effect)`` pay ``payment`` (``to_effect=None``: no upper end)."""

    from_effect: Fraction = attrs.field(converter=v.as_fraction, validator=v.exact_number)
    to_effect: Fraction | None = attrs.field(
        converter=v.as_optional_fraction, validator=v.optional(v.exact_number)
    )
    payment: Money = attrs.field(validator=v.instance_of(Money))


def _tiers(value: Iterable[Any]) -> tuple[Tier, ...]:
    return tuple(t if isinstance(t, Tier) else Tier(*t) for t in value)


@attrs.frozen
class TierTable:
    """A monotone table from effect sizes to payments.

    Tiers are listed from the lowest effect up, follow each other without gaps
    or overlaps, and pay more (or the same) the higher they lie; effects above
    a bounded top tier pay the top tier.  An effect below the first tier pays
    nothing.  A table that breaks any of this raises
    :class:`~impactbond.errors.InvalidContract` naming the clause.

    >>> from fractions import Fraction as F
    >>> from impactbond.errors import InvalidContract
    >>> try:
    ...     TierTable([Tier(F(0), F(1, 5), Money(2000, "GBP")),
    ...                Tier(F(1, 5), None, Money(1000, "GBP"))], clause="6.2")
    ... except InvalidContract as err:
    ...     print(err.clause, "|", err.rule)
    6.2 | a tier table is monotone: a higher effect never pays less
    """

    tiers: tuple[Tier, ...] = attrs.field(converter=_tiers)
    clause: str = attrs.field(default="", validator=v.instance_of(str), kw_only=True)

    def __attrs_post_init__(self) -> None:
        def bad(message: str, rule: str) -> InvalidContract:
            return InvalidContract(message, field="tiers", clause=self.clause or None, rule=rule)

        if not self.tiers:
            raise bad("a tier table has at least one tier", "a tier table is not empty")
        currencies = {t.payment.currency for t in self.tiers}
        if len(currencies) > 1:
            raise bad(f"tiers pay in {sorted(currencies)}", "one tier table, one currency")
        for t in self.tiers:
            if t.payment.amount < 0:
                raise bad(
                    f"tier from {t.from_effect} pays a negative amount", "a payment is zero or more"
                )
            if t.to_effect is not None and t.to_effect <= t.from_effect:
                raise bad(
                    f"tier {t.from_effect}-{t.to_effect} ends before it starts",
                    "a tier's upper end lies above its lower end",
                )
        for low, high in zip(self.tiers, self.tiers[1:], strict=False):
            if low.to_effect is None or high.from_effect < low.to_effect:
                raise bad(
                    f"tiers from {low.from_effect} and from {high.from_effect} overlap",
                    "tiers do not overlap",
                )
            if high.from_effect > low.to_effect:
                raise bad(
                    f"effects in [{low.to_effect}, {high.from_effect}) fall between tiers",
                    "tiers leave no gaps",
                )
            if high.payment < low.payment:
                raise bad(
                    f"tier from {high.from_effect} pays {high.payment}, less than the tier "
                    f"below it ({low.payment})",
                    "a tier table is monotone: a higher effect never pays less",
                )

    @property
    def currency(self) -> str:
        """The currency of the payments."""
        return self.tiers[0].payment.currency

    @property
    def top(self) -> Tier:
        """The highest tier."""
        return self.tiers[-1]

    def payment_for(self, effect: Fraction) -> Money:
        """The payment for an effect size (zero below the first tier)."""
        paid = Money.zero(self.currency)
        for t in self.tiers:
            if effect >= t.from_effect:
                paid = t.payment
        return paid


MEASURES = ("share", "events_per_person")
"""What an effect compares: the share of people with at least one event, or events per person."""


@attrs.frozen
class ComparisonGroup:
    """The counterfactual: a published rate, or people and their count of the outcome.

    ``measure`` is what ``rate`` is: ``"share"`` (the share of people with at
    least one event, between 0 and 1) or ``"events_per_person"`` (events per
    person, e.g. 1.5 reconvictions per person; any rate from 0 up).
    ``count`` is the people with the outcome (share) or the events
    (events per person) behind a counted rate.

    >>> ComparisonGroup.from_counts(people=200, with_outcome=50).rate
    Fraction(1, 4)
    >>> ComparisonGroup.from_events(people=200, events=310).rate
    Fraction(31, 20)
    >>> ComparisonGroup.from_counts(people=0, with_outcome=0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    impactbond.errors.InvalidContract: a comparison group with no people has no rate [field=people, ...]
    """

    rate: Fraction = attrs.field(converter=v.as_fraction, validator=v.exact_number)
    people: int | None = attrs.field(default=None)
    source: str = attrs.field(default="", validator=v.instance_of(str))
    measure: str = attrs.field(default="share", validator=v.in_(MEASURES), kw_only=True)
    count: int | None = attrs.field(default=None, kw_only=True)

    def __attrs_post_init__(self) -> None:
        if self.measure == "share" and not 0 <= self.rate <= 1:
            raise InvalidContract(
                f"comparison rate {self.rate} is outside [0, 1]",
                field="rate",
                rule="a share of people with the outcome lies between 0 and 1",
            )
        if self.rate < 0:
            raise InvalidContract(
                f"comparison rate {self.rate} is negative",
                field="rate",
                rule="events per person are zero or more",
            )

    @classmethod
    def from_rate(
        cls, rate: Fraction | str | int, source: str = "published", *, measure: str = "share"
    ) -> ComparisonGroup:
        """A published comparison rate (a share, or events per person)."""
        return cls(exact_fraction(rate), None, source, measure=measure)

    @classmethod
    def from_counts(cls, *, people: int, with_outcome: int, source: str = "") -> ComparisonGroup:
        """A comparison group of ``people``, ``with_outcome`` of whom had the outcome."""
        _check_people(people)
        if not 0 <= with_outcome <= people:
            raise InvalidContract(
                f"{with_outcome} of {people} people had the outcome",
                field="with_outcome",
                rule="between none and all of the group have the outcome",
            )
        return cls(Fraction(with_outcome, people), people, source, count=with_outcome)

    @classmethod
    def from_events(cls, *, people: int, events: int, source: str = "") -> ComparisonGroup:
        """A comparison group of ``people`` with ``events`` events between them."""
        _check_people(people)
        if events < 0:
            raise InvalidContract(
                f"{events} events is negative",
                field="events",
                rule="a count of events is zero or more",
            )
        return cls(
            Fraction(events, people), people, source, measure="events_per_person", count=events
        )

    @classmethod
    def from_settlement(
        cls, settlement: Any, outcome_id: str, source: str = "", *, measure: str = "share"
    ) -> ComparisonGroup:
        """Count a second panel: the share of its settled participants with the outcome
        (or, with ``measure="events_per_person"``, its events per settled participant).

        ``settlement`` is a :class:`~impactbond.settle.Settlement` of the
        comparison group under the same outcome definitions, over all its
        cohorts (``settle(..., role="comparison")`` keeps the figures per cohort).
        """
        people, with_outcome = settlement.outcome_counts(outcome_id)
        if measure == "events_per_person":
            events = int(settlement.quantity(outcome_id))
            return cls.from_events(people=people, events=events, source=source)
        return cls.from_counts(people=people, with_outcome=with_outcome, source=source)


def _check_people(people: int) -> None:
    if people <= 0:
        raise InvalidContract(
            "a comparison group with no people has no rate",
            field="people",
            rule="a comparison group has at least one person",
        )


@attrs.frozen
class RefusionBand:
    """The state's share of a benefit in benefit weeks ``[from_week, to_week]`` (inclusive).

    ``to_week=None``: from ``from_week`` on.
    """

    from_week: int = attrs.field(validator=v.and_(v.instance_of(int), v.ge(1)))
    to_week: int | None = attrs.field(validator=v.optional(v.and_(v.instance_of(int), v.ge(1))))
    share: Fraction = attrs.field(converter=v.as_fraction, validator=v.exact_number)


def _bands(value: Iterable[Any]) -> tuple[RefusionBand, ...]:
    out = []
    for band in value:
        out.append(band if isinstance(band, RefusionBand) else RefusionBand(*band))
    return tuple(out)


@attrs.frozen
class RefusionSchedule:
    """Refusion by benefit week: a dated parameter with the clause (or law) it comes from.

    The bands start at week 1, follow each other without gaps or overlaps, and
    the last one is open-ended; every share lies in [0, 1].  Otherwise
    :class:`~impactbond.errors.InvalidContract` names the clause.

    >>> from datetime import date
    >>> from impactbond.errors import InvalidContract
    >>> try:
    ...     RefusionSchedule("sickness_benefit", [(1, 4, "4/5"), (6, None, "1/5")],
    ...                      valid_from=date(2016, 1, 4), clause="refusion")
    ... except InvalidContract as err:
    ...     print(err.message, "|", err.clause)
    refusion bands leave weeks 5-5 uncovered | refusion
    """

    benefit: str = attrs.field(validator=v.and_(v.instance_of(str), v.min_len(1)))
    bands: tuple[RefusionBand, ...] = attrs.field(converter=_bands)
    valid_from: date = attrs.field(validator=v.instance_of(date), kw_only=True)
    clause: str = attrs.field(default="", validator=v.instance_of(str), kw_only=True)

    def __attrs_post_init__(self) -> None:
        rule = "refusion bands cover every week from week 1 without gaps or overlaps"
        expected = 1
        for i, band in enumerate(self.bands):
            if not 0 <= band.share <= 1:
                raise InvalidContract(
                    f"refusion share {band.share} of weeks {band.from_week}- is outside [0, 1]",
                    field="bands",
                    clause=self.clause or None,
                    rule="a refusion share lies between 0 and 1",
                )
            if band.from_week > expected:
                raise InvalidContract(
                    f"refusion bands leave weeks {expected}-{band.from_week - 1} uncovered",
                    field="bands",
                    clause=self.clause or None,
                    rule=rule,
                )
            if band.from_week < expected:
                raise InvalidContract(
                    f"refusion bands overlap at week {band.from_week}",
                    field="bands",
                    clause=self.clause or None,
                    rule=rule,
                )
            if band.to_week is None:
                if i != len(self.bands) - 1:
                    raise InvalidContract(
                        "only the last refusion band is open-ended",
                        field="bands",
                        clause=self.clause or None,
                        rule=rule,
                    )
                return
            if band.to_week < band.from_week:
                raise InvalidContract(
                    f"refusion band {band.from_week}-{band.to_week} ends before it starts",
                    field="bands",
                    clause=self.clause or None,
                    rule=rule,
                )
            expected = band.to_week + 1
        raise InvalidContract(
            "the last refusion band must be open-ended (to_week = None)",
            field="bands",
            clause=self.clause or None,
            rule=rule,
        )

    def share_in_week(self, week: int) -> Fraction:
        """The state's share of the benefit paid in benefit week ``week`` (1 = first)."""
        if week < 1:
            raise InvalidInput(f"benefit week {week} is before week 1", field="week")
        for band in self.bands:
            if band.to_week is None or week <= band.to_week:
                return band.share
        raise AssertionError("unreachable: the last band is open-ended")  # pragma: no cover

    @classmethod
    def sickness_benefit_example(cls, clause: str = "refusion") -> RefusionSchedule:
        """Sickness benefit: 80 % in weeks 1-4, 40 % in 5-26, 30 % in 27-52, 20 % from week 53.

        The schedule of the 2016 refusion reform for *sygedagpenge*, as given in
        the issue that specified this module; check it against the law in force
        before invoicing on it.
        """
        return cls(
            "sickness_benefit",
            [(1, 4, "4/5"), (5, 26, "2/5"), (27, 52, "3/10"), (53, None, "1/5")],
            valid_from=date(2016, 1, 4),
            clause=clause,
        )

    @staticmethod
    def in_force(schedules: Sequence[RefusionSchedule], benefit: str, on: date) -> RefusionSchedule:
        """The schedule for ``benefit`` in force on ``on`` (latest ``valid_from`` not after it)."""
        candidates = [s for s in schedules if s.benefit == benefit and s.valid_from <= on]
        if not candidates:
            raise InvalidInput(
                f"no refusion schedule for {benefit} is in force on {on}",
                field="valid_from",
                rule="a dated parameter is looked up on a date it covers",
            )
        return max(candidates, key=lambda s: s.valid_from)


def _share(inst: Any, attribute: attrs.Attribute[Any], value: Fraction | None) -> None:
    if value is not None and not 0 <= value <= 1:
        raise InvalidContract(
            f"{attribute.name} {value} is outside [0, 1]",
            field=attribute.name,
            clause=getattr(inst, "clause", "") or None,
            rule="a share lies between 0 and 100 %",
        )


class GuaranteeCall(enum.Enum):
    """When a guarantee is called: the day the investor's loss is measured and paid."""

    MATURITY = "maturity"
    """On the contract's ``term_end``: the term's last day, when the investment matures."""
    FINAL_DETERMINATION = "final_determination"
    """On the day the last outcome payment falls due
    (:attr:`~impactbond.domain.contract.Contract.final_determination`: the last day
    anything is measured, the term's or its tail's, plus the verification lag)."""
    ON_DATE = "on_date"
    """On the date the guarantee names (``on``)."""


@attrs.frozen
class Guarantee:
    """A third party covers ``share`` of the investor's loss, up to ``limit``.

    The loss is what the investor paid out minus what it received, counting
    the flows dated on or before the day the guarantee is called
    (``called``: at maturity, at final determination, or ``on`` a named
    date); the guarantor pays on that day, and pays nothing when there is no
    loss.  Outcome payments due after the call are not counted against it.

    >>> from datetime import date
    >>> g = Guarantee("foundation", Fraction(1, 2), called=GuaranteeCall.ON_DATE,
    ...               on=date(2026, 6, 30))
    >>> g.call_date(maturity=None, final_determination=None)
    datetime.date(2026, 6, 30)
    """

    guarantor: str = attrs.field(default="guarantor", validator=v.instance_of(str))
    share: Fraction = attrs.field(
        default=Fraction(1), converter=v.as_fraction, validator=v.and_(v.exact_number, _share)
    )
    limit: Money | None = attrs.field(default=None, validator=v.optional(v.instance_of(Money)))
    clause: str = attrs.field(default="", validator=v.instance_of(str))
    called: GuaranteeCall = attrs.field(
        converter=_guarantee_call, validator=v.member_of(GuaranteeCall), kw_only=True
    )
    on: date | None = attrs.field(
        default=None, validator=v.optional(v.instance_of(date)), kw_only=True
    )

    def __attrs_post_init__(self) -> None:
        if self.called is GuaranteeCall.ON_DATE and self.on is None:
            raise InvalidContract(
                "a guarantee called on a named date names the date (on)",
                field="on",
                clause=self.clause or None,
                rule="a guarantee called on_date names its date",
            )
        if self.called is not GuaranteeCall.ON_DATE and self.on is not None:
            raise InvalidContract(
                f"a guarantee called at {self.called.value} names no date of its own "
                f'(on = {self.on.isoformat()}); use called = "on_date"',
                field="on",
                clause=self.clause or None,
                rule="only a guarantee called on_date names a date",
            )

    def call_date(self, *, maturity: date | None, final_determination: date | None) -> date:
        """The day the guarantee is called, given the contract's maturity and final determination."""
        if self.called is GuaranteeCall.ON_DATE:
            assert self.on is not None
            return self.on
        day = maturity if self.called is GuaranteeCall.MATURITY else final_determination
        if day is None:
            raise InvalidContract(
                f"the guarantee is called at {self.called.value}, but that date is not known "
                "here; give it (Waterfall(maturity=..., final_determination=...))",
                field="called",
                clause=self.clause or None,
                rule="a guarantee is dated by the contract's terms",
            )
        return day

    def cover(self, loss: Money) -> Money:
        """What the guarantor pays for ``loss`` (zero for no loss), rounded down."""
        if loss.amount <= 0:
            return Money.zero(loss.currency)
        f = self.share
        paid = Money.from_minor_units(
            loss.minor_units * f.numerator // f.denominator, loss.currency
        )
        if self.limit is not None:
            paid = min(paid, self.limit)
        return paid


_WHOLE_PERIOD_MONTHS = {DayCount.WHOLE_YEARS: 12, DayCount.WHOLE_MONTHS: 1}


@attrs.frozen
class ReturnCap:
    """An upper limit on the investor's return: an annual IRR, a money multiple, or both.

    ``irr``: at every outcome payment, the investor may receive no more than
    its investments grown at ``irr`` a year, less its earlier receipts grown at
    the same rate, each from its own date to the payment date, the years
    counted under ``day_count`` (a term: an IRR cap names it).  Under
    ``whole_years`` an amount grows by ``(1 + irr)`` for each whole year, so
    "15 % a year for three years" is exactly ``1.15 ** 3``; ``month_rounding``
    says when a whole period that starts on a day later months lack ends.
    ``multiple``: its receipts never pass ``multiple`` times the money it
    invested (a return on investment of ``multiple - 1``).

    >>> ReturnCap(irr=Fraction(15, 100), day_count=DayCount.WHOLE_YEARS).day_count.value
    'whole_years'
    """

    irr: Fraction | None = attrs.field(
        default=None, converter=v.as_optional_fraction, validator=v.optional(v.exact_number)
    )
    multiple: Fraction | None = attrs.field(
        default=None, converter=v.as_optional_fraction, validator=v.optional(v.exact_number)
    )
    clause: str = attrs.field(default="", validator=v.instance_of(str))
    day_count: DayCount | None = attrs.field(
        default=None,
        converter=_optional_day_count,
        validator=v.optional(v.member_of(DayCount)),
        kw_only=True,
    )
    month_rounding: MonthRounding = attrs.field(
        default=MonthRounding.RAISE,
        converter=_month_rounding,
        validator=v.member_of(MonthRounding),
        kw_only=True,
    )

    def __attrs_post_init__(self) -> None:
        if self.irr is None and self.multiple is None:
            raise InvalidContract(
                "a return cap names an irr, a multiple or both",
                field="irr",
                clause=self.clause or None,
            )
        if self.irr is not None and self.irr <= -1:
            raise InvalidContract(
                f"an IRR cap of {self.irr} is not above -100 %",
                field="irr",
                clause=self.clause or None,
            )
        if self.irr is not None and self.day_count is None:
            known = ", ".join(repr(d.value) for d in DayCount)
            raise InvalidContract(
                f"an IRR cap of {self.irr} a year names the day count its years are counted "
                f"in: one of {known}",
                field="day_count",
                clause=self.clause or None,
                rule="an IRR cap names its day count",
            )
        if self.multiple is not None and self.multiple < 0:
            raise InvalidContract(
                f"a multiple cap of {self.multiple} is negative",
                field="multiple",
                clause=self.clause or None,
            )

    def check_start(self, day: date) -> None:
        """Refuse a start date whose whole periods are ambiguous without a named rounding."""
        months = _WHOLE_PERIOD_MONTHS.get(self.day_count) if self.day_count else None
        if months is None or self.irr is None:
            return
        try:
            add_months(day, months, self.month_rounding)
        except AmbiguousDate:
            raise InvalidContract(
                f"whole periods from {day.isoformat()} are ambiguous (later months lack day "
                f'{day.day}); name month_rounding = "down" or "up"',
                field="month_rounding",
                clause=self.clause or None,
                rule="ambiguous month arithmetic needs a named rounding",
            ) from None


@attrs.frozen
class TopUp:
    """A central fund pays ``share`` of every outcome payment; the local payer the rest."""

    fund: str = attrs.field(default="fund", validator=v.instance_of(str))
    share: Fraction = attrs.field(
        default=Fraction(0), converter=v.as_fraction, validator=v.and_(v.exact_number, _share)
    )
    clause: str = attrs.field(default="", validator=v.instance_of(str))


@attrs.frozen
class DatedAmount:
    """An amount of money on a date: an investment drawn, a fee instalment."""

    on: date = attrs.field(validator=v.instance_of(date))
    amount: Money = attrs.field(validator=v.instance_of(Money))


def _dated_amounts(value: Iterable[Any]) -> tuple[DatedAmount, ...]:
    items = (i if isinstance(i, DatedAmount) else DatedAmount(*i) for i in value)
    return tuple(sorted(items, key=lambda i: i.on))


@attrs.frozen
class DeliveryFee:
    """A fee of ``share`` of ``contract_value`` paid to the provider whatever the results.

    Paid in equal instalments on ``dates`` (the parts add up exactly).
    """

    share: Fraction = attrs.field(converter=v.as_fraction, validator=v.and_(v.exact_number, _share))
    contract_value: Money = attrs.field(validator=v.instance_of(Money))
    dates: tuple[date, ...] = attrs.field(converter=v.as_tuple, validator=v.tuple_of(date))
    clause: str = attrs.field(default="", validator=v.instance_of(str))

    def __attrs_post_init__(self) -> None:
        if not self.dates or not all(isinstance(d, date) for d in self.dates):
            raise InvalidContract(
                "a delivery fee is paid on at least one date",
                field="dates",
                clause=self.clause or None,
                rule="a delivery fee names its payment dates",
            )


@attrs.frozen
class Financing:
    """How a contract is financed: the ``[financing]`` table of a contract file.

    ``investments``: the investor's funding of the provider, dated.
    ``top_up``: a central fund's share of every outcome payment.
    ``return_cap``: a limit on the investor's return (IRR or multiple).
    ``guarantee``: a third party's cover of the investor's loss.
    ``delivery_fee``: a share of the contract value paid to the provider.
    :func:`impactbond.finance.cash_flows` runs the waterfall these terms
    describe on a settlement.

    >>> Financing([DatedAmount(date(2020, 1, 1), Money(1000, "EUR"))]).currencies()
    {'EUR'}
    """

    investments: tuple[DatedAmount, ...] = attrs.field(converter=_dated_amounts)
    top_up: TopUp | None = attrs.field(default=None, kw_only=True)
    return_cap: ReturnCap | None = attrs.field(default=None, kw_only=True)
    guarantee: Guarantee | None = attrs.field(default=None, kw_only=True)
    delivery_fee: DeliveryFee | None = attrs.field(default=None, kw_only=True)
    clause: str = attrs.field(default="", validator=v.instance_of(str), kw_only=True)

    def __attrs_post_init__(self) -> None:
        if not self.investments:
            raise InvalidContract(
                "financing names at least one investment",
                field="investments",
                clause=self.clause or None,
                rule="the investor funds the provider",
            )
        for inv in self.investments:
            if inv.amount.amount <= 0:
                raise InvalidContract(
                    f"an investment of {inv.amount} on {inv.on} is not positive",
                    field="investments",
                    clause=self.clause or None,
                    rule="an investment is positive",
                )
            if self.return_cap is not None:
                try:
                    self.return_cap.check_start(inv.on)
                except InvalidContract as error:
                    raise InvalidContract(
                        error.message,
                        field=f"return_cap.{error.field}",
                        clause=error.clause,
                        rule=error.rule,
                    ) from None
        g = self.guarantee
        if g is not None and g.called is GuaranteeCall.ON_DATE:
            assert g.on is not None
            check_call_date(g, g.on, self.investments)

    def guarantee_call_date(
        self, *, maturity: date | None, final_determination: date | None
    ) -> date | None:
        """The day the guarantee is called (None: no guarantee)."""
        if self.guarantee is None:
            return None
        return self.guarantee.call_date(maturity=maturity, final_determination=final_determination)

    def amounts(self) -> list[tuple[str, str, Money]]:
        """``(what, clause, money)`` of every amount in the terms (for currency checks)."""
        out = [("investment", self.clause, i.amount) for i in self.investments]
        if self.guarantee is not None and self.guarantee.limit is not None:
            out.append(("guarantee", self.guarantee.clause, self.guarantee.limit))
        if self.delivery_fee is not None:
            fee = self.delivery_fee
            out.append(("delivery_fee", fee.clause, fee.contract_value))
        return out

    def currencies(self) -> set[str]:
        """The currencies the terms name."""
        return {m.currency for _, _, m in self.amounts()}


def check_call_date(guarantee: Guarantee, day: date, investments: Sequence[DatedAmount]) -> None:
    """Refuse a guarantee called before the investor has made its last investment."""
    last = max(investments, key=lambda i: i.on)
    if day < last.on:
        raise InvalidContract(
            f"the guarantee is called on {day.isoformat()} ({guarantee.called.value}), before "
            f"the investment of {last.amount} on {last.on.isoformat()}: the loss it covers "
            "is measured on the call date",
            field="guarantee.called"
            if guarantee.called is not GuaranteeCall.ON_DATE
            else "guarantee.on",
            clause=guarantee.clause or None,
            rule="a guarantee is called on or after the last investment",
        )
