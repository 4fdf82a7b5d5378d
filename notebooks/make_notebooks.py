"""Write the analyst notebooks (without outputs) from the cells below.

The notebooks are generated so that a review reads plain Python here, and the
committed ``.ipynb`` files never carry outputs.  Run from anywhere::

    python notebooks/make_notebooks.py

Each notebook asserts its numbers and runs top to bottom in seconds
(``pytest --nbmake notebooks``); the docs execute them again.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent

KERNEL = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}

NYBORG_COHORT = [
    (
        "md",
        """# The Nyborg cohort

Settle the Nyborg example (*Kom godt tilbage i job*) and explore the cohort:
the statement, the payment lines as a table, employment months per cohort
against the target, and the months accumulating over time. Prices are
illustrative; the cohort is synthetic apart from Agnes and Karina.""",
    ),
    (
        "code",
        """from datetime import date
from fractions import Fraction

import matplotlib.pyplot as plt
import pandas as pd

import impactbond as ib
from impactbond import plot
from impactbond.examples import nyborg

contract, participants, trajectories = nyborg()
s = ib.settle(contract, participants, trajectories, as_of=date(2026, 7, 1))
s""",
    ),
    ("md", "## The statement"),
    ("code", "print(s.statement())"),
    (
        "md",
        """## The lines as a table

One row per payment line: a participant's month, event or step, or a
cohort's bonus. Quantities are exact fractions (`quantity`), with a float
copy for analysis (`quantity_float`); amounts are `Decimal`.""",
    ),
    (
        "code",
        """frame = s.to_frame()
assert len(frame) == len(s.lines)
assert sum(frame.amount) == s.accrued_total.amount
assert sum(frame[frame.due].amount) == s.total.amount
frame.head()""",
    ),
    (
        "code",
        """by_rule = frame.groupby(["cohort", "rule"]).agg(
    lines=("amount", "size"), quantity=("quantity_float", "sum"), amount=("amount", "sum"))
assert sum(by_rule.amount) == s.accrued_total.amount
by_rule""",
    ),
    (
        "md",
        """## Employment months per cohort against the target

Each participant's months are exact; the cohort's achievement is their sum.""",
    ),
    (
        "code",
        """res = s.measured["employment_months"]
per_person = pd.DataFrame({
    "participant_id": s.participant_ids,
    "cohort": [p.cohort for p in s.participants],
    "months": [res.total_of(i) for i in range(len(s.participants))],
})
summary = per_person.groupby("cohort").agg(
    participants=("months", "size"),
    months=("months", lambda m: float(sum(m, Fraction(0)))),
    with_any_month=("months", lambda m: int(sum(q > 0 for q in m))),
)
summary["target"] = [float(contract.cohort(c).target) for c in summary.index]
summary["achievement"] = summary.months / summary.target
for a in s.achievements:
    exact = sum(per_person[per_person.cohort == a.cohort].months, Fraction(0))
    assert exact == a.quantity
    assert abs(summary.loc[a.cohort, "achievement"] - float(a.ratio)) < 1e-12
summary.round(2)""",
    ),
    (
        "md",
        """## Months accumulating over time

The cumulative months per cohort by the date each month was earned (the last
day of the month in the window), against the cohort's target (dashed).""",
    ),
    (
        "code",
        """ax = plot.cumulative_months(s)
ax.figure.set_size_inches(9, 4.5)
lines = {line.get_label(): line for line in ax.lines}
for a in s.achievements:
    step = lines[f"{a.cohort}: employment_months"]
    assert abs(step.get_ydata()[-1] - float(a.quantity)) < 1e-9
    assert lines[f"{a.cohort}: target {float(a.target):g}"].get_ydata()[0] == float(a.target)
plt.show()""",
    ),
    (
        "md",
        """## Payments by invoice period

Quarterly, stacked by cohort; the last quarter is still pending (hatched).""",
    ),
    (
        "code",
        """ax = plot.payments_by_period(s)
ax.figure.set_size_inches(9, 4)
heights = sum(bar.get_height() for container in ax.containers for bar in container)
assert abs(heights - float(s.accrued_total.amount)) < 0.01
plt.show()""",
    ),
    (
        "code",
        """print(s.explain("agnes"))""",
    ),
]

RETENTION = [
    (
        "md",
        """# Retention curves

Kaplan-Meier curves of the first job spell of each job starter, by cohort,
with censoring and pointwise 95 % confidence bands. The curves are built
step by step from the cohort's weekly `Panel` with the pure numpy kernels of
`impactbond.core.retention`, then checked against the settlement and against
`impactbond.plot.job_spell_survival`, which does the same in one call.""",
    ),
    (
        "code",
        """from datetime import date

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import impactbond as ib
from impactbond import plot
from impactbond.core.retention import job_spell_durations, job_start, kaplan_meier
from impactbond.examples import nyborg

contract, participants, trajectories = nyborg()
AS_OF = date(2026, 7, 1)
s = ib.settle(contract, participants, trajectories, as_of=AS_OF)""",
    ),
    (
        "md",
        """## The weekly panel

One row per participant, one int8 status code per ISO week, from the first
enrolment to `as_of`.""",
    ),
    (
        "code",
        """by_id = {t.participant_id: t for t in trajectories}
people = sorted(participants, key=lambda p: p.id)
grid = ib.WeeklyGrid.covering(min(p.enrolled for p in people), AS_OF)
panel = ib.Panel.from_trajectories([by_id[p.id] for p in people], grid, clip=True)
as_of_week = (AS_OF - grid.start).days // 7
print(panel.shape, "weeks from", grid.start)
assert panel.shape == (len(people), grid.n_periods)""",
    ),
    (
        "md",
        """## Job starts and job spells

The window is the retention outcome's: 24 months from enrolment. A job start
is the first week of ordinary employment in the window; the spell lasts until
a week without employment. Spells still running at `as_of` are censored.""",
    ),
    (
        "code",
        """outcome = contract.outcome("job_retention_26w")
employed = ib.Status.mask([ib.Status.EMPLOYED])
window = [outcome.window.bounds(p.enrolled) for p in people]
week = lambda d: -((grid.start - d).days // 7)   # first week whose Monday is on or after d
ws = np.array([week(a) for a, _ in window])
we = np.minimum(np.array([week(b) for _, b in window]), as_of_week)
start = job_start(panel.status, employed, ws, we)
durations, ended = job_spell_durations(panel.status, employed, start, as_of_period=as_of_week)
started = start >= 0
cohort = np.array([p.cohort for p in people])
spells = pd.DataFrame({"cohort": cohort[started], "weeks": durations[started],
                       "ended": ended[started]})
spells.groupby("cohort").agg(starters=("weeks", "size"), ended=("ended", "sum"),
                             censored=("ended", lambda e: int((~e).sum())),
                             median_weeks=("weeks", "median"))""",
    ),
    (
        "code",
        """# The same job starters as the settlement's retention figures.
figures = {r.cohort: r for r in s.retention if r.outcome == "job_retention_26w"}
for label, group in spells.groupby("cohort"):
    assert len(group) == figures[label].job_starters""",
    ),
    (
        "md",
        """## Kaplan-Meier by cohort""",
    ),
    (
        "code",
        """curves = {
    label: kaplan_meier(group.weeks.to_numpy(), group.ended.to_numpy())
    for label, group in spells.groupby("cohort")
}
for label, km in curves.items():
    same = plot.job_spell_survival(s, cohort=label)
    assert np.allclose(km.survival, same.survival) and np.array_equal(km.timeline, same.timeline)
    assert np.all(np.diff(km.survival) <= 1e-12)
    assert np.all((km.ci_lower <= km.survival + 1e-12) & (km.survival <= km.ci_upper + 1e-12))
    assert int(km.events.sum()) == int(spells[spells.cohort == label].ended.sum())

fig, ax = plt.subplots(figsize=(9, 4.5), layout="constrained")
for label, km in curves.items():
    plot.retention_curve(km, ax=ax, label=f"{label} (n={int(km.at_risk[0])})")
for line, color in zip(ax.lines, ["C0", "C1"]):
    line.set_color(color)
for band, color in zip(ax.collections, ["C0", "C1"]):
    band.set_color(color)
ax.axvline(outcome.horizon_weeks, color="0.4", linestyle=":")
ax.legend(loc="lower left")
assert len(ax.lines) == 3 and len(ax.collections) == 2
plt.show()""",
    ),
    (
        "md",
        """## Survival at the 26-week horizon vs the contract's retention rate

The curve asks "is the first job spell still unbroken?"; the contract asks
"is the person employed in week 26?" (a new job counts). Censored starters
are left out of the contract's rate.""",
    ),
    (
        "code",
        """rows = []
for label, km in curves.items():
    i = np.searchsorted(km.timeline, outcome.horizon_weeks, side="right") - 1
    f = figures[label]
    rows.append((label, f.job_starters, f.censored, float(km.survival[i]),
                 float(km.ci_lower[i]), float(km.ci_upper[i]),
                 None if f.retention_rate is None else float(f.retention_rate)))
table = pd.DataFrame(rows, columns=["cohort", "starters", "censored", "S(26w)",
                                    "lower 95%", "upper 95%", "contract rate"])
assert (table["lower 95%"] <= table["S(26w)"]).all() and (table["S(26w)"] <= table["upper 95%"]).all()
table.round(3)""",
    ),
]

PRICING = [
    (
        "md",
        """# Pricing a contract

What should a municipality pay per month in employment, and where should the
per-citizen cap sit? This notebook sweeps both over a small grid on the
Nyborg cohort (20 settlements), with `attrs.evolve` on the contract, and
shows what the payer pays, what the caps cut and how many citizens reach the
cap; then the payer's net saving against the investor's return. All amounts
are illustrative.""",
    ),
    (
        "code",
        """from datetime import date
from fractions import Fraction

import attrs
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import impactbond as ib
from impactbond.examples import nyborg

contract, participants, trajectories = nyborg()
AS_OF = date(2026, 7, 1)
INVESTMENT = ib.Money(3_500_000, "DKK")   # assumed up-front programme cost (illustrative)
MONTH_RULES = ("pay_employment_months_sick_listed", "pay_employment_months_unemployed")""",
    ),
    (
        "md",
        """## One contract per grid point

`attrs.evolve` amends a frozen contract: the two month prices (the unemployed
price keeps its ratio 7,500/9,500 to the sick-listed price) and the cap per
citizen. Each amended contract is validated again on construction.""",
    ),
    (
        "code",
        """def priced(price: int, cap: int) -> ib.Contract:
    ratio = Fraction(7500, 9500)
    rules = []
    for rule in contract.payment_rules:
        if rule.id == MONTH_RULES[0]:
            rule = attrs.evolve(rule, price=ib.Money(price, "DKK"))
        elif rule.id == MONTH_RULES[1]:
            rule = attrs.evolve(rule, price=ib.Money(round(price * ratio), "DKK"))
        rules.append(rule)
    caps = [attrs.evolve(c, amount=ib.Money(cap, "DKK")) if c.id == "cap_per_participant" else c
            for c in contract.caps]
    return attrs.evolve(contract, payment_rules=rules, caps=caps)

prices = [6000, 8000, 9500, 11000, 13000]
caps = [100_000, 150_000, 200_000, 300_000]
rows = []
for price in prices:
    for cap in caps:
        s = ib.settle(priced(price, cap), participants, trajectories, as_of=AS_OF)
        at_cap = {r["participant_id"] for r in s.to_records()
                  if r["cut_by"] == "cap_per_participant" and r["amount"] != r["amount_before_caps"]}
        rows.append({
            "price": price, "cap": cap,
            "payer_total": float(s.accrued_total.amount),
            "capped": float(s.capped_total.amount),
            "citizens_at_cap": len(at_cap),
        })
grid = pd.DataFrame(rows)
assert len(grid) == 20
grid.pivot(index="price", columns="cap", values="payer_total").round(0)""",
    ),
    (
        "md",
        """## Checks

The outcomes do not depend on the prices, so what the payer pays must rise
with the price and with the cap, and a higher cap can only cut less. At the
contract's own terms (9,500 and 200,000) the sweep reproduces the plain
settlement.""",
    ),
    (
        "code",
        """table = grid.pivot(index="price", columns="cap", values="payer_total")
assert (table.diff(axis=0).dropna() >= 0).all().all()     # dearer months: never less money
assert (table.diff(axis=1).dropna(axis=1) >= 0).all().all()   # higher cap: never less money
capped = grid.pivot(index="price", columns="cap", values="capped")
assert (capped.diff(axis=1).dropna(axis=1) <= 0).all().all()
base = ib.settle(contract, participants, trajectories, as_of=AS_OF)
assert table.loc[9500, 200_000] == float(base.accrued_total.amount)
grid.pivot(index="price", columns="cap", values="capped").round(0)""",
    ),
    (
        "md",
        """## What the payer pays, what the caps cut, who reaches the cap

Each line is one cap per citizen, each point one price per employment month.
Left: the payer's total to date rises with the price until the cap per
citizen binds; a lower cap binds sooner. Middle: the money the caps cut, the
other side of the same bend. Right: how many citizens' payments reach their
cap, which is what makes the bend: each of them is paid the cap, whatever the
price.""",
    ),
    (
        "code",
        """from matplotlib.ticker import FuncFormatter, MaxNLocator

thousands = FuncFormatter(lambda x, _: f"{x:,.0f}")
fig, (left, middle, right) = plt.subplots(1, 3, figsize=(13, 4.2), layout="constrained")
for i, cap in enumerate(caps):
    part = grid[grid.cap == cap]
    label = f"cap DKK {cap:,}"
    left.plot(part.price, part.payer_total, marker="o", color=f"C{i}", label=label)
    middle.plot(part.price, part.capped, marker="o", color=f"C{i}", label=label)
    right.plot(part.price, part.citizens_at_cap, marker="o", color=f"C{i}", label=label)
for ax in (left, middle, right):
    ax.set_xlabel("price per employment month, sick-listed (DKK)")
    ax.xaxis.set_major_formatter(thousands)
left.yaxis.set_major_formatter(thousands)
middle.yaxis.set_major_formatter(thousands)
right.yaxis.set_major_locator(MaxNLocator(integer=True))
left.set_ylabel("payer's total to date (DKK)")
left.set_title("What the payer pays")
middle.set_ylabel("cut by the caps (DKK)")
middle.set_title("What the caps cut")
right.set_ylabel("citizens paid the cap")
right.set_title("Who reaches the cap")
left.legend(fontsize="small")
# The panels tell different things: the total rises, the cuts rise, and the count of
# citizens at the cap is a whole number that never falls as the price rises.
for cap in caps:
    part = grid[grid.cap == cap]
    assert (np.diff(part.payer_total) > 0).all()
    assert (np.diff(part.capped) >= 0).all() and (np.diff(part.citizens_at_cap) >= 0).all()
lowest, highest = grid[grid.cap == caps[0]], grid[grid.cap == caps[-1]]
assert (lowest.citizens_at_cap.to_numpy() >= highest.citizens_at_cap.to_numpy()).all()
assert (grid.citizens_at_cap > 0).any() and (grid.citizens_at_cap < len(participants)).all()
assert all(len(ax.lines) == len(caps) for ax in (left, middle, right))
plt.show()""",
    ),
    (
        "md",
        """Where no citizen reaches the cap, a dearer month buys the investor a
proportionally larger payment; once citizens reach it, their payments stop
growing, and the payer's total bends.""",
    ),
    (
        "md",
        """## The payer's net saving and the investor's return

A month in work is a month the municipality does not pay benefit. Assume
(illustratively) a benefit of DKK 4,500 a week of which the municipality
carries 70% after state reimbursement (refusion): about DKK 13,650 saved per
employment month. The payer's net saving is that saving minus every payment.
The investor pays the programme's cost up front at the contract start and
receives each payment on its due date; `impactbond.finance.xirr` gives the
annual return to date (actual/365) and `money_multiple` the money back per
krone.""",
    ),
    (
        "code",
        """from impactbond import finance

SAVING_PER_MONTH = Fraction(4500 * 52, 12) * Fraction(7, 10)   # DKK, illustrative

def investor_flows(s):
    dates = [contract.term_start]
    values = [-INVESTMENT.amount]
    for r in s.to_records():
        if r["due"]:
            dates.append(r["due_on"])
            values.append(r["amount"])
    return dates, values

rows = []
for price in prices:
    for cap in caps:
        s = ib.settle(priced(price, cap), participants, trajectories, as_of=AS_OF)
        saving = SAVING_PER_MONTH * s.quantity("employment_months")
        dates, values = investor_flows(s)
        rows.append({
            "price": price, "cap": cap,
            "net_saving": float(saving - Fraction(s.total.amount)),
            "xirr": finance.xirr(dates, values),
            "multiple": float(finance.money_multiple(values)),
        })
returns = pd.DataFrame(rows)
net = returns.pivot(index="price", columns="cap", values="net_saving")
irr = returns.pivot(index="price", columns="cap", values="xirr")
assert (net.diff(axis=0).dropna() <= 0).all().all()   # dearer months: the payer saves less
assert (irr.diff(axis=0).dropna() >= 0).all().all()   # ... and the investor earns more
assert ((returns.multiple > 1) == (returns.xirr > 0)).all()   # gain iff positive return
returns.pivot(index="price", columns="cap", values="xirr").round(3)""",
    ),
    (
        "code",
        """fig, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
for i, cap in enumerate(caps):
    part = returns[returns.cap == cap]
    ax.plot(part.net_saving / 1e6, part.xirr * 100, marker="o", color=f"C{i}",
            label=f"cap DKK {cap:,}")
ax.axhline(0, color="0.5", linestyle=":", linewidth=1)
ax.axvline(0, color="0.5", linestyle=":", linewidth=1)
ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:,.1f}"))
ax.set_xlabel("payer's net saving to date (DKK million, illustrative saving per month)")
ax.set_ylabel("investor's return to date (XIRR, % a year)")
ax.set_title("Each point a price per month: what one side gains, the other pays")
ax.legend(fontsize="small")
assert len(ax.lines) == len(caps) + 2
plt.show()""",
    ),
    (
        "md",
        """Moving along a line, a higher price moves money from the payer's saving
to the investor's return; the contract is fair to both where the line
crosses into the upper right quarter. Returns "to date" are low because the
register data stop before the last payments fall due.""",
    ),
]

SENSIBLE = [
    (
        "md",
        """# Is a social impact bond sensible for us?

A municipality considering *Kom godt tilbage i job* wants to know, before
signing, what the contract will do: what it will pay and save, how likely
the investor is to lose money, how likely the targets are to be reached, and
how large the programme's effect must be for the contract to pay off. This
notebook answers with a Monte Carlo of the Nyborg contract:

1. calibrate a weekly status model on the register history of citizens like
   those the municipality would refer (here a synthetic history of 1,000
   citizens, so that the calibration can be checked against the truth);
2. simulate many futures of the referred cohorts, each with its own
   parameters drawn from the fit, with the programme's effect and without it
   on the same random numbers;
3. settle every future under the contract, exactly as a real settlement
   would (targets, bonuses and caps per scenario);
4. summarise the payer's payments and net cost, the investor's return and
   the chance of reaching the targets.

Prices, caps, the investment and benefit rates are illustrative.""",
    ),
    (
        "code",
        """from datetime import date

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import impactbond as ib
from impactbond import plot
from impactbond.examples import NYBORG_HISTORY_UNTIL, nyborg_history
from impactbond.examples.make_nyborg_history import true_model
from impactbond.simulate import (BenefitCosts, Effect, Referrals, break_even_effect,
                                 calibrate, history_tables, price)

contract, _, _ = ib.examples.nyborg()
people, trajectories = nyborg_history()
history = history_tables(people, trajectories)
print(history.participants.num_rows, "citizens,", history.spells.num_rows, "spells, until",
      NYBORG_HISTORY_UNTIL)""",
    ),
    (
        "md",
        """## 1. The model, calibrated on history

Each citizen's status is read once a week from the day they entered the
target group. Moves from one week to the next are counted per cohort and per
band of time since the start (0-12, 13-25, 26-51 and 52+ weeks: the newly
sick-listed find work more easily than those sick-listed for a year). Each
row of counts has a Dirichlet posterior; the fit reports how many citizens
each band rests on, and would warn (`ThinDataWarning`) if a band had fewer
than 30.""",
    ),
    (
        "code",
        """fit = calibrate(history, data_until=NYBORG_HISTORY_UNTIL)
summary = fit.to_frame()
own = {"sick_listed": "sickness_benefit", "unemployed": "unemployment_benefit"}
rates = summary[[own[c] == f for c, f in zip(summary.cohort, summary["from"])]]
assert (rates.people_in_band >= 30).all() and not fit.thin_bands
rates[["cohort", "band", "from", "people_in_band", "moves", "job_entry", "job_entry_sd"]].round(4)""",
    ),
    (
        "md",
        """The history is synthetic, drawn from a known model, so we can check that
the calibration finds it: the weekly job-entry rate from each cohort's own
benefit, band by band, with two posterior standard deviations, against the
rate the history was drawn from.""",
    ),
    (
        "code",
        """truth = true_model()
job = fit.model.states.index(ib.Status.EMPLOYED)
fig, ax = plt.subplots(figsize=(7, 3.8), layout="constrained")
for c, cohort in enumerate(fit.model.cohorts):
    i = fit.model.states.index(ib.Status.parse(own[cohort]))
    est = fit.model.transitions[c, :, i, job]
    sd = fit.posterior_sd()[c, :, i, job]
    true = truth.transitions[c, :, truth.states.index(ib.Status.parse(own[cohort])),
                             truth.states.index(ib.Status.EMPLOYED)]
    x = np.arange(len(fit.model.bands)) + 0.1 * c
    ax.errorbar(x, est * 100, yerr=2 * sd * 100, fmt="o", color=f"C{c}", label=f"{cohort}: fit")
    ax.plot(x, true * 100, "x", color=f"C{c}", markersize=9, label=f"{cohort}: truth")
    assert (np.abs(est - true) < 3 * sd).all()
ax.set_xticks(np.arange(len(fit.model.bands)), [f"weeks {b}" for b in fit.model.band_labels])
ax.set_ylabel("weekly job-entry rate (%)")
ax.set_title("Job entry falls with time on benefit: fit (±2 sd) and truth")
ax.legend(fontsize="small")
plt.show()""",
    ),
    (
        "md",
        """## 2. The assumptions

- **Referrals**: 60 sick-listed and 40 unemployed citizens, spread evenly over
  the contract's referral window.
- **Effect**: the programme raises the weekly job-entry rate by 50 % and makes
  jobs last 25 % longer. This is the number nobody knows; section 5 asks how
  large it must be.
- **Benefit costs**: DKK 4,500 a week of sickness or unemployment benefit,
  of which the state refunds 80 %, 40 %, 30 % and 20 % by benefit week
  (the 2016 refusion staircase): an avoided benefit week saves the
  municipality only its own share.
- **Financing**: the Nyborg contract publishes none; we assume an investor
  funds the provider with DKK 3,000,000 at the start and receives every
  outcome payment.""",
    ),
    (
        "code",
        """AS_OF = date(2027, 9, 1)   # after the last payment of the term has fallen due
referrals = Referrals.over_referral_window(contract, {"sick_listed": 60, "unemployed": 40})
effect = Effect(job_entry=0.5, job_stay=0.25)
costs = BenefitCosts.with_refusion_staircase(
    {"sickness_benefit": ib.Money(4500, "DKK"), "unemployment_benefit": ib.Money(4500, "DKK")})
financing = ib.Financing([ib.DatedAmount(contract.term_start, ib.Money(3_000_000, "DKK"))])
common = dict(as_of=AS_OF, referrals=referrals, benefit_costs=costs, financing=financing)""",
    ),
    (
        "md",
        """## 3. Two hundred futures, settled

Each scenario draws its own transition matrices from the fit (parameter
uncertainty), simulates the 100 citizens week by week for 132 weeks, and is
settled under the contract twice: with the effect and without it, on the
same random numbers, so that their difference is the effect and not noise.""",
    ),
    (
        "code",
        """result = price(contract, fit, effect=effect, scenarios=200, seed=1, **common)
frame = result.to_frame()
assert len(frame) == 200 and result.excluded.sum() == 0
assert np.isclose(frame.payments.mean(), result.payments.mean() / 100)
s = result.summary()
table = pd.DataFrame([m.to_dict() for m in s.measures]).set_index("name")
table[["unit", "mean", "se", "q05", "q50", "q95"]].round(1)""",
    ),
    (
        "code",
        """ax = plot.price_fan_chart(result)
ax.figure.set_size_inches(9, 4.5)
assert np.isclose(ax.lines[0].get_ydata()[-1], np.median(result.payments) / 100)
plt.show()""",
    ),
    (
        "code",
        """axes = plot.price_histograms(result)
assert [sum(p.get_height() for p in a.patches) for a in axes] == [200, 200, 200]
plt.show()""",
    ),
    (
        "md",
        """## 4. What the municipality pays for

Without the programme the same citizens would still find work: the
counterfactual settlement pays for those months too (deadweight). The price
per *additional* employment month is what the municipality pays in all,
divided by the months the programme adds; compare it with what a month off
benefit saves the municipality after refusion.""",
    ),
    (
        "code",
        """pay = result.payments / 100
deadweight = result.counterfactual_payments / 100
saving_per_month = (result.savings / 100).sum() / result.additional_months.sum()
p = s.probabilities
rows = {
    "mean payments (DKK)": pay.mean(),
    "of which paid without any effect (DKK)": deadweight.mean(),
    "additional employment months": result.additional_months.mean(),
    "price per additional month (DKK)": s.price_per_additional_month,
    "saving per additional month, net of refusion (DKK)": saving_per_month,
    "P(payer saves money)": p["payer_saves"][0],
    "P(investor loses money)": p["investor_loss"][0],
    "P(sick-listed reach the target)": p["reach_target_sick_listed"][0],
    "P(unemployed reach the target)": p["reach_target_unemployed"][0],
}
assert deadweight.mean() < pay.mean()
assert np.isclose(s.price_per_additional_month, pay.mean() / result.additional_months.mean())
assert np.isclose(p["investor_loss"][0], (result.investor_net < 0).mean())
pd.Series(rows).round(3)""",
    ),
    (
        "md",
        """## 5. How large must the effect be?

The break-even effect is the multiple of the assumed effect at which a party
comes out even on average: for the municipality, where the benefit savings
pay for the outcome payments; for the investor, where the payments repay the
investment. Each step of the search is a Monte Carlo with the same seed
(common random numbers), so the mean moves smoothly with the effect.""",
    ),
    (
        "code",
        """search = dict(scenarios=40, seed=2, tolerance=0.05, **common)
payer = break_even_effect(contract, fit, party="payer", planned=effect, **search)
investor = break_even_effect(contract, fit, party="investor", planned=effect, **search)
for be in (payer, investor):
    if be.factor is None:
        print(f"{be.party}: does not break even up to {max(f for f, _ in be.evaluations)} x the effect")
    else:
        print(f"{be.party}: breaks even at {be.factor:.2f} x the effect "
              f"(job entry {be.effect.job_entry:+.0%}, job duration {be.effect.job_stay:+.0%})")
values = dict(investor.evaluations)
assert values[0.0] < 0 <= values[4.0]   # no effect: a loss; four times the effect: a gain
assert investor.factor is not None and 0 < investor.factor < 4""",
    ),
    (
        "md",
        """## What this says, and what it does not

The Monte Carlo turns the one unknown, the programme's effect, into what each
party can weigh: with the assumed effect the investor usually gets its money
back and more; the municipality pays for many months that would have come
anyway, and its payments are covered by savings only at a larger effect. A
lower price per month, a target set above the counterfactual, or a cap on
payments without effect would move money back to the municipality; rerun
the cells with the contract amended (`attrs.evolve`) to see how far.

The model is a weekly Markov chain per cohort and band: it knows nothing of
the business cycle, of who is referred beyond the cohort, or of effects that
fade; see *The pricing model* in the documentation for its assumptions and
limits.""",
    ),
]


def notebook(cells: list[tuple[str, str]]) -> object:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = KERNEL
    nb.metadata["language_info"] = {"name": "python"}
    for kind, source in cells:
        cell = (
            nbformat.v4.new_markdown_cell(source)
            if kind == "md"
            else nbformat.v4.new_code_cell(source)
        )
        cell.pop("id", None)  # stable files: no random cell ids
        nb.cells.append(cell)
    nb.nbformat_minor = 4  # cell ids are optional before 4.5
    return nb


NOTEBOOKS = {
    "01-nyborg-cohort.ipynb": NYBORG_COHORT,
    "02-retention-curves.ipynb": RETENTION,
    "03-pricing-a-contract.ipynb": PRICING,
    "04-is-a-sib-sensible.ipynb": SENSIBLE,
}


def main() -> None:
    import nbformat

    for name, cells in NOTEBOOKS.items():
        nb = notebook(cells)
        nbformat.validate(nb)
        nbformat.write(nb, HERE / name)
        print(f"wrote {name} ({len(cells)} cells)")


if __name__ == "__main__":
    main()
