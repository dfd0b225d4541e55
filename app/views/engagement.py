"""The Engagement page's view: the contract in words, the option and retainer series, the cost table."""
from __future__ import annotations

import pandas as pd

from app import loaders, memo
from app.views import common


def contract_terms(eng: dict) -> dict:
    """Headline terms of the client's (first) engagement (:func:`analytics.answer.contract_terms`)."""
    from analytics.answer import contract_terms as words

    return words(eng["engagements"], eng["grants"], eng["financings"])


@common.page_view()
def engagement_terms(db: str, client_id: str) -> dict:
    """:func:`contract_terms` of the client's engagement (memoised per client and user scope)."""
    return contract_terms(common.client_engagement(db, client_id))


def _option_series(db: str, ticker: str, grant: dict):
    from analytics import options

    full = common.prices(db, ticker)
    splits = loaders.splits(db, ticker)
    series = options.option_grant_series(grant, full[["date", "close"]], splits=splits if not splits.empty else None)
    status = options.option_status_as_of(grant, full[["date", "close"]], splits=splits if not splits.empty else None)
    return series, status


@common.page_view()
def option_view(db: str, view):
    """Daily option series of the client's first grant (renamed for the chart) and a one-line summary, or None
    (memoised per view and user scope: the page and the report show this one object)."""
    grants = common.client_engagement(db, view.client_id)["grants"] if view.client_id else pd.DataFrame()
    if grants.empty or not view.ticker or common.prices(db, view.ticker).empty:
        return None
    grant = grants.sort_values("grant_date").iloc[0].to_dict()
    series, status = _option_series(db, view.ticker, grant)
    if series.empty:
        return None
    chart = series.rename(columns={"intrinsic_value": "intrinsic_total", "fair_value": "fair_value_total"})
    from analytics.answer import option_value_words

    summary = f"{status.status.capitalize()}. " + option_value_words(status)
    return {"series": chart, "strike": float(grant["strike"]), "summary": summary}


def _retainer(db: str, ticker: str, engagement: dict) -> pd.DataFrame:
    from analytics import retainer

    full = common.prices(db, ticker)
    shares = loaders.shares_outstanding(db, ticker)
    splits = loaders.splits(db, ticker)
    return retainer.retainer_schedule(engagement, full[["date", "close"]],
                                      shares_outstanding=None if shares.empty else shares[["date", "shares"]],
                                      splits=None if splits.empty else splits)


RETAINER_KEEP = ["payment_no", "payment_date", "status", "amount", "price", "shares_issued", "cumulative_shares",
                 "dilution", "cumulative_dilution", "value_at_issue", "value_marked", "gain_since_issue"]


@common.page_view()
def retainer_view(db: str, view):
    """Retainer schedule table and chart frame (analytics.retainer) of the client's first engagement, or None."""
    from analytics.answer import first_engagement

    engagements = common.client_engagement(db, view.client_id)["engagements"] if view.client_id else pd.DataFrame()
    if engagements.empty or not view.ticker or common.prices(db, view.ticker).empty:
        return None
    schedule = _retainer(db, view.ticker, first_engagement(engagements).to_dict())
    if schedule.empty:
        return None
    chart = pd.DataFrame({"date": schedule["payment_date"], "shares": schedule["shares_issued"],
                          "price": schedule["price"], "dilution": schedule["cumulative_dilution"]})
    return {"chart": chart, "table": schedule[[c for c in RETAINER_KEEP if c in schedule]]}


@memo.derived()
def cost_table(acc) -> pd.DataFrame:
    """``kind, amount`` of the program cost by kind (without the total row), for the bar chart."""
    by_kind = acc.inputs["costs_by_kind"]
    return (by_kind[by_kind["kind"] != "total"][["label", "cost"]]
            .rename(columns={"label": "kind", "cost": "amount"}).reset_index(drop=True))


SHARE_COLUMNS = ("shares_issued", "cumulative_shares")


@memo.derived()
def retainer_display(table: pd.DataFrame) -> pd.DataFrame:
    """The retainer table as shown: share counts written by :func:`analytics.answer.share_count` (the report's
    and the sentences' formatter), so a count reads the same on every page; the CSV keeps the fractions."""
    from analytics.answer import share_count

    return table.assign(**{c: table[c].map(share_count) for c in SHARE_COLUMNS if c in table})
