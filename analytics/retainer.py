"""The consultant's retainer paid in the client's stock: schedule, shares issued, dilution, value.

The engagement follows the ``engagements`` contract of ``docs/architecture.md``
(``start_date, end_date, retainer_amount, retainer_frequency, minimum_months,
retainer_price_rule, retainer_price_days``). Prices are ``date, close`` split-adjusted to the
latest share basis; see :mod:`analytics.options` for how share bases are reconciled.

The same dollar retainer issues more shares when the price is low: ``shares = amount / price``.

Payment dates
-------------
The contract fixes a *due date* each month (the monthly anniversary of the start,
:func:`payment_dates`). When it falls on a day without a price (a weekend or an exchange
holiday) the payment is made on a trading day chosen by a business-day convention
(:func:`roll_to_trading_day`); the default, ``DEFAULT_RETAINER_PAYMENT_ROLL = "following"``,
is the next trading day, the usual convention for payment dates. The *payment date* so
found is the date every price rule refers to: ``close_on_payment`` takes its close,
``avg_close_prior_n`` the N closes strictly before it, and the value at issue is its close.
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd

from analytics.constants import DEFAULT_RETAINER_PAYMENT_ROLL, RETAINER_PAYMENT_ROLLS
from analytics.options import close_series, split_factor_after

PRICE_RULES: tuple[str, ...] = ("close_on_payment", "avg_close_prior_n")

RETAINER_COLUMNS: tuple[str, ...] = (
    "payment_no", "due_date", "payment_date", "payment_roll", "status", "amount", "price_rule", "price_window_start",
    "price_window_end", "price", "shares_issued", "shares_issued_latest_basis",
    "cumulative_shares", "shares_outstanding", "dilution", "cumulative_dilution",
    "close_on_issue", "value_at_issue", "mark_date", "mark_price", "value_marked",
    "gain_since_issue",
)


def payment_dates(start_date, end_date=None, minimum_months: int = 0, as_of=None,
                  frequency: str = "monthly") -> pd.DatetimeIndex:
    """Retainer payment dates: monthly from the start date, in advance.

    Payment ``k`` falls on ``start_date + k months`` (calendar month arithmetic, so a start
    on the 31st pays on the last day of shorter months) and pays for the month that begins
    then. A payment is due for every month that begins before ``end_date``, and at least
    ``minimum_months`` payments are due whatever the end date. Without an end date the
    engagement runs on: payments are due for months beginning on or before ``as_of`` (and
    at least the minimum).

    Examples
    --------
    Start 1999-01-04, end 1999-04-04, minimum 3: 1999-01-04, 02-04, 03-04.
    """
    if str(frequency).lower() != "monthly":
        raise ValueError(f"retainer_frequency {frequency!r} is not supported (only 'monthly')")
    start = pd.Timestamp(start_date).normalize()
    minimum = int(minimum_months or 0)
    end = None if end_date is None or pd.isna(end_date) else pd.Timestamp(end_date).normalize()
    out, k = [], 0
    while True:
        d = start + pd.DateOffset(months=k)
        if end is not None:
            due = d < end
        elif as_of is not None:
            due = d <= pd.Timestamp(as_of).normalize()
        else:
            due = False
        if not (due or k < minimum):
            break
        out.append(d)
        k += 1
    return pd.DatetimeIndex(out, name="payment_date")


def roll_to_trading_day(dates, trading_days, roll: str = DEFAULT_RETAINER_PAYMENT_ROLL
                        ) -> pd.DatetimeIndex:
    """Move each date onto a trading day by a business-day convention.

    Parameters
    ----------
    dates : date-like or sequence
        Due dates (e.g. from :func:`payment_dates`).
    trading_days : sequence of dates
        The trading calendar: here the dates of the price series (so with a thinly traded
        stock whose source omits no-trade days, the next *quoted* day).
    roll : {"following", "preceding", "modified_following"}
        ``following``: the first trading day on or after the date (default,
        ``DEFAULT_RETAINER_PAYMENT_ROLL``); ``preceding``: the last on or before it;
        ``modified_following``: following, unless that falls in the next calendar month, then
        preceding (ISDA 2006 Definitions, section 4.12). A date that is a trading day is kept.

    Returns
    -------
    pandas.DatetimeIndex
        The rolled dates; ``NaT`` where the calendar has no such day (e.g. ``following`` past
        the last price: the payment date is not known yet).

    Examples
    --------
    Sunday 1999-04-04 with Good Friday 04-02 shut: following -> Mon 04-05, preceding -> Thu 04-01.
    """
    if roll not in RETAINER_PAYMENT_ROLLS:
        raise ValueError(f"unknown payment roll {roll!r}; expected one of {RETAINER_PAYMENT_ROLLS}")
    due = pd.DatetimeIndex(pd.to_datetime(pd.Index(np.atleast_1d(dates)))).normalize()
    cal = pd.DatetimeIndex(pd.to_datetime(pd.Index(trading_days))).normalize().unique().sort_values()
    c = cal.to_numpy()
    n = len(c)
    i_fol = np.searchsorted(c, due.to_numpy(), side="left")           # first day >= due
    i_pre = np.searchsorted(c, due.to_numpy(), side="right") - 1       # last day <= due
    fol = np.array([c[i] if i < n else np.datetime64("NaT") for i in i_fol], dtype="datetime64[ns]")
    pre = np.array([c[i] if i >= 0 else np.datetime64("NaT") for i in i_pre], dtype="datetime64[ns]")
    if roll == "following":
        out = fol
    elif roll == "preceding":
        out = pre
    else:
        fol_idx = pd.DatetimeIndex(fol)
        crosses = (fol_idx.month != due.month) | (fol_idx.year != due.year)
        out = np.where(np.asarray(crosses) & ~pd.isna(fol_idx), pre, fol)
    return pd.DatetimeIndex(out, name="payment_date")


def price_for_payment(close: pd.Series, payment_date, rule: str = "close_on_payment",
                      n_days: int | None = None) -> tuple[float, pd.Timestamp | None,
                                                          pd.Timestamp | None]:
    """The price a retainer payment is converted at, with the trading days it comes from.

    Parameters
    ----------
    close : pandas.Series
        Closes by trading date (any single basis; the caller converts).
    payment_date : date-like
    rule : {"close_on_payment", "avg_close_prior_n"}
        ``close_on_payment``: the close on the payment date, or on the last trading day before
        it when the market was shut (:func:`retainer_schedule` first rolls the due date onto a
        trading day, so this fallback only serves direct calls). ``avg_close_prior_n``: the arithmetic mean close of the
        ``n_days`` trading days strictly before the payment date.
    n_days : int
        N for ``avg_close_prior_n``.

    Returns
    -------
    (price, first_day, last_day)
        NaN and ``None`` when there is no such close (or fewer than N days of history).
    """
    d = pd.Timestamp(payment_date).normalize()
    if rule == "close_on_payment":
        upto = close[close.index <= d]
        if upto.empty:
            return float("nan"), None, None
        return float(upto.iloc[-1]), upto.index[-1], upto.index[-1]
    if rule == "avg_close_prior_n":
        if not n_days or int(n_days) < 1:
            raise ValueError("avg_close_prior_n needs retainer_price_days >= 1")
        prior = close[close.index < d].iloc[-int(n_days):]
        if len(prior) < int(n_days):
            return float("nan"), None, None
        return float(prior.mean()), prior.index[0], prior.index[-1]
    raise ValueError(f"unknown retainer_price_rule {rule!r}; expected one of {PRICE_RULES}")


def shares_outstanding_on(shares_outstanding, dates, splits: pd.DataFrame | None = None) -> np.ndarray:
    """Shares outstanding on each date, on that date's own share basis.

    The last report on or before each date, restated through the splits between the
    report and the date (:func:`analytics.shares.shares_outstanding_daily` with
    ``basis="day"``): a report dated before a 1-for-10 reverse split counts a tenth as many
    shares after it. ``shares_outstanding`` is a number (on the latest basis), ``None`` (NaN
    everywhere) or a frame ``date, shares``. A date before the first report takes the first
    report, since share counts move slowly and a NaN would hide the dilution.
    """
    from analytics.shares import shares_outstanding_daily

    return shares_outstanding_daily(shares_outstanding, dates, splits, basis="day").to_numpy()


def retainer_schedule(engagement: Mapping[str, Any] | pd.Series,
                      prices: pd.DataFrame | pd.Series,
                      shares_outstanding=None,
                      as_of=None,
                      splits: pd.DataFrame | None = None,
                      payment_roll: str | None = None) -> pd.DataFrame:
    """Every retainer payment in stock: price used, shares issued, dilution and value.

    Parameters
    ----------
    engagement : dict or pandas.Series
        ``start_date, end_date, retainer_amount, minimum_months, retainer_price_rule,
        retainer_price_days`` (``retainer_frequency`` must be ``monthly`` when given).
    prices : pandas.DataFrame or pandas.Series
        ``date, close`` split-adjusted to the latest basis.
    shares_outstanding : float, pandas.DataFrame or None
        A constant (on the latest basis), or ``date, shares`` as reported (the basis of
        each report date); see :func:`shares_outstanding_on`.
    as_of : date-like, optional
        The mark-to-market date (default: the last price date). Payments after it are
        ``scheduled``: no price, no shares.
    splits : pandas.DataFrame, optional
        ``date, ratio``; used to state the price and the shares on the basis of the payment
        date (the stock certificate) and to add them up on the latest basis.
    payment_roll : {"following", "preceding", "modified_following"}, optional
        How a due date without a price (weekend, holiday) becomes the payment date
        (:func:`roll_to_trading_day` on the dates of ``prices``). Default: the engagement's
        ``retainer_payment_roll`` when it has one, else ``DEFAULT_RETAINER_PAYMENT_ROLL``
        (``"following"``: the next trading day).

    Returns
    -------
    pandas.DataFrame
        One row per payment (``RETAINER_COLUMNS``):

        - ``due_date``: the contract's date (:func:`payment_dates`); ``payment_date``: the
          trading day it rolls to under ``payment_roll`` (named in its column). A payment
          whose payment date is after ``as_of``, or not yet in the prices (``following`` past
          the last close), is ``scheduled`` and dated on its due date;
        - ``price``: the conversion price by the engagement's rule (see
          :func:`price_for_payment`), as quoted on the payment date; ``price_window_start/end``
          the trading days it comes from;
        - ``shares_issued = amount / price`` (payment date's basis; never rounded);
          ``shares_issued_latest_basis`` the same shares on the latest basis;
          ``cumulative_shares``: running total on the latest basis;
        - ``dilution = shares_issued / shares_outstanding`` on the payment date, both on the
          payment date's basis (the report restated through later splits,
          :func:`shares_outstanding_on`),
          ``cumulative_dilution`` the running sum;
        - ``close_on_issue``: close on the payment date;
          ``value_at_issue = shares_issued x close_on_issue``, the market value handed over
          (equal to ``amount`` under ``close_on_payment``, not under ``avg_close_prior_n``);
        - ``mark_price``: close on ``mark_date`` (last trading day on or before ``as_of``,
          latest basis), ``value_marked = shares_issued_latest_basis x mark_price``,
          ``gain_since_issue = value_marked - value_at_issue``.
    """
    e = dict(engagement)
    close_adj = close_series(prices)
    as_of = (close_adj.index.max() if as_of is None else pd.Timestamp(as_of).normalize())
    due = payment_dates(e["start_date"], e.get("end_date"), e.get("minimum_months") or 0,
                        as_of=as_of, frequency=e.get("retainer_frequency") or "monthly")
    if payment_roll is None:
        own = e.get("retainer_payment_roll")
        payment_roll = DEFAULT_RETAINER_PAYMENT_ROLL if own is None or pd.isna(own) else str(own)
    rolled = roll_to_trading_day(due, close_adj.index, payment_roll) if len(due) else due
    # a payment not yet on a known trading day (or after as_of) is scheduled, on its due date
    issued_mask = np.asarray(~pd.isna(rolled) & (rolled <= as_of), dtype=bool) if len(due) \
        else np.array([], dtype=bool)
    dates = pd.DatetimeIndex(np.where(issued_mask, rolled, due), name="payment_date")
    rule = e.get("retainer_price_rule") or "close_on_payment"
    n_days = e.get("retainer_price_days")
    n_days = None if n_days is None or pd.isna(n_days) else int(n_days)
    amount = float(e["retainer_amount"])

    f_pay = split_factor_after(dates, splits) if len(dates) else np.array([])
    rows = []
    for k, d in enumerate(dates):
        issued = bool(issued_mask[k])
        # the conversion price on the payment date's basis: quoted prices of the window
        # restated to d's basis (adjusted close x F(d)), so a split inside the window is
        # neutral
        price, p0, p1 = (price_for_payment(close_adj, d, rule, n_days) if issued
                         else (float("nan"), None, None))
        price *= f_pay[k]
        coi, _, _ = price_for_payment(close_adj, d, "close_on_payment") if issued else (np.nan,) * 3
        coi *= f_pay[k]
        rows.append((k + 1, due[k], d, payment_roll, "issued" if issued else "scheduled", amount,
                     rule, p0, p1, price, coi))
    out = pd.DataFrame(rows, columns=["payment_no", "due_date", "payment_date", "payment_roll",
                                      "status", "amount", "price_rule", "price_window_start",
                                      "price_window_end", "price", "close_on_issue"])
    out["due_date"] = pd.to_datetime(out["due_date"])
    out["payment_date"] = pd.to_datetime(out["payment_date"])
    for c in ("price_window_start", "price_window_end"):
        out[c] = pd.to_datetime(out[c])
    with np.errstate(divide="ignore", invalid="ignore"):
        out["shares_issued"] = out["amount"] / out["price"]
    out["shares_issued_latest_basis"] = out["shares_issued"] * f_pay if len(out) else []
    out["cumulative_shares"] = out["shares_issued_latest_basis"].fillna(0.0).cumsum()
    out.loc[out["status"] == "scheduled", "cumulative_shares"] = np.nan
    out["shares_outstanding"] = shares_outstanding_on(shares_outstanding, out["payment_date"], splits)
    out["dilution"] = out["shares_issued"] / out["shares_outstanding"]
    out["cumulative_dilution"] = out["dilution"].cumsum()
    out["value_at_issue"] = out["shares_issued"] * out["close_on_issue"]
    marked = close_adj[close_adj.index <= as_of]
    out["mark_date"] = marked.index[-1] if len(marked) else pd.NaT
    out["mark_date"] = pd.to_datetime(out["mark_date"])
    out["mark_price"] = float(marked.iloc[-1]) if len(marked) else np.nan
    out["value_marked"] = out["shares_issued_latest_basis"] * out["mark_price"]
    out["gain_since_issue"] = out["value_marked"] - out["value_at_issue"]
    return out[list(RETAINER_COLUMNS)]


def retainer_value_series(schedule: pd.DataFrame, prices: pd.DataFrame | pd.Series) -> pd.DataFrame:
    """Daily market value of the retainer shares, assuming the consultant keeps them all.

    Parameters
    ----------
    schedule : pandas.DataFrame
        Output of :func:`retainer_schedule`.
    prices : pandas.DataFrame or pandas.Series
        ``date, close`` on the latest basis.

    Returns
    -------
    pandas.DataFrame
        ``date, shares_held`` (latest basis, issued on or before the date), ``close``
        (latest basis), ``value = shares_held x close``, ``cost_at_issue`` (cumulative value at
        issue, the company's cost) from the first payment date on.
    """
    close_adj = close_series(prices)
    issued = schedule[schedule["status"] == "issued"].dropna(subset=["shares_issued_latest_basis"])
    if issued.empty:
        return pd.DataFrame({"date": pd.to_datetime([]), "shares_held": [], "close": [],
                             "value": [], "cost_at_issue": []})
    days = close_adj.index[close_adj.index >= issued["payment_date"].min()]
    pay = issued["payment_date"].to_numpy()
    pos = np.searchsorted(pay, days.to_numpy(), side="right")
    cum_sh = np.r_[0.0, issued["shares_issued_latest_basis"].cumsum().to_numpy()]
    cum_cost = np.r_[0.0, issued["value_at_issue"].fillna(0.0).cumsum().to_numpy()]
    out = pd.DataFrame({"date": days, "shares_held": cum_sh[pos],
                        "close": close_adj.loc[days].to_numpy()})
    out["value"] = out["shares_held"] * out["close"]
    out["cost_at_issue"] = cum_cost[pos]
    return out.reset_index(drop=True)
