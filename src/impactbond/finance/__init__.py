"""Finance: the parties' cash flows and the payment designs beyond a rate card.

:mod:`~impactbond.finance.cashflows` (a ledger of dated money per party, NPV,
IRR, XIRR, money multiple, payback date), :mod:`~impactbond.finance.savings`
(refusion schedules, municipal net cost, rounding a share),
:mod:`~impactbond.finance.effect` (the break-even effect of an effect rule)
and :mod:`~impactbond.finance.waterfall` (fees, top-ups, return caps,
guarantees).  The payment terms themselves (effect tiers, savings shares)
are rules of :mod:`impactbond.domain.payment`, run by :func:`impactbond.settle`.
Sign convention: from each party's own point of
view, money received is positive and money paid out is negative.
"""

from impactbond.finance.cashflows import (
    CashFlow,
    CashFlows,
    irr,
    money_multiple,
    npv,
    payback_date,
    xirr,
    xnpv,
)
from impactbond.finance.effect import ComparisonGroup, Tier, TierTable, break_even
from impactbond.finance.savings import (
    RefusionBand,
    RefusionSchedule,
    municipal_net_cost,
    municipal_net_saving,
    round_money,
    share_of,
)
from impactbond.finance.waterfall import (
    Guarantee,
    GuaranteeCall,
    ReturnCap,
    TopUp,
    Waterfall,
    cash_flows,
    delivery_fees,
    payments_by_due_date,
)

__all__ = [
    "CashFlow",
    "CashFlows",
    "ComparisonGroup",
    "Guarantee",
    "GuaranteeCall",
    "RefusionBand",
    "RefusionSchedule",
    "ReturnCap",
    "Tier",
    "TierTable",
    "TopUp",
    "Waterfall",
    "break_even",
    "cash_flows",
    "delivery_fees",
    "irr",
    "money_multiple",
    "municipal_net_cost",
    "municipal_net_saving",
    "npv",
    "payback_date",
    "payments_by_due_date",
    "round_money",
    "share_of",
    "xirr",
    "xnpv",
]
