"""Promotion integrity: what the consultant was paid, what they sold, and when, against the campaign.

Pure functions on DataFrames (no I/O). The frames follow the v4 tables of ``store/schema.py``:
``compensation`` (manual payments), ``trades`` (``holder, role, date, shares`` signed: + bought,
- sold, ``price``, ``notes``), ``sale_rules`` (one row per engagement) and ``activities.disclosed``.

Four records, each a plain frame the page, the CSV exports and the ROI report lay out:

1. **Compensation register** (:func:`compensation_register`) and the disclosure text of a
   communication that describes the security (:func:`disclosure_text`), built from the register as
   of the communication's date. Section 17(b) of the Securities Act (15 U.S.C. 77q(b)) requires
   whoever publishes such a communication for consideration from the issuer to disclose "the
   receipt, whether past or prospective, of such consideration and the amount thereof".
2. **Trades against the campaign** (:func:`holdings`, :func:`sales_after_activities`,
   :func:`runup_public_purchases`).
3. **Rule 144** (:func:`rule144_schedule`, :func:`affiliate_volume_limit`, :func:`option_exercises`):
   17 CFR 230.144(d) (holding period) and 230.144(e) (volume limit of an affiliate).
4. **Promotion and black-out calendar** (:func:`promotion_windows`, :func:`blackout_windows`,
   :func:`trades_in_windows`).

Nothing here says whether anything is lawful: the functions record what the data show.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np
import pandas as pd

from analytics.answer import money, percent, price
from analytics.constants import activity_label

# Activities that describe the security to the public (issue 12 point 1): each should carry a 17(b) disclosure.
PROMOTIONAL_TYPES: tuple[str, ...] = ("press_release", "fax_mail_blast", "broker_dealer_mailing",
                                      "investor_outreach", "conference", "ir_package", "ir_website")
# Corporate events that count as material announcements for the black-out calendar.
MATERIAL_EVENT_KINDS: tuple[str, ...] = ("earnings", "news")

# The sale rules of an engagement when none are recorded (the defaults of the v4 ``sale_rules`` table).
SALE_RULE_DEFAULTS: dict[str, Any] = {
    "reporting_issuer": True, "registered_shares": False, "holding_months": None, "affiliate": False,
    "otc": True, "promotion_tail_days": 15, "sale_flag_days": 5, "blackout_before_days": 5,
    "blackout_after_days": 2,
}
HOLDING_MONTHS_REPORTING = 6       # 17 CFR 230.144(d)(1)(i)
HOLDING_MONTHS_NON_REPORTING = 12  # 17 CFR 230.144(d)(1)(ii)
VOLUME_LIMIT_SHARE = 0.01          # 17 CFR 230.144(e)(1)(i): 1% of the shares outstanding
VOLUME_LIMIT_WEEKS = 4             # 17 CFR 230.144(e)(1)(ii): four calendar weeks
VOLUME_LIMIT_MONTHS = 3            # 17 CFR 230.144(e)(1): "within any three-month period"

REGISTER_COLUMNS: tuple[str, ...] = ("date", "payer", "recipient", "kind", "amount", "shares", "strike",
                                     "expiry_date", "description", "source")
NOT_LEGAL_ADVICE = ("This is a record of what the data show, not legal advice; whether anything is lawful "
                    "is for counsel.")


def sale_rules(row: Mapping[str, Any] | pd.Series | None) -> dict[str, Any]:
    """An engagement's sale rules with the table's defaults for anything not recorded."""
    out = dict(SALE_RULE_DEFAULTS)
    for k, v in dict(row or {}).items():
        if k in out and v is not None and not (not isinstance(v, str) and pd.isna(v)):
            out[k] = v.item() if isinstance(v, np.generic) else v
    return out


def _empty(cols, dates=(), numbers=()) -> pd.DataFrame:
    """An empty frame with ``cols``, its date columns datetime64 and number columns float (so .dt works)."""
    out = pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    for c in dates:
        out[c] = pd.to_datetime(out[c])
    for c in numbers:
        out[c] = out[c].astype(float)
    return out


def _empty_register() -> pd.DataFrame:
    out = pd.DataFrame({c: pd.Series(dtype=object) for c in REGISTER_COLUMNS})
    out["date"] = pd.to_datetime(out["date"])
    out["expiry_date"] = pd.to_datetime(out["expiry_date"])
    for c in ("amount", "shares", "strike"):
        out[c] = out[c].astype(float)
    return out


def _rows(frame) -> list[dict]:
    if frame is None or len(frame) == 0:
        return []
    return frame.to_dict("records")


def compensation_register(engagement: Mapping[str, Any] | pd.Series | None, *, payer: str,
                          retainer: pd.DataFrame | None = None, grants: pd.DataFrame | None = None,
                          financings: pd.DataFrame | None = None, manual: pd.DataFrame | None = None
                          ) -> pd.DataFrame:
    """Every payment to the consultant: derived from the terms and the retainer schedule, plus manual rows.

    Parameters
    ----------
    engagement : mapping or None
        The engagement (``consultant`` is the recipient of the derived rows).
    payer : str
        Who pays the derived rows (the client company's name).
    retainer : pandas.DataFrame, optional
        :func:`analytics.retainer.retainer_schedule`; each ``issued`` payment is a row dated on its
        ``payment_date`` with ``shares = shares_issued`` and ``amount = value_at_issue`` (shares x
        close on the payment date: what the shares were worth when handed over).
    grants : pandas.DataFrame, optional
        ``option_grants`` rows: one row each on ``grant_date`` with ``shares``, ``strike`` and
        ``expiry_date`` (no dollar amount: an option is not a payment of a sum).
    financings : pandas.DataFrame, optional
        ``financings`` rows: a finder's fee ``amount = amount x fee_rate``
        (:func:`analytics.costs.finders_fees`).
    manual : pandas.DataFrame, optional
        ``compensation`` rows (``date, payer, recipient, kind, amount, shares, notes``) as recorded.

    Returns
    -------
    pandas.DataFrame
        ``REGISTER_COLUMNS`` by date; ``source`` is ``"retainer schedule"``, ``"terms"`` or ``"manual"``.
    """
    from analytics.costs import finders_fees

    e = dict(engagement or {})
    consultant = str(e.get("consultant") or "the consultant")
    rows = []
    if retainer is not None and len(retainer):
        for r in _rows(retainer[retainer["status"] == "issued"]):
            rows.append({"date": r["payment_date"], "payer": payer, "recipient": consultant,
                         "kind": "retainer shares", "amount": r["value_at_issue"], "shares": r["shares_issued"],
                         "strike": np.nan, "expiry_date": pd.NaT,
                         "description": f"retainer payment {int(r['payment_no'])}: {money(r['amount'], exact=True)} "
                                        f"paid in {r['shares_issued']:,.0f} shares at {price(r['price'])}",
                         "source": "retainer schedule"})
    for g in _rows(grants):
        rows.append({"date": g["grant_date"], "payer": payer, "recipient": str(g.get("holder") or consultant),
                     "kind": "option", "amount": np.nan, "shares": g["shares"], "strike": g["strike"],
                     "expiry_date": g["expiry_date"],
                     "description": f"option on {g['shares']:,.0f} shares at {price(g['strike'])} a share, "
                                    f"expiring {pd.Timestamp(g['expiry_date']):%Y-%m-%d}",
                     "source": "terms"})
    for f in _rows(finders_fees(financings) if financings is not None and len(financings) else None):
        rows.append({"date": f["date"], "payer": payer, "recipient": consultant, "kind": "finder's fee",
                     "amount": f["fee"], "shares": np.nan, "strike": np.nan, "expiry_date": pd.NaT,
                     "description": f"finder's fee of {percent(f['fee_rate'], 1)} on the "
                                    f"{money(f['amount'], exact=True)} financing of {pd.Timestamp(f['date']):%Y-%m-%d}",
                     "source": "terms"})
    for m in _rows(manual):
        rows.append({"date": m["date"], "payer": m["payer"], "recipient": m["recipient"], "kind": m["kind"],
                     "amount": m.get("amount"), "shares": m.get("shares"), "strike": np.nan, "expiry_date": pd.NaT,
                     "description": m.get("notes") or "", "source": "manual"})
    if not rows:
        return _empty_register()
    out = pd.DataFrame(rows, columns=list(REGISTER_COLUMNS))
    out["date"] = pd.to_datetime(out["date"]).astype("datetime64[ns]")
    out["expiry_date"] = pd.to_datetime(out["expiry_date"]).astype("datetime64[ns]")
    for c in ("amount", "shares", "strike"):
        out[c] = pd.to_numeric(out[c], errors="coerce").astype(float)
    return out.sort_values("date", kind="stable").reset_index(drop=True)


def register_as_of(register: pd.DataFrame, day) -> pd.DataFrame:
    """The register's rows dated on or before ``day`` (what had been paid or granted by then)."""
    return register[register["date"] <= pd.Timestamp(day).normalize()].reset_index(drop=True)


def disclosure_text(register: pd.DataFrame, day, *, security: str, consultant: str,
                    engagement: Mapping[str, Any] | pd.Series | None = None) -> str:
    """The compensation disclosure of a communication dated ``day``, from the register as of that day.

    Section 17(b) of the Securities Act (15 U.S.C. 77q(b)): whoever publishes a communication that
    describes a security for consideration received from the issuer must fully disclose the receipt,
    past or prospective, of the consideration and its amount. The text names who paid, how much, in
    what form (cash, shares with their value when issued, the option with its strike, shares and
    expiry, fees) and the contract's prospective payments; it is generated, so a person should read it.

    Parameters
    ----------
    register : pandas.DataFrame
        :func:`compensation_register`.
    day : date-like
        The communication's date; rows after it are left out.
    security, consultant : str
        ``"Auxer Group, Inc. (AXGI)"`` and the consultant's name.
    engagement : mapping, optional
        Adds the prospective part: the retainer per month and how it is paid.
    """
    d = pd.Timestamp(day).normalize()
    rows = register_as_of(register, d)
    parts = []
    for payer, paid in rows.groupby("payer", sort=False):
        items = []
        stock = paid[paid["kind"] == "retainer shares"]
        if len(stock):
            items.append(f"{stock['shares'].sum():,.0f} shares of {security} as its retainer "
                         f"({len(stock)} payment{'s' if len(stock) != 1 else ''}, worth "
                         f"{money(stock['amount'].sum(), exact=True)} when issued)")
        for g in _rows(paid[paid["kind"] == "option"]):
            ends = "expired" if pd.Timestamp(g["expiry_date"]) < d else "expiring"
            items.append(f"an option to buy {g['shares']:,.0f} shares at {price(g['strike'])} a share, "
                         f"granted {g['date']:%Y-%m-%d} and {ends} {pd.Timestamp(g['expiry_date']):%Y-%m-%d}")
        for f in _rows(paid[paid["kind"] == "finder's fee"]):
            items.append(f"a {money(f['amount'], exact=True)} {f['description']}")
        for m in _rows(paid[~paid["kind"].isin(["retainer shares", "option", "finder's fee"])]):
            what = (f"{money(m['amount'], exact=True)}" if pd.notna(m["amount"]) else "") + \
                   (f" {'and ' if pd.notna(m['amount']) else ''}{m['shares']:,.0f} shares" if pd.notna(m["shares"]) else "")
            items.append(f"{what.strip() or 'a payment of unrecorded amount'} ({m['kind']}, {m['date']:%Y-%m-%d})")
        parts.append(f"{payer} has paid {consultant}: " + "; ".join(items) + ".")
    text = (f"Disclosure as of {d:%Y-%m-%d}: {consultant} is paid by the issuer for investor-relations "
            f"services concerning {security}. ")
    text += " ".join(parts) if parts else f"No compensation to {consultant} had been recorded by this date."
    e = dict(engagement or {})
    if e.get("retainer_amount") is not None and not pd.isna(e.get("retainer_amount")):
        end = e.get("end_date")
        until = f" until {pd.Timestamp(end):%Y-%m-%d}" if end is not None and not pd.isna(end) else ""
        signed = next((pd.Timestamp(v) for v in (e.get("signed_date"), e.get("start_date"))
                       if v is not None and not pd.isna(v)), None)  # a contract without dates names none
        agreement = f"Under the agreement of {signed:%Y-%m-%d}" if signed is not None else "Under the agreement"
        text += (f" {agreement}, {consultant} receives {money(e['retainer_amount'], exact=True)} a month in "
                 f"shares{until}.")
    text += f" {consultant} may sell shares it holds at any time, including soon after this communication."
    return text


def disclosure_status(activities: pd.DataFrame) -> pd.DataFrame:
    """The activities that describe the security, each with whether it carried its disclosure.

    ``status`` is ``"disclosed"`` (``disclosed`` true), ``"not disclosed"`` (false) or ``"not
    recorded"`` (null); ``flagged`` is true for the last two. Other activity types are left out.
    """
    cols = ["activity_id", "date", "type", "title", "disclosed"]
    acts = activities[activities["type"].isin(PROMOTIONAL_TYPES)] if len(activities) else activities
    out = acts[[c for c in cols if c in acts.columns]].copy() if len(acts) else pd.DataFrame(columns=cols)
    disclosed = out["disclosed"].astype("boolean") if "disclosed" in out else pd.Series(pd.NA, index=out.index,
                                                                                         dtype="boolean")
    out["disclosed"] = disclosed
    out["type_label"] = [activity_label(t) for t in out["type"]] if len(out) else []
    out["status"] = np.where(disclosed.isna(), "not recorded", np.where(disclosed.fillna(False), "disclosed",
                                                                        "not disclosed"))
    out["flagged"] = out["status"] != "disclosed"
    return out.reset_index(drop=True)


# --- trades -----------------------------------------------------------------------------------------

def holdings(trades: pd.DataFrame, receipts: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each holder's shares over time: receipts (retainer shares, exercises) plus bought minus sold.

    ``holding_t = sum of changes dated on or before t`` per holder, starting from zero (shares held
    before the first record are unknown and not assumed).

    Parameters
    ----------
    trades : pandas.DataFrame
        ``holder, date, shares`` (signed: + bought, - sold).
    receipts : pandas.DataFrame, optional
        ``holder, date, shares`` received outside the market (the retainer tranches).

    Returns
    -------
    pandas.DataFrame
        ``holder, date, change, source, holding`` by holder and date.
    """
    parts = []
    if trades is not None and len(trades):
        parts.append(trades[["holder", "date", "shares"]].assign(source="trade"))
    if receipts is not None and len(receipts):
        parts.append(receipts[["holder", "date", "shares"]].assign(source="received"))
    if not parts:
        return pd.DataFrame({"holder": pd.Series(dtype=object), "date": pd.to_datetime([]),
                             "change": pd.Series(dtype=float), "source": pd.Series(dtype=object),
                             "holding": pd.Series(dtype=float)})
    df = pd.concat(parts, ignore_index=True).rename(columns={"shares": "change"})
    df["date"] = pd.to_datetime(df["date"]).astype("datetime64[ns]")
    df["change"] = df["change"].astype(float)
    # receipts before trades of the same day: shares received in the morning can be sold that day
    df["_order"] = (df["source"] == "trade").astype(int)
    df = df.sort_values(["holder", "date", "_order"], kind="stable").drop(columns="_order")
    df["holding"] = df.groupby("holder")["change"].cumsum()
    return df.reset_index(drop=True)


def _day0(dates: pd.Series, after_close: pd.Series | None, calendar: np.ndarray) -> np.ndarray:
    """Index in ``calendar`` of each activity's day 0: the first trading day on or after its date (after it
    when it was announced after the close); ``len(calendar)`` when past the last day."""
    d = pd.to_datetime(dates).to_numpy(dtype="datetime64[ns]")
    side = np.where(np.asarray(after_close.fillna(False), dtype=bool) if after_close is not None
                    else np.zeros(len(d), dtype=bool), "right", "left")
    return np.array([np.searchsorted(calendar, x, side=s) for x, s in zip(d, side)], dtype=int)


def _bars(bars: pd.DataFrame) -> pd.DataFrame:
    b = bars[["date", "close", "volume"]].copy()
    b["date"] = pd.to_datetime(b["date"]).astype("datetime64[ns]")
    return b.sort_values("date").drop_duplicates("date").reset_index(drop=True)


def sales_after_activities(trades: pd.DataFrame, activities: pd.DataFrame, bars: pd.DataFrame,
                           days: int = SALE_RULE_DEFAULTS["sale_flag_days"]) -> pd.DataFrame:
    """Sales inside the N trading days after each promotional activity, with their share of the volume.

    The window of an activity is its day 0 (the first trading day on or after its date, the next
    one when announced after the close) through day ``days`` (trading days of ``bars``, zero-volume
    days included), ``[t0, t0 + N]``. Per activity and holder who sold in it::

        share_of_volume = (shares the holder sold in the window) / (volume traded in the window)

    a share of 1 means every share traded in the window was the holder's sale (it can exceed 1 when
    the trades log and the bars disagree: the record says so rather than capping it).

    Returns
    -------
    pandas.DataFrame
        ``activity_id, activity_date, type, title, window_start, window_end, holder, shares_sold,
        sale_value`` (shares x the trade's price, the close when the price is missing), ``window_volume,
        share_of_volume, trade_ids`` (comma-separated).
    """
    cols = ["activity_id", "activity_date", "type", "title", "window_start", "window_end", "holder",
            "shares_sold", "sale_value", "window_volume", "share_of_volume", "trade_ids"]
    empty = _empty(cols, ("activity_date", "window_start", "window_end"),
                   ("shares_sold", "sale_value", "window_volume", "share_of_volume"))
    if trades is None or not len(trades) or activities is None or not len(activities) or bars is None or not len(bars):
        return empty
    b = _bars(bars)
    cal = b["date"].to_numpy()
    vol = b["volume"].to_numpy(float)
    acts = activities[activities["type"].isin(PROMOTIONAL_TYPES)].reset_index(drop=True)
    sales = trades[trades["shares"] < 0].copy()
    sales["date"] = pd.to_datetime(sales["date"]).astype("datetime64[ns]")
    close = b.set_index("date")["close"]
    px = sales["price"] if "price" in sales else pd.Series(np.nan, index=sales.index)
    sales["_value"] = -sales["shares"].astype(float) * px.astype(float).fillna(
        sales["date"].map(close).astype(float))
    i0 = _day0(acts["date"], acts.get("after_close"), cal)
    # plain arrays: a loop over activities with a frame filter each costs ~10 ms a pass on a busy machine
    sd = sales["date"].to_numpy(dtype="datetime64[ns]")
    sn = -sales["shares"].to_numpy(dtype=float)
    sv = sales["_value"].to_numpy(dtype=float)
    sh = sales["holder"].astype(str).to_numpy()
    st = sales["trade_id"].to_numpy() if "trade_id" in sales else np.full(len(sales), None)
    cum = np.r_[0.0, np.cumsum(vol)]
    records = acts.to_dict("records")
    out = []
    for k, a in enumerate(records):
        lo = int(i0[k])
        if lo >= len(cal):
            continue
        hi = min(lo + int(days), len(cal) - 1)
        inside = np.flatnonzero((sd >= cal[lo]) & (sd <= cal[hi]))
        if not len(inside):
            continue
        wvol = float(cum[hi + 1] - cum[lo])
        for holder in sorted(set(sh[inside])):
            j = inside[sh[inside] == holder]
            sold = float(sn[j].sum())
            out.append({"activity_id": a.get("activity_id"), "activity_date": a["date"], "type": a["type"],
                        "title": a.get("title"), "window_start": cal[lo], "window_end": cal[hi], "holder": holder,
                        "shares_sold": sold, "sale_value": float(sv[j].sum()), "window_volume": wvol,
                        "share_of_volume": sold / wvol if wvol > 0 else np.nan,
                        "trade_ids": ",".join(str(int(t)) for t in st[j] if t is not None and not pd.isna(t))})
    if not out:
        return empty
    res = pd.DataFrame(out, columns=cols)
    for c in ("activity_date", "window_start", "window_end"):
        res[c] = pd.to_datetime(res[c])
    return res


def runup_public_purchases(persistence: pd.DataFrame | None, abnormal: pd.DataFrame | None, bars: pd.DataFrame,
                           trades: pd.DataFrame | None, horizon: int) -> pd.DataFrame:
    """Where a run-up reversed, the dollars the public paid during it: an estimate of who paid for it.

    Uses the persistence test as :func:`analytics.roi.persistence` decided it (``status_<horizon>``
    is ``"reversed"`` and the event-window CAR is positive); nothing is re-tested here. For the event
    window's trading days ``t`` (the engine's ``abnormal`` rows with ``window_start <= rel_day <=
    window_end``)::

        public_bought = sum_t volume_t x close_t  -  sum of the recorded sales' value in those days

    i.e. the window's dollar volume minus what the trades log says the consultant and insiders sold
    (each sale at its price, the close when none is recorded): the buyers' side of the run-up that
    was not the recorded sellers' own. An upper bound on the public's purchases when other insiders
    sold without a record.

    Returns
    -------
    pandas.DataFrame
        ``event_id, window_start_date, window_end_date, car, dollar_volume, recorded_sales_value,
        public_bought``.
    """
    cols = ["event_id", "window_start_date", "window_end_date", "car", "dollar_volume", "recorded_sales_value",
            "public_bought"]
    status = f"status_{int(horizon)}"
    empty = _empty(cols, ("window_start_date", "window_end_date"),
                   ("car", "dollar_volume", "recorded_sales_value", "public_bought"))
    if persistence is None or not len(persistence) or status not in persistence or abnormal is None \
            or not len(abnormal):
        return empty
    rev = persistence[(persistence[status] == "reversed") & (persistence["car"] > 0)]
    b = _bars(bars).set_index("date")
    sales = pd.DataFrame(columns=["date", "value"])
    if trades is not None and len(trades):
        s = trades[trades["shares"] < 0].copy()
        s["date"] = pd.to_datetime(s["date"]).astype("datetime64[ns]")
        px = s["price"].astype(float) if "price" in s else pd.Series(np.nan, index=s.index)
        s["value"] = -s["shares"].astype(float) * px.fillna(s["date"].map(b["close"]).astype(float))
        sales = s[["date", "value"]]
    out = []
    for r in rev.itertuples(index=False):
        ab = abnormal[(abnormal["event_id"] == r.event_id) & (abnormal["rel_day"] >= r.window_start)
                      & (abnormal["rel_day"] <= r.window_end)]
        days = pd.DatetimeIndex(pd.to_datetime(ab["date"])).normalize()
        if not len(days):
            continue
        inb = b.reindex(days)
        dv = float((inb["volume"].astype(float) * inb["close"].astype(float)).sum())
        sold = float(sales.loc[sales["date"].isin(days), "value"].sum())
        out.append({"event_id": r.event_id, "window_start_date": days.min(), "window_end_date": days.max(),
                    "car": float(r.car), "dollar_volume": dv, "recorded_sales_value": sold,
                    "public_bought": dv - sold})
    return pd.DataFrame(out, columns=cols) if out else empty


# --- Rule 144 -------------------------------------------------------------------------------------

def holding_period_months(rules: Mapping[str, Any]) -> tuple[int, str]:
    """Months a retainer tranche is held before it may be sold under Rule 144, and why.

    17 CFR 230.144(d)(1): restricted securities of an issuer that has been subject to the reporting
    requirements of the Exchange Act for at least 90 days are held six months (d)(1)(i); of a
    non-reporting issuer, one year (d)(1)(ii). ``holding_months`` overrides both (the engagement's
    own reading); ``registered_shares`` (the contract delivers registered, free-trading shares)
    means no holding period: 0.
    """
    r = sale_rules(rules)
    if r["registered_shares"]:
        return 0, "registered free-trading shares: no Rule 144 holding period"
    if r["holding_months"] is not None:
        return int(r["holding_months"]), f"{int(r['holding_months'])} months (set for this engagement)"
    if r["reporting_issuer"]:
        return HOLDING_MONTHS_REPORTING, "6 months, reporting issuer (17 CFR 230.144(d)(1)(i))"
    return HOLDING_MONTHS_NON_REPORTING, "12 months, non-reporting issuer (17 CFR 230.144(d)(1)(ii))"


def rule144_schedule(retainer: pd.DataFrame, rules: Mapping[str, Any], as_of=None) -> pd.DataFrame:
    """Per retainer tranche: its holding period and the date it becomes sellable (17 CFR 230.144(d)).

    ``sellable_date = payment_date + holding months`` (calendar months; the holding period runs from
    the date the securities were acquired and fully paid, 230.144(d)(1)). ``sellable`` says whether
    that date is on or before ``as_of`` (default: today's data end, the last payment date).

    Returns
    -------
    pandas.DataFrame
        ``payment_no, payment_date, shares, holding_months, basis, sellable_date, sellable``.
    """
    cols = ["payment_no", "payment_date", "shares", "holding_months", "basis", "sellable_date", "sellable"]
    if retainer is None or not len(retainer) or not (retainer["status"] == "issued").any():
        return _empty(cols, ("payment_date", "sellable_date"), ("shares",))
    issued = retainer[retainer["status"] == "issued"]
    months, basis = holding_period_months(rules)
    out = pd.DataFrame({"payment_no": issued["payment_no"].astype(int).to_numpy(),
                        "payment_date": pd.to_datetime(issued["payment_date"]).to_numpy(),
                        "shares": issued["shares_issued"].astype(float).to_numpy()})
    out["holding_months"] = months
    out["basis"] = basis
    out["sellable_date"] = [pd.Timestamp(d) + pd.DateOffset(months=months) for d in out["payment_date"]]
    out["sellable_date"] = pd.to_datetime(out["sellable_date"])
    ref = pd.Timestamp(as_of).normalize() if as_of is not None else out["payment_date"].max()
    out["sellable"] = out["sellable_date"] <= ref
    return out[cols]


def average_weekly_volume(bars: pd.DataFrame, day) -> tuple[float, pd.Timestamp, pd.Timestamp]:
    """The average weekly volume of the four calendar weeks before the week of ``day`` (230.144(e)(1)(ii)).

    Calendar weeks run Monday to Sunday; the four before the week holding ``day`` are summed and
    divided by 4. Returns (average, first Monday, last Sunday).
    """
    d = pd.Timestamp(day).normalize()
    week_start = d - pd.Timedelta(days=d.weekday())
    lo, hi = week_start - pd.Timedelta(weeks=VOLUME_LIMIT_WEEKS), week_start - pd.Timedelta(days=1)
    b = _bars(bars)
    total = float(b.loc[(b["date"] >= lo) & (b["date"] <= hi), "volume"].sum())
    return total / VOLUME_LIMIT_WEEKS, lo, hi


@dataclass(frozen=True)
class VolumeLimit:
    """An affiliate's Rule 144(e) volume limit on one day, and the headroom left (shares)."""

    day: pd.Timestamp
    applies: bool
    one_percent: float
    average_weekly_volume: float
    limit: float
    sold_in_three_months: float
    headroom: float
    basis: str


def affiliate_volume_limit(bars: pd.DataFrame, shares_outstanding: float, sales: pd.DataFrame | None,
                           rules: Mapping[str, Any], day) -> VolumeLimit:
    """How many shares an affiliate may still sell in the three months ending ``day`` (17 CFR 230.144(e)).

    230.144(e)(1): the shares sold in any three-month period may not exceed the greater of (i) 1% of
    the shares outstanding as shown by the most recent report and (ii) the average weekly reported
    trading volume of the four calendar weeks before the notice (:func:`average_weekly_volume`).
    The average-weekly-volume test counts reported exchange volume only, so for a stock quoted
    over the counter (``otc``) the limit is the 1% alone::

        limit = max(0.01 x shares_outstanding, avg weekly volume)   (0.01 x shares_outstanding if otc)
        headroom = limit - shares the holder sold in (day - 3 months, day]

    A holder who is not an affiliate (``affiliate`` false) has no volume limit: ``applies`` is false.
    """
    r = sale_rules(rules)
    d = pd.Timestamp(day).normalize()
    one = VOLUME_LIMIT_SHARE * float(shares_outstanding)
    avg, lo, hi = average_weekly_volume(bars, d)
    limit = one if r["otc"] else max(one, avg)
    sold = 0.0
    if sales is not None and len(sales):
        s = sales.copy()
        s["date"] = pd.to_datetime(s["date"])
        since = d - pd.DateOffset(months=VOLUME_LIMIT_MONTHS)
        sold = max(0.0, float(-s.loc[(s["shares"] < 0) & (s["date"] > since) & (s["date"] <= d), "shares"].sum()))
    if not r["affiliate"]:
        basis = "not an affiliate: no Rule 144(e) volume limit"
    elif r["otc"]:
        basis = (f"1% of {shares_outstanding:,.0f} shares outstanding (OTC: the weekly-volume test of "
                 "17 CFR 230.144(e)(1)(ii) counts exchange volume only)")
    else:
        basis = (f"the greater of 1% of {shares_outstanding:,.0f} shares outstanding ({one:,.0f}) and the "
                 f"average weekly volume {lo:%Y-%m-%d} to {hi:%Y-%m-%d} ({avg:,.0f}), 17 CFR 230.144(e)(1)")
    return VolumeLimit(d, bool(r["affiliate"]), one, avg, limit, sold, limit - sold, basis)


def option_exercises(grants: pd.DataFrame | None, trades: pd.DataFrame | None,
                     compensation: pd.DataFrame | None, as_of) -> pd.DataFrame:
    """Each option grant's exercise (as recorded) and expiry.

    An exercise is a trade whose notes mention "exercise" or a compensation row of kind "option
    exercise"; nothing else is assumed. ``status``: ``exercised`` (a record on or before expiry),
    ``expired, no exercise recorded``, or ``live, no exercise recorded`` (``as_of`` before expiry).
    """
    cols = ["holder", "shares", "strike", "grant_date", "expiry_date", "exercised_shares", "exercise_dates",
            "status"]
    if grants is None or not len(grants):
        return _empty(cols, ("grant_date", "expiry_date"), ("shares", "strike", "exercised_shares"))
    marks = []
    if trades is not None and len(trades) and "notes" in trades:
        t = trades[trades["notes"].astype(str).str.contains("exercis", case=False, na=False)]
        marks += [(pd.Timestamp(r["date"]), abs(float(r["shares"]))) for r in _rows(t)]
    if compensation is not None and len(compensation):
        c = compensation[compensation["kind"].astype(str).str.lower() == "option exercise"]
        marks += [(pd.Timestamp(r["date"]), abs(float(r["shares"] or 0))) for r in _rows(c)]
    ref = pd.Timestamp(as_of).normalize()
    out = []
    for g in _rows(grants):
        g0, g1 = pd.Timestamp(g["grant_date"]), pd.Timestamp(g["expiry_date"])
        hits = [(d, n) for d, n in marks if g0 <= d <= g1]
        status = ("exercised" if hits else "expired, no exercise recorded" if ref > g1
                  else "live, no exercise recorded")
        out.append({"holder": g.get("holder"), "shares": g["shares"], "strike": g["strike"], "grant_date": g0,
                    "expiry_date": g1, "exercised_shares": float(sum(n for _, n in hits)),
                    "exercise_dates": ", ".join(f"{d:%Y-%m-%d}" for d, _ in hits), "status": status})
    return pd.DataFrame(out, columns=cols)


# --- promotion and black-out calendar -------------------------------------------------------------

def promotion_windows(activities: pd.DataFrame, tail_days: int = SALE_RULE_DEFAULTS["promotion_tail_days"]
                      ) -> pd.DataFrame:
    """The periods a stock would carry a promotion flag: from a promotional piece to ``tail_days`` after the last.

    OTC Markets flags a security under promotion until 15 calendar days after the last promotional
    piece. Each promotional activity covers ``[date, (end_date or date) + tail_days]`` (calendar
    days); overlapping or touching periods merge into one window.

    Returns
    -------
    pandas.DataFrame
        ``window_no, start, last_piece, end, pieces``.
    """
    cols = ["window_no", "start", "last_piece", "end", "pieces"]
    if activities is None or not len(activities) or not activities["type"].isin(PROMOTIONAL_TYPES).any():
        return _empty(cols, ("start", "last_piece", "end"))
    acts = activities[activities["type"].isin(PROMOTIONAL_TYPES)]
    start = pd.to_datetime(acts["date"])
    last = pd.to_datetime(acts["end_date"]).fillna(start) if "end_date" in acts else start
    order = np.argsort(start.to_numpy(), kind="stable")
    spans = [(start.iloc[i], last.iloc[i]) for i in order]
    out, tail = [], pd.Timedelta(days=int(tail_days))
    for s, e in spans:
        if out and s <= out[-1]["end"] + pd.Timedelta(days=1):
            out[-1]["last_piece"] = max(out[-1]["last_piece"], e)
            out[-1]["end"] = out[-1]["last_piece"] + tail
            out[-1]["pieces"] += 1
        else:
            out.append({"start": s, "last_piece": e, "end": e + tail, "pieces": 1})
    res = pd.DataFrame(out)
    res.insert(0, "window_no", np.arange(1, len(res) + 1))
    return res[cols]


def blackout_windows(activities: pd.DataFrame | None, events: pd.DataFrame | None,
                     before_days: int = SALE_RULE_DEFAULTS["blackout_before_days"],
                     after_days: int = SALE_RULE_DEFAULTS["blackout_after_days"]) -> pd.DataFrame:
    """Black-out windows around material announcements: ``[date - before_days, date + after_days]`` (calendar).

    Material announcements are the corporate events of kind earnings or news and the press releases
    of the activity log; an announcement recorded in both (same day) is one window.

    Returns
    -------
    pandas.DataFrame
        ``date, announcement, source, start, end`` by date.
    """
    rows = []
    if events is not None and len(events):
        ev = events[events["kind"].isin(MATERIAL_EVENT_KINDS)]
        rows += [{"date": pd.Timestamp(r["date"]), "announcement": r.get("title") or r["kind"],
                  "source": f"corporate event ({r['kind']})"} for r in _rows(ev)]
    if activities is not None and len(activities):
        pr = activities[activities["type"] == "press_release"]
        rows += [{"date": pd.Timestamp(r["date"]), "announcement": r.get("title") or "press release",
                  "source": "press release (activity log)"} for r in _rows(pr)]
    cols = ["date", "announcement", "source", "start", "end"]
    if not rows:
        return _empty(cols, ("date", "start", "end"))
    merged: dict = {}
    for r in rows:  # one window per day: an earnings release and its press release are one announcement
        m = merged.setdefault(r["date"].normalize(), {"announcement": {}, "source": {}})
        m["announcement"][str(r["announcement"])] = None
        m["source"][r["source"]] = None
    df = pd.DataFrame({"date": pd.to_datetime(sorted(merged)),
                       "announcement": ["; ".join(merged[k]["announcement"]) for k in sorted(merged)],
                       "source": ["; ".join(merged[k]["source"]) for k in sorted(merged)]})
    df["start"] = df["date"] - pd.Timedelta(days=int(before_days))
    df["end"] = df["date"] + pd.Timedelta(days=int(after_days))
    return df[cols]


def trades_in_windows(trades: pd.DataFrame, promotion: pd.DataFrame, blackout: pd.DataFrame) -> pd.DataFrame:
    """Each trade with the promotion window and the black-out windows it falls in (both ends inclusive).

    Adds ``in_promotion`` (bool), ``promotion_window`` (its number), ``in_blackout`` (bool) and
    ``blackout_of`` (the announcements whose window holds the trade's date).
    """
    out = trades.copy()
    d = pd.to_datetime(out["date"]).to_numpy(dtype="datetime64[ns]") if len(out) else np.array([], "datetime64[ns]")
    p0 = pd.to_datetime(promotion["start"]).to_numpy(dtype="datetime64[ns]") if len(promotion) else d[:0]
    p1 = pd.to_datetime(promotion["end"]).to_numpy(dtype="datetime64[ns]") if len(promotion) else d[:0]
    pn = promotion["window_no"].to_numpy() if len(promotion) else np.array([])
    b0 = pd.to_datetime(blackout["start"]).to_numpy(dtype="datetime64[ns]") if len(blackout) else d[:0]
    b1 = pd.to_datetime(blackout["end"]).to_numpy(dtype="datetime64[ns]") if len(blackout) else d[:0]
    names = ([f"{pd.Timestamp(x):%Y-%m-%d} {t}" for x, t in zip(blackout["date"], blackout["announcement"])]
             if len(blackout) else [])
    pw, bo = [], []
    for day in d:
        hit = np.flatnonzero((p0 <= day) & (p1 >= day))
        pw.append(int(pn[hit[0]]) if len(hit) else None)
        bo.append("; ".join(names[i] for i in np.flatnonzero((b0 <= day) & (b1 >= day))))
    out["promotion_window"] = pd.array(pw, dtype="Int64")
    out["in_promotion"] = out["promotion_window"].notna().to_numpy(dtype=bool)
    out["blackout_of"] = bo
    out["in_blackout"] = out["blackout_of"] != ""
    return out


@dataclass(frozen=True)
class IntegrityAccount:
    """The promotion-integrity record of one client and period, composed once for the page and the report."""

    client_name: str
    security: str
    consultant: str
    simulated: bool
    rules: dict
    register: pd.DataFrame
    disclosures: pd.DataFrame
    trades: pd.DataFrame
    holdings: pd.DataFrame
    sales_windows: pd.DataFrame
    runups: pd.DataFrame
    rule144: pd.DataFrame
    volume_limit: VolumeLimit | None
    options: pd.DataFrame
    promotion: pd.DataFrame
    blackout: pd.DataFrame
    amec_rows: tuple = ()
    findings: tuple = ()
    notes: tuple = field(default=(NOT_LEGAL_ADVICE,))


def integrity_findings(acc_parts: Mapping[str, Any]) -> list[str]:
    """The record's findings in words (what the data show; never whether it is lawful)."""
    d, t, s, r = (acc_parts["disclosures"], acc_parts["trades"], acc_parts["sales_windows"], acc_parts["runups"])
    out = []
    if len(d):
        n_not, n_unrec = int((d["status"] == "not disclosed").sum()), int((d["status"] == "not recorded").sum())
        out.append(f"{len(d)} activities described the security: {len(d) - n_not - n_unrec} recorded with their "
                   f"compensation disclosure, {n_not} recorded without it, {n_unrec} with no record either way.")
    if len(t):
        sold = t[t["shares"] < 0]
        out.append(f"The trades log holds {len(t)} trades ({len(sold)} sales); {int(t['in_promotion'].sum())} "
                   f"fall inside a promotion window and {int(t['in_blackout'].sum())} inside a black-out window.")
    else:
        out.append("No trades are recorded for this client: the sales tests have nothing to check.")
    if len(s):
        top = s.sort_values("share_of_volume", ascending=False).iloc[0]
        out.append(f"{len(s)} activity windows hold sales by a recorded holder; the largest: {top['holder']} sold "
                   f"{top['shares_sold']:,.0f} shares, {percent(top['share_of_volume'], 1)} of the "
                   f"{top['window_volume']:,.0f} shares traded {top['window_start']:%Y-%m-%d} to "
                   f"{top['window_end']:%Y-%m-%d} after the activity of {top['activity_date']:%Y-%m-%d}.")
    o = acc_parts.get("objectives")
    if o is not None and len(o):
        counts = o["verdict"].value_counts()
        before = int((o["set_before_first_activity"] == True).sum())  # noqa: E712 (None: no activity recorded)
        out.append(f"{len(o)} objectives: {int(counts.get('met', 0))} met, {int(counts.get('not met', 0))} not met, "
                   f"{int(counts.get('cannot tell', 0))} cannot tell; {before} set before the first activity.")
    if len(r):
        out.append(f"{len(r)} run-ups reversed (persistence test); during them the public bought an estimated "
                   f"{money(r['public_bought'].sum())} of stock beyond the recorded sales.")
    return out


def _latest_shares(shares_outstanding, day) -> float:
    """The last reported shares outstanding on or before ``day`` (the first report before any)."""
    if shares_outstanding is None:
        return float("nan")
    if not isinstance(shares_outstanding, pd.DataFrame):
        return float(shares_outstanding)
    if not len(shares_outstanding):
        return float("nan")
    so = shares_outstanding.sort_values("date")
    before = so[pd.to_datetime(so["date"]) <= pd.Timestamp(day)]
    return float((before if len(before) else so)["shares"].iloc[-1])


def integrity_account(*, client_name: str, ticker: str, engagement: Mapping[str, Any] | None,
                      bars: pd.DataFrame, activities: pd.DataFrame, grants: pd.DataFrame | None = None,
                      financings: pd.DataFrame | None = None, compensation: pd.DataFrame | None = None,
                      trades: pd.DataFrame | None = None, rules: Mapping[str, Any] | None = None,
                      events: pd.DataFrame | None = None, shares_outstanding=None, splits=None,
                      persistence: pd.DataFrame | None = None, abnormal: pd.DataFrame | None = None,
                      horizon: int | None = None, objective_rows: tuple = (),
                      objectives_scored: pd.DataFrame | None = None, simulated: bool = False,
                      as_of=None) -> IntegrityAccount:
    """The whole promotion-integrity record of one client, from the stored data, for the page and the report.

    Composes :func:`compensation_register` (with :func:`analytics.retainer.retainer_schedule` of the
    engagement), :func:`disclosure_status`, :func:`holdings` (the retainer tranches as receipts of the
    consultant), :func:`sales_after_activities`, :func:`runup_public_purchases` (the persistence
    test's result as given: ``persistence``/``abnormal`` from :func:`analytics.answer.programme_answer`),
    :func:`rule144_schedule`, :func:`affiliate_volume_limit` (the consultant's sales, as of ``as_of``),
    :func:`option_exercises`, :func:`promotion_windows`, :func:`blackout_windows` and
    :func:`trades_in_windows`. ``objective_rows`` (AMEC rows of :mod:`analytics.objectives`) are
    carried into ``amec_rows`` beside the outputs row of the disclosures; ``objectives_scored``
    (:func:`analytics.objectives.score_objectives`) adds a finding that counts the verdicts.
    """
    from analytics.amec import AmecRow
    from analytics.constants import PERSISTENCE_HORIZONS
    from analytics.retainer import retainer_schedule

    r = sale_rules(rules)
    e = dict(engagement or {})
    consultant = str(e.get("consultant") or "the consultant")
    security = f"{client_name} ({ticker})"
    px = _bars(bars) if bars is not None and len(bars) else pd.DataFrame(columns=["date", "close", "volume"])
    as_of = pd.Timestamp(as_of).normalize() if as_of is not None else (px["date"].max() if len(px) else
                                                                        pd.Timestamp.today().normalize())
    sched = None
    if e.get("start_date") is not None and len(px):
        sched = retainer_schedule(e, px, shares_outstanding=shares_outstanding, as_of=as_of, splits=splits)
    register = compensation_register(e, payer=client_name, retainer=sched, grants=grants, financings=financings,
                                     manual=compensation)
    disclosures = disclosure_status(activities if activities is not None else pd.DataFrame(columns=["type"]))
    t = trades if trades is not None else pd.DataFrame(columns=["trade_id", "holder", "role", "date", "shares",
                                                                "price", "notes"])
    t = t.copy()
    t["date"] = pd.to_datetime(t["date"])
    issued = sched[sched["status"] == "issued"] if sched is not None else None
    receipts = (pd.DataFrame({"holder": consultant, "date": issued["payment_date"],
                              "shares": issued["shares_issued"]}) if issued is not None and len(issued) else None)
    promo = promotion_windows(activities, int(r["promotion_tail_days"]))
    black = blackout_windows(activities, events, int(r["blackout_before_days"]), int(r["blackout_after_days"]))
    flagged = trades_in_windows(t, promo, black)
    sales = sales_after_activities(t, activities, px, int(r["sale_flag_days"])) if len(px) else \
        sales_after_activities(None, None, None)
    h = int(horizon if horizon is not None else PERSISTENCE_HORIZONS[-1])
    runups = runup_public_purchases(persistence, abnormal, px, t, h) if len(px) else \
        runup_public_purchases(None, None, px, None, h)
    consultant_sales = t[(t["role"] == "consultant") & (t["shares"] < 0)] if len(t) else t
    limit = (affiliate_volume_limit(px, _latest_shares(shares_outstanding, as_of), consultant_sales, r, as_of)
             if len(px) and np.isfinite(_latest_shares(shares_outstanding, as_of)) else None)
    parts = {"disclosures": disclosures, "trades": flagged, "sales_windows": sales, "runups": runups,
             "objectives": objectives_scored}
    n_flag = int(disclosures["flagged"].sum()) if len(disclosures) else 0
    outputs = AmecRow("outputs", "Communications that describe the security",
                      f"{len(disclosures)} ({len(disclosures) - n_flag} recorded with the compensation disclosure)",
                      f"{n_flag} without a recorded disclosure" if n_flag else "every one recorded as disclosed",
                      "a count, no sampling interval", "activity log (disclosed flag)", simulated)
    return IntegrityAccount(
        client_name=client_name, security=security, consultant=consultant, simulated=simulated, rules=r,
        register=register, disclosures=disclosures, trades=flagged, holdings=holdings(t, receipts),
        sales_windows=sales, runups=runups,
        rule144=rule144_schedule(sched, r, as_of) if sched is not None else rule144_schedule(None, r),
        volume_limit=limit, options=option_exercises(grants, t, compensation, as_of), promotion=promo,
        blackout=black, amec_rows=(outputs, *objective_rows), findings=tuple(integrity_findings(parts)))
