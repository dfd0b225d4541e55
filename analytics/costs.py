"""What the IR program cost the company, in dollars and in shares.

Four kinds of cost (issue 4): the retainer at the market value of the shares when issued,
each option grant at its grant-date Black-Scholes fair value, finder's fees on financings
(``amount x fee_rate``), and the direct cost of each logged activity. Dilution is reported in
shares beside the dollars: retainer shares issued, and the option's shares (potential
dilution if exercised).
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd

from analytics.constants import (
    DEFAULT_RISK_FREE_RATE, DEFAULT_VOL_WINDOW, DEFAULT_VOLATILITY_METHOD, activity_label,
)
from analytics.options import VOLATILITY_METHODS, grant_date_fair_value

COST_KINDS: dict[str, str] = {
    "retainer": "Retainer (stock, value at issue)",
    "option": "Option grant (fair value at grant)",
    "finders_fee": "Finder's fees",
    "activity": "Activity costs",
}
COST_COLUMNS: tuple[str, ...] = ("kind", "item", "date", "cost", "shares", "source_id", "note")


def finders_fees(financings: pd.DataFrame | None) -> pd.DataFrame:
    """Finder's fee on each financing: ``fee = amount x fee_rate``.

    Parameters
    ----------
    financings : pandas.DataFrame
        ``financing_id, date, amount, fee_rate, description`` (``fee_rate`` a fraction: 0.05
        for 5%). A missing rate gives a NaN fee, never a silent zero.

    Returns
    -------
    pandas.DataFrame
        The input with a ``fee`` column added.
    """
    if financings is None or len(financings) == 0:
        return pd.DataFrame({"financing_id": [], "date": pd.to_datetime([]), "amount": [],
                             "fee_rate": [], "description": [], "fee": []})
    out = financings.copy()
    out["fee"] = out["amount"].astype(float) * out["fee_rate"].astype(float)
    return out


def _grants_list(option_grants) -> list[dict]:
    if option_grants is None:
        return []
    if isinstance(option_grants, pd.DataFrame):
        return option_grants.to_dict("records")
    if isinstance(option_grants, (Mapping, pd.Series)):
        return [dict(option_grants)]
    return [dict(g) for g in option_grants]


def program_costs(retainer: pd.DataFrame | None = None,
                  option_grants: pd.DataFrame | Iterable[Mapping[str, Any]] | None = None,
                  financings: pd.DataFrame | None = None,
                  activities: pd.DataFrame | None = None,
                  prices: pd.DataFrame | pd.Series | None = None,
                  splits: pd.DataFrame | None = None,
                  risk_free_rate: float = DEFAULT_RISK_FREE_RATE,
                  vol_window: int = DEFAULT_VOL_WINDOW,
                  volatility_method: str = DEFAULT_VOLATILITY_METHOD) -> pd.DataFrame:
    """One row per cost item of the program.

    Parameters
    ----------
    retainer : pandas.DataFrame, optional
        :func:`analytics.retainer.retainer_schedule`; issued payments only count, at
        ``value_at_issue`` (shares x close on the payment date), with ``shares_issued``.
    option_grants : frame or iterable of dicts, optional
        ``option_grants`` rows; each costs its grant-date fair value
        (:func:`analytics.options.grant_date_fair_value`, needs ``prices``) and counts its
        ``shares`` as potential dilution.
    financings : pandas.DataFrame, optional
        See :func:`finders_fees`.
    activities : pandas.DataFrame, optional
        The activity log; ``cost`` (USD) per activity, NaN where not logged.
    prices, splits, risk_free_rate, vol_window, volatility_method
        For the option fair values (``prices`` with ``volume`` for the default trade-to-trade
        volatility, :func:`analytics.options.noise_robust_volatility`; the method is named in
        the item's ``note``).

    Returns
    -------
    pandas.DataFrame
        ``COST_COLUMNS``: ``kind`` (a key of ``COST_KINDS``), ``item`` (a label), ``date``,
        ``cost`` (USD, NaN when unknown), ``shares`` (dilution in shares, NaN when the item
        issues none), ``source_id`` (payment_no / grant_id / financing_id / activity_id),
        ``note``.
    """
    rows: list[tuple] = []
    if retainer is not None and len(retainer):
        for r in retainer[retainer["status"] == "issued"].itertuples(index=False):
            rows.append(("retainer", f"Retainer payment {r.payment_no}", r.payment_date,
                         float(r.value_at_issue), float(r.shares_issued), r.payment_no,
                         f"{r.amount:,.2f} USD at {r.price!r} per share ({r.price_rule})"))
    for g in _grants_list(option_grants):
        fv = (grant_date_fair_value(g, prices, splits, risk_free_rate, vol_window,
                                    volatility_method=volatility_method)
              if prices is not None else float("nan"))
        rows.append(("option", f"Option {g.get('grant_id', '')}: {float(g['shares']):,.0f} sh at "
                     f"{float(g['strike'])!r}", pd.Timestamp(g["grant_date"]), fv,
                     float(g["shares"]), g.get("grant_id"),
                     f"Black-Scholes at grant; volatility: {VOLATILITY_METHODS[volatility_method]}"
                     if np.isfinite(fv) else "fair value unavailable"))
    fees = finders_fees(financings)
    for f in fees.itertuples(index=False):
        rows.append(("finders_fee", f"Finder's fee: {getattr(f, 'description', '') or ''}".strip(),
                     pd.Timestamp(f.date), float(f.fee), np.nan, getattr(f, "financing_id", None),
                     f"{float(f.fee_rate):.4g} x {float(f.amount):,.2f}"))
    if activities is not None and len(activities):
        for a in activities.itertuples(index=False):
            cost = getattr(a, "cost", np.nan)
            cost = float(cost) if cost is not None and not pd.isna(cost) else np.nan
            rows.append(("activity", f"{activity_label(a.type)}: {getattr(a, 'title', '') or ''}",
                         pd.Timestamp(a.date), cost, np.nan, getattr(a, "activity_id", None),
                         "" if np.isfinite(cost) else "cost not logged"))
    out = pd.DataFrame(rows, columns=list(COST_COLUMNS))
    out["date"] = pd.to_datetime(out["date"])
    out["cost"] = out["cost"].astype(float)
    out["shares"] = out["shares"].astype(float)
    return out


def costs_by_kind(costs: pd.DataFrame) -> pd.DataFrame:
    """Totals per kind of cost, with the dilution in shares beside the dollars.

    Returns
    -------
    pandas.DataFrame
        One row per kind in ``COST_KINDS`` order (kinds absent get zeros) plus a ``total``
        row: ``kind, label, cost, shares, n_items, n_cost_unknown``. ``cost`` sums the known
        costs; ``n_cost_unknown`` counts items whose cost is NaN, so an incomplete total is
        visible.
    """
    rows = []
    for kind, label in COST_KINDS.items():
        part = costs[costs["kind"] == kind]
        rows.append((kind, label, float(part["cost"].sum()), float(part["shares"].sum()),
                     int(len(part)), int(part["cost"].isna().sum())))
    out = pd.DataFrame(rows, columns=["kind", "label", "cost", "shares", "n_items", "n_cost_unknown"])
    total = ("total", "Total", out["cost"].sum(), out["shares"].sum(), out["n_items"].sum(),
             out["n_cost_unknown"].sum())
    out.loc[len(out)] = total
    return out
