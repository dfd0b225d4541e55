"""The programme's one answer: every figure the pages, the report, the exports and the CLI show.

:func:`programme_answer` composes, once, from the maths modules (``event_study``, ``roi``,
``costs``, ``retainer``, ``options``, ``liquidity``) and the method settings
(:mod:`analytics.settings`), a frozen :class:`ProgrammeAnswer`: per-activity and per-type results
under labels, the two value notions each with its interval and verdict words, the cost (cash and
stock), the dilution (the option counted as potential dilution), liquidity, persistence, and the
verdict in three to five plain sentences, verdict first. The layout follows alphalens' "tears":
one computation, several renderings; the Overview, Engagement, ROI report (HTML, PDF), CSV
exports and ``python -m analytics answer`` only lay this object out.

Pure: the inputs are the DataFrames the loaders give; no Streamlit, no I/O.

No value appears without its interval. A percent ROI beyond +-1,000% is written in words ("the
interval is too wide to say"). The sentences describe associations, never causes: an event study
measures the price moves around the activities, not what caused them.
"""
from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analytics.constants import ROI_INTERVAL_LEVEL, activity_label
from analytics.roi import value_interval_phrase
from analytics.settings import MODELS, THIN_METHODS, MethodSettings, format_window
from analytics.shares import shares_for_study

#: The version of the answer's method, stated on the report's reproducibility line.
SOFTWARE_VERSION = "irdash-answer 1"
#: ROI beyond this (as a fraction: 10 = 1,000%) is written in words, not as a percentage.
ROI_WORDS_LIMIT = 10.0
#: Significance level of the verdicts (the complement of the 90% intervals).
SIGNIFICANCE = 0.10

AROUND_NAME = "Value around the activities"
WHOLE_NAME = "Value over the whole engagement"
DIFFERENCE_NOTE = ("Value around the activities adds up the stock's abnormal moves in the activities' own event "
                   "windows only, each trading day once; value over the whole engagement adds up every trading "
                   "day's abnormal move from the engagement's start to its end against a model estimated before "
                   "it began, so it also carries everything else that happened to the company meanwhile.")


@dataclass(frozen=True)
class AnswerInputs:
    """What :func:`programme_answer` reads: the frames the loaders give, and the view's dates.

    ``prices`` and ``market`` are store bars (``date, open, high, low, close, adj_close, volume``);
    ``engagements``, ``grants``, ``financings``, ``activities``, ``shares_outstanding``, ``splits``
    are store frames (``docs/architecture.md``), possibly empty. ``start``/``end`` are the view's
    period (None: all dates).
    """

    client_id: str | None
    client_name: str | None
    ticker: str | None
    benchmark: str | None
    prices: pd.DataFrame
    market: pd.DataFrame | None
    activities: pd.DataFrame
    engagements: pd.DataFrame
    grants: pd.DataFrame
    financings: pd.DataFrame
    shares_outstanding: pd.DataFrame
    splits: pd.DataFrame
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    simulated: bool = False
    #: Non-IR events of the stock (``date, kind, title[, after_close]``: earnings, news, dividends,
    #: splits; ``store.corporate_events.confounding_events``). None: the stored splits stand in.
    confounding: pd.DataFrame | None = None


@dataclass(frozen=True)
class ValueNotion:
    """One notion of value with its interval, verdict words, and its ROI against the programme cost."""

    name: str
    value: float
    low: float
    high: float
    level: float
    verdict: str          # value_interval_phrase: "not distinguishable from zero" / "positive beyond ..."
    roi: float
    roi_low: float
    roi_high: float
    roi_words: str        # the ROI in words (beyond +-1,000%: "the interval is too wide to say")
    interval_method: str

    @property
    def text(self) -> str:
        """``$319k (90% interval −$6.2M to $6.9M)``: the figure every rendering prints."""
        return value_with_interval(self.value, self.low, self.high, self.level)

    @property
    def distinguishable(self) -> bool:
        return bool(np.isfinite(self.low) and np.isfinite(self.high) and not (self.low <= 0 <= self.high))


@dataclass(frozen=True)
class ProgrammeAnswer:
    """The whole answer for one client, period and method (see the module docstring).

    Attributes
    ----------
    settings : MethodSettings
    headline : tuple of (key, label, text)
        The figures every rendering shows, already written (identical on every page, in the
        report, its PDF and the CSV export).
    verdict : tuple of str
        Three to five plain sentences, verdict first.
    renewal : tuple of str
        Evidence for and against renewing, cost per month against measured value.
    sections : dict
        AMEC sections (``Inputs, Activities, Outtakes, Outcomes, Impact``) of sentences.
    per_activity, per_type, skipped : pandas.DataFrame
        Results by activity (first event window) and by type (labels, not codes), and the
        activities that could not be studied with their reason.
    around, whole : ValueNotion or None
    cost : dict
        ``total, cash, stock`` (USD) and ``by_kind`` (frame).
    dilution : dict
        ``shares_outstanding, retainer_shares, retainer_share, option_shares, option_share,
        option_status, exercised`` (None: not recorded), ``words``.
    account : analytics.roi.EngagementAccount or None
        The underlying account (charts read its daily series).
    cars, abnormal, abnormal_volume : pandas.DataFrame or None
        The event study's frames for the per-activity views.
    fingerprint : str
        Hash of the data used (prices, benchmark, activities, terms, shares, splits).
    """

    settings: MethodSettings
    client_name: str | None
    ticker: str | None
    start: pd.Timestamp | None
    end: pd.Timestamp | None
    simulated: bool
    error: str | None
    headline: tuple
    verdict: tuple
    renewal: tuple
    sections: dict
    per_activity: pd.DataFrame
    per_type: pd.DataFrame
    skipped: pd.DataFrame
    around: ValueNotion | None
    whole: ValueNotion | None
    cost: dict
    dilution: dict
    account: Any
    cars: pd.DataFrame | None
    abnormal: pd.DataFrame | None
    abnormal_volume: pd.DataFrame | None
    notes: tuple
    fingerprint: str
    whole_band: pd.DataFrame = field(default_factory=pd.DataFrame)
    confounded_note: str = ""
    stake: pd.DataFrame = field(default_factory=pd.DataFrame)
    version: str = SOFTWARE_VERSION
    headline_p_column: str = ""
    thin_trading_used: str = ""     # the method the event study used ("none", "trade_to_trade", "dimson")
    thin_trading_reason: str = ""   # why, in words (the automatic choice follows the zero-volume share)
    #: every test across events: pooled ("all") and per type, every event window, one Holm family
    #: (:func:`event_tests`); ``per_type`` is its first window's type rows
    tests: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: the event study itself (analytics.event_result.EventStudyResult, or None): Event impact lays
    #: out its curves, per-event table and placebos from this object
    study: Any = None

    def figure(self, key: str) -> str | None:
        """The written headline figure ``key`` (``around``, ``whole``, ``cost``, ``dilution``...)."""
        return next((text for k, _, text in self.headline if k == key), None)

    @property
    def reproducibility(self) -> str:
        """Parameters, the data's hash and the software version, in one line."""
        used = ""
        if self.settings.thin == "auto" and self.thin_trading_used:
            used = f" (used: {THIN_METHODS.get(self.thin_trading_used, self.thin_trading_used).lower()})"
        return (f"Reproducibility: {self.settings.describe()}{used}; data hash {self.fingerprint}; "
                f"software {self.version}.")

    @property
    def thin_trading_words(self) -> str:
        """Which thin-trading method was used and why, for the pages and the report's method paragraph."""
        return thin_trading_words(self.settings, self.thin_trading_used, self.thin_trading_reason)

    def headline_frame(self) -> pd.DataFrame:
        """The headline figures as a table (the CSV export): ``figure, value``."""
        return pd.DataFrame([(label, text) for _, label, text in self.headline], columns=["figure", "value"])


# --- the composition -----------------------------------------------------------------------------

def _frame(v) -> pd.DataFrame:
    return v if isinstance(v, pd.DataFrame) else pd.DataFrame()


def data_fingerprint(*frames) -> str:
    """A short SHA-256 of the frames' contents (column names, dtypes and values, row order kept).

    Each frame adds its columns with their dtypes, its length, and the row hashes of
    :func:`pandas.util.hash_pandas_object` (``index=False``: the index is not data). The values are
    hashed as they are stored (a float by its bits, a date by its nanoseconds), not through their
    text: ``astype(str)`` cost 158 ms on the demo and 1.4 s on a ten-year workspace.
    """
    h = hashlib.sha256()
    for f in frames:
        f = _frame(f)
        h.update(("|".join(f"{c}:{t}" for c, t in f.dtypes.items()) + f"#{len(f)};").encode())
        if len(f) and len(f.columns):
            try:
                rows = pd.util.hash_pandas_object(f, index=False)
            except TypeError:  # unhashable cells (lists, dicts) in an object column: those columns by their text
                rows = pd.util.hash_pandas_object(
                    f.astype({c: str for c, t in f.dtypes.items() if t == object}), index=False)
            h.update(rows.to_numpy().tobytes())
    return h.hexdigest()[:16]


def _activities_in(acts: pd.DataFrame, start, end) -> pd.DataFrame:
    if acts is None or acts.empty:
        return pd.DataFrame(columns=["activity_id", "date", "type", "title"])
    out = acts.copy()
    out["date"] = pd.to_datetime(out["date"])
    if start is not None:
        out = out[out["date"] >= pd.Timestamp(start)]
    if end is not None:
        out = out[out["date"] <= pd.Timestamp(end)]
    return out.sort_values("date").reset_index(drop=True)


def outside_price_history(acts: pd.DataFrame, prices: pd.DataFrame, ticker: str | None) -> pd.DataFrame:
    """Activities dated before the first or after the last stored price, each with its reason."""
    cols = ["event_id", "ticker", "event_date", "reason"]
    if acts.empty:
        return pd.DataFrame(columns=cols)
    dates = pd.to_datetime(acts["date"])
    if prices is None or prices.empty:
        return pd.DataFrame({"event_id": acts["activity_id"], "ticker": ticker, "event_date": dates,
                             "reason": f"no prices of {ticker} are stored"})[cols]
    first, last = pd.to_datetime(prices["date"]).min(), pd.to_datetime(prices["date"]).max()
    before, after = dates < first, dates > last
    reason = np.where(before, f"before the first stored price of {ticker} ({first:%Y-%m-%d})",
                      f"after the last stored price of {ticker} ({last:%Y-%m-%d})")
    out = pd.DataFrame({"event_id": acts["activity_id"], "ticker": ticker, "event_date": dates, "reason": reason})
    return out[before | after][cols].reset_index(drop=True)


def _study_inputs(px: pd.DataFrame, market: pd.DataFrame | None, acts: pd.DataFrame, ticker: str):
    prices = px[["date", "adj_close", "volume"]].rename(columns={"adj_close": "close"}).assign(ticker=ticker)
    mkt = None if market is None or market.empty else \
        market[["date", "adj_close"]].rename(columns={"adj_close": "close"})
    events = acts.rename(columns={"activity_id": "event_id"}).assign(ticker=ticker)
    events = events[[c for c in ("event_id", "ticker", "date", "after_close", "type", "title") if c in events]]
    return prices[["ticker", "date", "close", "volume"]], mkt, events


def headline_p(summary: pd.DataFrame) -> tuple[pd.Series, str, bool]:
    """The p-value the verdict uses per row, its column, and whether it is corrected for multiple testing.

    ``headline_p_adjusted`` (Holm) when the engine gives it, else ``headline_p``, else the
    Kolari-Pynnonen p (BMP adjusted for the cross-correlation of clustered activities), uncorrected.
    """
    for col, corrected in (("headline_p_adjusted", True), ("headline_p", False), ("kolari_pynnonen_p", False),
                           ("bmp_p", False)):
        if col in summary:
            return pd.to_numeric(summary[col], errors="coerce"), col, corrected
    return pd.Series(np.nan, index=summary.index), "", False


def event_tests(res) -> pd.DataFrame:
    """Every test across events of a study: all activities pooled and each type, every event window.

    Parameters
    ----------
    res : analytics.event_result.EventStudyResult

    Returns
    -------
    pandas.DataFrame
        The rows of ``res.summary()`` (``group = "all"``) then of ``res.summary(by="type")``
        (``group`` = the type code), with ``headline_p_adjusted`` recomputed as one family over
        every row with a finite ``headline_p`` (``HEADLINE_P_ADJUSTMENT``, Holm 1979: ``p_(i)`` is
        ``max_{j<=i} min(1, (m - j + 1) p_(j))``) and ``headline_p_adjustment`` naming it and ``m``.
        Event impact shows these rows and the report's per-type table reads its first window's
        type rows, so the corrected p of a type is the same figure on both.
    """
    from analytics.constants import HEADLINE_P_ADJUSTMENT
    from analytics.multiple_testing import METHODS, adjust_p_values

    tests = pd.concat([res.summary().assign(type="all"), res.summary(by="type")], ignore_index=True)
    if "headline_p" in tests:
        p = pd.to_numeric(tests["headline_p"], errors="coerce").to_numpy(dtype=float)
        tests["headline_p_adjusted"] = adjust_p_values(p, HEADLINE_P_ADJUSTMENT)
        m = int(np.isfinite(p).sum())
        tests["headline_p_adjustment"] = f"{METHODS[HEADLINE_P_ADJUSTMENT]}, across the {m} rows shown"
    front = ["group", *[c for c in tests.columns if c != "type"]]
    return tests.rename(columns={"type": "group"})[front]


PER_TYPE_COLUMNS = ["type", "label", "n", "caar", "p_value", "p_corrected", "mde", "verdict", "n_thin"]


def _per_type(tests: pd.DataFrame, window, level: float) -> tuple[pd.DataFrame, str, bool]:
    """One row per activity type (first event window) of :func:`event_tests`: label, n, CAAR, p, verdict, MDE."""
    cols = PER_TYPE_COLUMNS
    if tests.empty or "window_start" not in tests:
        return pd.DataFrame(columns=cols), "", False
    s = tests[(tests["group"] != "all") & (tests["window_start"] == window[0])
              & (tests["window_end"] == window[1])].reset_index(drop=True)
    if s.empty:
        return pd.DataFrame(columns=cols), "", False
    p, col, corrected = headline_p(s)
    mde = pd.to_numeric(s["mde_car"], errors="coerce") if "mde_car" in s else pd.Series(np.nan, index=s.index)
    out = pd.DataFrame({"type": s["group"], "label": s["group"].map(activity_label), "n": s["n"].astype(int),
                        "caar": s["caar"].astype(float), "p_value": p, "p_corrected": corrected, "mde": mde,
                        "n_thin": s.get("n_thin_warning", pd.Series(0, index=s.index)).astype(int)})
    out["verdict"] = [type_verdict(r.caar, r.p_value, r.mde, corrected, level) for r in out.itertuples()]
    return out[cols], col, corrected


def type_verdict(caar: float, p: float, mde: float, corrected: bool, level: float = SIGNIFICANCE) -> str:
    """One type's result in words: distinguishable from zero or not, with its p and what could be detected."""
    which = "after correction for testing several types" if corrected else "not yet corrected for multiple testing"
    if not np.isfinite(p):
        return "not tested (too few activities)"
    if p < level:
        words = f"{'up' if caar > 0 else 'down'} {percent(abs(caar), 1)}, distinguishable from zero ({p_text(p)}, {which})"
    else:
        words = f"not distinguishable from zero ({p_text(p)}, {which})"
        if np.isfinite(mde):
            words += f"; only a move of about {percent(abs(mde), 1)} or more could have been detected"
    return words


def _per_activity(cars: pd.DataFrame, window, av: pd.DataFrame | None, by_event: pd.DataFrame | None,
                  level: float) -> pd.DataFrame:
    from scipy.stats import norm

    c = cars[(cars["window_start"] == window[0]) & (cars["window_end"] == window[1])].copy()
    z = norm.ppf(0.5 + level / 2)
    se = np.sqrt(pd.to_numeric(c["car_var"], errors="coerce")) if "car_var" in c else np.nan
    out = pd.DataFrame({"activity_id": c["event_id"], "date": pd.to_datetime(c["event_date"]),
                        "type": c.get("type"), "label": c.get("type", pd.Series(dtype=object)).map(activity_label),
                        "title": c.get("title"), "car": c["car"], "car_low": c["car"] - z * se,
                        "car_high": c["car"] + z * se, "p_value": c["p_value"],
                        "thin_warning": c.get("thin_warning", False)})
    if av is not None and not av.empty:
        out = out.merge(av, on="activity_id", how="left")
    if by_event is not None and len(by_event) and "abnormal_value" in by_event:
        b = by_event[["event_id", "abnormal_value", "abnormal_value_se"]].rename(columns={"event_id": "activity_id"})
        b = b.assign(value_low=b["abnormal_value"] - z * b["abnormal_value_se"],
                     value_high=b["abnormal_value"] + z * b["abnormal_value_se"]).drop(columns="abnormal_value_se")
        out = out.merge(b, on="activity_id", how="left")
    return out.reset_index(drop=True)


def _notion(name: str, value, low, high, result, level: float, method: str) -> ValueNotion:
    r = result
    return ValueNotion(name=name, value=float(value), low=float(low), high=float(high), level=level,
                       verdict=value_interval_phrase(low, high) if np.isfinite([low, high]).all() else "not available",
                       roi=r.roi if r else math.nan, roi_low=r.roi_low if r else math.nan,
                       roi_high=r.roi_high if r else math.nan, roi_words=roi_words(r) if r else "ROI not available",
                       interval_method=method)


def _dilution(acc, inputs: AnswerInputs) -> dict:
    shares = _frame(inputs.shares_outstanding)
    out = {"shares_outstanding": math.nan, "retainer_shares": 0.0, "retainer_share": math.nan,
           "option_shares": 0.0, "option_share": math.nan, "option_status": None, "exercised": None}
    if acc is not None:
        out["retainer_shares"] = float(acc.inputs.get("dilution_shares") or 0.0)
        out["option_shares"] = float(acc.inputs.get("option_shares") or 0.0)
        statuses = acc.consultant.get("options") or []
        out["option_status"] = statuses[0].status if statuses else None
    if not shares.empty:
        so = shares.sort_values("date")
        asof = inputs.end if inputs.end is not None else so["date"].max()
        known = so[pd.to_datetime(so["date"]) <= pd.Timestamp(asof)]
        n = float((known if len(known) else so)["shares"].iloc[-1])
        out["shares_outstanding"] = n
        if n > 0:
            out["retainer_share"] = out["retainer_shares"] / n
            out["option_share"] = out["option_shares"] / n
    out["words"] = dilution_sentence(out)
    return out


def dilution_sentence(d: dict) -> str:
    """Dilution with the option counted as potential dilution, and whether it was exercised."""
    if not np.isfinite(d["shares_outstanding"]):
        return ("Dilution cannot be expressed as a share of the company: the shares outstanding are not recorded "
                f"({share_count(d['retainer_shares'])} retainer shares issued, {share_count(d['option_shares'])} under option).")
    text = (f"Dilution: {share_count(d['retainer_shares'])} retainer shares issued ({share_percent(d['retainer_share'])} of "
            f"the {share_count(d['shares_outstanding'])} shares outstanding)")
    if d["option_shares"]:
        text += (f", plus {share_count(d['option_shares'])} shares under the consultant's option "
                 f"({share_percent(d['option_share'])}) as potential dilution, "
                 f"{share_percent(d['retainer_share'] + d['option_share'])} in all if it is exercised")
        status = d.get("option_status")
        exercise = ("the workspace records no exercise" if d.get("exercised") is None
                    else "it was exercised" if d["exercised"] else "it was not exercised")
        text += f"; the option is {status}, and {exercise}" if status else f"; {exercise}"
    return text + "."


def share_percent(v: float) -> str:
    """A share of the company as a percentage that never rounds a real stake to "0%"."""
    if v is None or not np.isfinite(v):
        return "n/a"
    if v == 0:
        return "0%"
    a = abs(v) * 100
    decimals = 2 if a >= 0.01 else max(2, 1 - int(math.floor(math.log10(a))))
    return percent(v, min(decimals, 8))


def _costs(acc) -> dict:
    if acc is None:
        return {"total": math.nan, "cash": math.nan, "stock": math.nan, "by_kind": pd.DataFrame(), "months": 0}
    by = acc.inputs["costs_by_kind"].set_index("kind")["cost"]
    stock = float(by.get("retainer", 0.0) + by.get("option", 0.0))
    cash = float(by.get("finders_fee", 0.0) + by.get("activity", 0.0))
    return {"total": float(acc.inputs["total_cost"]), "cash": cash, "stock": stock,
            "by_kind": acc.inputs["costs_by_kind"]}


def _months(acc) -> float:
    if acc is None:
        return math.nan
    e = acc.engagement
    start = pd.Timestamp(e["start_date"])
    period = acc.impact.get("period")
    end = period.end if period is not None else pd.Timestamp(e.get("end_date") or start)
    return max((pd.Timestamp(end) - start).days / 30.4375, 1.0)


@dataclass(frozen=True)
class ProgrammeStudy:
    """The event-study part of the answer (:func:`programme_study`): what Event impact lays out.

    Attributes
    ----------
    settings : MethodSettings
    error : str or None
        Why no activity could be studied (None when the study ran and studied some).
    result : analytics.event_result.EventStudyResult or None
        The event study (None when ``error``).
    cars, abnormal, abnormal_volume : pandas.DataFrame or None
        Its CARs, daily abnormal returns, and the first window's abnormal volume per activity.
    skipped : pandas.DataFrame
        The activities that could not be studied, with their reason (outside the price history first).
    tests : pandas.DataFrame
        :func:`event_tests` of the result (empty when it could not be computed; ``notes`` says why).
    notes : tuple of str
    thin_trading_used, thin_trading_reason : str
    """

    settings: MethodSettings
    error: str | None
    result: Any
    cars: pd.DataFrame | None
    abnormal: pd.DataFrame | None
    abnormal_volume: pd.DataFrame | None
    skipped: pd.DataFrame
    tests: pd.DataFrame
    notes: tuple = ()
    thin_trading_used: str = ""
    thin_trading_reason: str = ""

    @property
    def thin_trading_words(self) -> str:
        """Which thin-trading method was used and why (:func:`thin_trading_words`)."""
        return thin_trading_words(self.settings, self.thin_trading_used, self.thin_trading_reason)


def thin_trading_words(settings: MethodSettings, used: str, reason: str) -> str:
    """``Thin trading: <method>, chosen automatically|as selected (<reason>).``, or "" when no study ran."""
    if not used:
        return ""
    name = THIN_METHODS.get(used, used)
    how = "chosen automatically" if settings.thin == "auto" else "as selected"
    return f"Thin trading: {name.lower()}, {how} ({reason})."


def _sorted_prices(inputs: AnswerInputs) -> pd.DataFrame:
    px = _frame(inputs.prices)
    if len(px):
        px = px.assign(date=pd.to_datetime(px["date"])).sort_values("date").reset_index(drop=True)
    return px


def programme_study(inputs: AnswerInputs, settings: MethodSettings | None = None) -> ProgrammeStudy:
    """The event study of the view's activities, its abnormal volume and its tests (pure).

    Parameters
    ----------
    inputs : AnswerInputs
    settings : MethodSettings
        The defaults when None.

    Returns
    -------
    ProgrammeStudy

    Notes
    -----
    MacKinlay (1997) on the stock's own trading days (:func:`analytics.event_study.event_study`)
    with the settings' model, thin-trading method and windows; the activities outside the stored
    price history are listed first (:func:`outside_price_history`); the tests across events are
    :func:`event_tests` (one Holm family). :func:`programme_answer` composes the rest of the answer
    on this object (``study=``), so a page that shows only the study does not pay for the account.
    """
    from analytics import event_study as es

    s = settings or MethodSettings()
    window = tuple(s.windows[0])
    px = _sorted_prices(inputs)
    market = _frame(inputs.market)
    acts = _activities_in(_frame(inputs.activities), inputs.start, inputs.end)
    notes: list[str] = []
    error = None
    cars = abnormal = av = None
    res = None
    skipped = outside_price_history(acts, px, inputs.ticker)
    studied_acts = acts[~acts["activity_id"].isin(skipped["event_id"])] if len(acts) else acts
    shares = _frame(inputs.shares_outstanding)
    if not inputs.ticker:
        error = "No ticker for this client: add it on the Data page."
    elif px.empty:
        error = f"No prices of {inputs.ticker} are stored: load its history on the Data page."
    elif acts.empty:
        error = "No activities logged in this period: log them on the Activities page."
    elif market.empty and s.model != "constant_mean":
        error = (f"The benchmark {inputs.benchmark} has no stored prices: load it on the Data page, or choose the "
                 "constant-mean model." if inputs.benchmark else
                 "This client has no benchmark: set one on the Data page, or choose the constant-mean model.")
    elif studied_acts.empty:
        error = "No activity falls inside the stored price history (see the activities that could not be studied)."
    else:
        prices, mkt, events = _study_inputs(px, market, studied_acts, inputs.ticker)
        if mkt is None:  # constant mean: the market series is not used, the stock's own closes stand in
            mkt = prices[["date", "close"]]
        try:
            res = es.event_study(prices, events, mkt, model=s.model, thin_trading=s.thin_trading,
                                 estimation_window=s.est, event_windows=s.windows,
                                 shares_outstanding=shares_for_study(shares, prices["date"], _frame(inputs.splits),
                                                                     inputs.ticker))
        except ValueError as exc:
            error = f"The event study could not run with these settings: {exc}."
        else:
            cars, abnormal = res.cars, res.abnormal
            if len(res.skipped):
                skipped = pd.concat([skipped.astype({"event_id": object}),
                                     res.skipped[["event_id", "ticker", "event_date", "reason"]].astype(
                                         {"event_id": object})], ignore_index=True)
            if cars.empty:
                error = ("No activity could be studied: not enough trading history before them for the estimation "
                         f"window (days {format_window(s.est)}).")
                cars = abnormal = None
            else:
                try:
                    v = res.abnormal_volume
                    v = v() if callable(v) else v
                    v = v[(v["window_start"] == window[0]) & (v["window_end"] == window[1])]
                    keep = ["event_id", "cav", "cav_t"] + [c for c in VOLUME_CHANGE_COLUMNS if c in v]
                    av = v[keep].rename(columns={
                        "event_id": "activity_id", "cav": "abnormal_volume", "cav_t": "abnormal_volume_t"})
                except (AttributeError, KeyError, ValueError):
                    av = None
    tests = pd.DataFrame()
    if cars is not None:
        try:
            tests = event_tests(res)
        except Exception as exc:  # noqa: BLE001 - a test failing on a tiny group must not sink the answer
            notes.append(f"The tests across activities could not be computed ({exc}).")
    return ProgrammeStudy(
        settings=s, error=error, result=res if cars is not None else None, cars=cars, abnormal=abnormal,
        abnormal_volume=av, skipped=skipped.reset_index(drop=True), tests=tests, notes=tuple(notes),
        thin_trading_used=("" if res is None else (getattr(res, "thin_trading_chosen", None) or "none")),
        thin_trading_reason=("" if res is None else str(getattr(res, "thin_trading_reason", ""))))


def _study_key(s: MethodSettings) -> tuple:
    """What of the settings the event study reads (the period is in the inputs, the types shown are not used)."""
    return s.model, s.thin, tuple(s.est), tuple(tuple(w) for w in s.windows)


def programme_answer(inputs: AnswerInputs, settings: MethodSettings | None = None, *,
                     study: ProgrammeStudy | None = None) -> ProgrammeAnswer:
    """Compose the programme's answer once from the maths modules (pure).

    Parameters
    ----------
    inputs : AnswerInputs
        The client's frames as the loaders give them, and the view's period.
    settings : MethodSettings
        The method (model, thin trading, windows); the defaults when None.
    study : ProgrammeStudy, optional
        :func:`programme_study` of the same ``inputs`` and ``settings``, already computed (a cache
        holds it); computed here when None. Passing it changes no figure: it is the same object.

    Returns
    -------
    ProgrammeAnswer

    Notes
    -----
    The event study is MacKinlay (1997) on the stock's own trading days
    (:func:`programme_study`); the account (costs, retainer, option, liquidity,
    both value notions, persistence) is :func:`analytics.roi.engagement_account` on those results.
    Value around the activities: ``AV = sum_d AR_d x MC_{d-1}`` over the distinct days of the
    activities' first event window; value over the whole engagement: the same sum over every day
    of the engagement against the pre-engagement market model. Intervals at ``ROI_INTERVAL_LEVEL``
    (90%). Per-type verdicts use the Holm-corrected headline p when the engine provides it.
    """
    from analytics.roi import engagement_account

    s = settings or MethodSettings()
    study = study if study is not None else programme_study(inputs, s)
    if _study_key(study.settings) != _study_key(s):
        raise ValueError("programme_answer: the study given was computed with other settings "
                         f"({study.settings.describe()}) than the answer's ({s.describe()}).")
    level = ROI_INTERVAL_LEVEL
    window = tuple(s.windows[0])
    px = _sorted_prices(inputs)
    market = _frame(inputs.market)
    acts = _activities_in(_frame(inputs.activities), inputs.start, inputs.end)
    engagements = _frame(inputs.engagements)
    fingerprint = data_fingerprint(px, market, _frame(inputs.activities), engagements, inputs.grants,
                                   inputs.financings, inputs.shares_outstanding, inputs.splits)
    notes: list[str] = []
    error, cars, abnormal, av = study.error, study.cars, study.abnormal, study.abnormal_volume
    skipped, tests = study.skipped, study.tests
    shares = _frame(inputs.shares_outstanding)

    acc = None
    if not engagements.empty and len(px):
        e = engagements.sort_values("start_date").iloc[0]
        acc = engagement_account(
            e, acts, px, None if market.empty else market[["date", "adj_close"]].rename(columns={"adj_close": "close"}),
            abnormal=abnormal, cars=cars, option_grants=_frame(inputs.grants), financings=_frame(inputs.financings),
            shares_outstanding=None if shares.empty else shares[["date", "shares"]],
            splits=None if _frame(inputs.splits).empty else inputs.splits, window=window)
        if cars is None:
            acc.notes.insert(0, "No value around the activities: " + (error or "no activity was studied") + "")
        notes += acc.notes
    elif engagements.empty:
        notes.append("No engagement is recorded for this client: cost, dilution and the value over the whole "
                     "engagement need its terms (Engagement page).")
    notes += study.notes

    per_type, p_col, corrected = _per_type(tests, window, SIGNIFICANCE)
    by_event = acc.impact.get("by_event") if acc is not None else None
    per_activity = (_per_activity(cars, window, av, by_event, level) if cars is not None else
                    pd.DataFrame(columns=["activity_id", "date", "type", "label", "title", "car", "car_low",
                                          "car_high", "p_value", "thin_warning"]))

    confounded_note = ""
    if len(per_activity) and len(px):
        per_activity, confounded_note = _confounders(per_activity, acts, _confounding_events(inputs), px, s)

    around = whole = None
    if acc is not None:
        r = acc.impact.get("roi_activities")
        if r is not None:
            around = _notion(AROUND_NAME, r.abnormal_value, r.value_low, r.value_high, r, level, r.method)
        period = acc.impact.get("period")
        if period is not None:
            whole = _notion(WHOLE_NAME, period.abnormal_value, period.interval_low, period.interval_high,
                            acc.impact.get("roi_period"), level, period.method)
    cost = _costs(acc)
    dilution = _dilution(acc, inputs)
    months = _months(acc)
    sections = _sections(acc, acts, cost, dilution, around, whole, window, av, inputs, s)
    liq = _liquidity_summary(acc)
    verdict = _verdict(per_type, corrected, around, whole, cost, dilution, liq, acc, window, error, s)
    if confounded_note:  # said right after the activities' verdict, and kept within five sentences
        verdict = [*verdict[:1], confounded_note, *verdict[1:]][:5]
    renewal = _renewal(per_type, around, whole, cost, months)
    headline = _headline(around, whole, cost, dilution, per_type, months)
    band = whole_value_band(acc.impact.get("period") if acc is not None else None, px, market, level)
    stake = _stake(acc, band)
    return ProgrammeAnswer(
        settings=s, client_name=inputs.client_name, ticker=inputs.ticker, start=inputs.start, end=inputs.end,
        simulated=bool(inputs.simulated), error=error, headline=headline, verdict=tuple(verdict),
        renewal=tuple(renewal), sections=sections, per_activity=per_activity, per_type=per_type,
        skipped=skipped.reset_index(drop=True), around=around, whole=whole, cost=cost, dilution=dilution,
        account=acc, cars=cars, abnormal=abnormal, abnormal_volume=av, notes=tuple(plain_note(n) for n in notes),
        fingerprint=fingerprint, headline_p_column=p_col, whole_band=band, stake=stake,
        confounded_note=confounded_note, thin_trading_used=study.thin_trading_used,
        thin_trading_reason=study.thin_trading_reason, tests=tests, study=study.result)


def _confounding_events(inputs: AnswerInputs) -> pd.DataFrame:
    if inputs.confounding is not None:
        return inputs.confounding
    sp = _frame(inputs.splits)
    if sp.empty:
        return pd.DataFrame(columns=["date", "kind", "title", "after_close"])
    return pd.DataFrame({"date": pd.to_datetime(sp["date"]), "kind": "split",
                         "title": [f"split {r:g}:1" if r >= 1 else f"reverse split 1:{1 / r:g}" for r in sp["ratio"]],
                         "after_close": False})


def _confounders(per_activity: pd.DataFrame, acts: pd.DataFrame, events: pd.DataFrame, px: pd.DataFrame,
                 s: MethodSettings) -> tuple[pd.DataFrame, str]:
    """Flag the studied activities whose windows hold a non-IR event (analytics.confounders), and the sentence."""
    from analytics.confounders import confounded_sentence, envelope_window, flag_confounded, split_confounded

    if events is None or len(events) == 0:
        return per_activity.assign(confounded=False, confounders=""), ""
    studied = acts[acts["activity_id"].isin(per_activity["activity_id"])]
    cols = [c for c in ("activity_id", "date", "after_close") if c in studied]
    flagged = flag_confounded(studied[cols], events, px["date"], window=envelope_window(s.windows))
    out = per_activity.merge(flagged[["activity_id", "confounded", "confounders"]], on="activity_id", how="left")
    out["confounded"] = out["confounded"].fillna(False).astype(bool)
    out["confounders"] = out["confounders"].fillna("").astype(str)
    return out, confounded_sentence(split_confounded(flagged))


STAKE_COLUMNS = {"retainer_value": "Consultant: retainer shares (market value)",
                 "option_fair_value": "Consultant: option (fair value)",
                 "company_cum_abnormal_value": "Company: value over the whole engagement (cumulative)"}


def _stake(acc, band: pd.DataFrame) -> pd.DataFrame:
    """The consultant's stake beside the company's cumulative value and its band, over the engagement only."""
    cols = ["date", *STAKE_COLUMNS, "company_low", "company_high"]
    daily = acc.consultant.get("daily") if acc is not None else None
    if daily is None or daily.empty:
        return pd.DataFrame(columns=cols)
    e = acc.engagement
    start = pd.Timestamp(e["start_date"])
    period = acc.impact.get("period")
    end = period.end if period is not None else (pd.Timestamp(e["end_date"]) if pd.notna(e.get("end_date"))
                                                 else pd.Timestamp(daily["date"].max()))
    d = daily[(pd.to_datetime(daily["date"]) >= start) & (pd.to_datetime(daily["date"]) <= end)]
    d = d[["date", *[c for c in STAKE_COLUMNS if c in d]]].copy()
    if len(band):
        b = band.rename(columns={"cum_low": "company_low", "cum_high": "company_high"})[
            ["date", "company_low", "company_high"]]
        d = d.merge(b, on="date", how="left")
    return d.reset_index(drop=True)


def whole_value_band(period, prices: pd.DataFrame, market: pd.DataFrame, level: float = ROI_INTERVAL_LEVEL
                     ) -> pd.DataFrame:
    """The cumulative value over the engagement with its pointwise interval, day by day.

    ``Var(sum_{d<=t} w_d AR_d) = sigma^2 (sum w_d^2 + (X_t'w)' (X'X)^-1 (X_t'w))`` (MacKinlay 1997,
    eq. 4.14 with the estimation error of the pre-engagement market model; ``w_d`` the previous day's
    market cap, ``X`` the estimation sample's ``[1, R_m]``, ``X_t`` the engagement's days up to ``t``),
    so the last day's band is the normal interval of :func:`analytics.roi.engagement_period_abnormal_value`.

    Returns
    -------
    pandas.DataFrame
        ``date, cum_value, cum_low, cum_high`` (days without a return or cap add nothing).
    """
    from scipy.stats import norm

    from analytics.roi import _stock_and_market_returns

    cols = ["date", "cum_value", "cum_low", "cum_high"]
    if period is None or period.daily is None or period.daily.empty or market is None or market.empty:
        return pd.DataFrame(columns=cols)
    px = prices[["date", "adj_close" if "adj_close" in prices else "close"]].set_axis(["date", "close"], axis=1)
    mk = market[["date", "adj_close" if "adj_close" in market else "close"]].set_axis(["date", "close"], axis=1)
    df = _stock_and_market_returns(px, mk)
    est = df.loc[period.estimation_start:period.estimation_end].dropna(subset=["ret", "market_ret"])
    X = np.column_stack([np.ones(len(est)), est["market_ret"].to_numpy()])
    xtx_inv = np.linalg.inv(X.T @ X)
    d = period.daily
    ok = d[["ar", "cap_prev"]].notna().all(axis=1).to_numpy()
    w = np.where(ok, d["cap_prev"].to_numpy(dtype=float), 0.0)
    m = np.where(ok, d["market_ret"].to_numpy(dtype=float), 0.0)
    v = np.where(ok, d["value"].to_numpy(dtype=float), 0.0)
    s0, s1, ww = np.cumsum(w), np.cumsum(w * m), np.cumsum(w * w)
    quad = xtx_inv[0, 0] * s0 ** 2 + 2 * xtx_inv[0, 1] * s0 * s1 + xtx_inv[1, 1] * s1 ** 2
    sd = np.sqrt(period.sigma ** 2 * (ww + quad))
    z = norm.ppf(0.5 + level / 2)
    cum = np.cumsum(v)
    return pd.DataFrame({"date": d["date"].to_numpy(), "cum_value": cum, "cum_low": cum - z * sd,
                         "cum_high": cum + z * sd})


def market_snapshot(prices: pd.DataFrame, shares_outstanding: pd.DataFrame | None = None, option_status=None, *,
                    last_stored=None, today=None, simulated: bool = False) -> dict:
    """The Overview's key figures and alerts as of the last bar of ``prices`` (pure).

    Parameters
    ----------
    prices : pandas.DataFrame
        ``date, close, volume`` (+ ``stale_close``) up to the end of the view, sorted.
    shares_outstanding : pandas.DataFrame, optional
        ``date, shares``: market cap = the last report on or before the last bar x its close.
    option_status : analytics.options.OptionStatus, optional
    last_stored : date-like, optional
        The ticker's last stored bar: the data's age is measured from it (not from the period's end).
    today : date-like, optional
        Default: today. ``simulated`` workspaces get no staleness alert.

    Returns
    -------
    dict
        ``metrics`` (label, value, delta, help), ``alerts`` (level, text), ``as_of``, ``strike``.
        Volume vs normal = last volume / median of the previous ``NORMAL_VOLUME_DAYS`` volumes.
    """
    from analytics.constants import EXPIRY_ALERT_DAYS, NORMAL_VOLUME_DAYS, STALE_DATA_DAYS, VOLUME_ALERT_RATIO

    px = prices
    last, prev = px.iloc[-1], (px.iloc[-2] if len(px) > 1 else px.iloc[-1])
    as_of = pd.Timestamp(last["date"])
    change = (last["close"] / prev["close"] - 1) if prev["close"] else math.nan
    metrics, alerts = [], []
    metrics.append(("Last close", price(last["close"]), f"{change:+.1%}" if np.isfinite(change) else None,
                    f"Close of {as_of:%Y-%m-%d} and change from the previous trading day"))
    cap = math.nan
    so = _frame(shares_outstanding)
    if not so.empty:
        known = so[pd.to_datetime(so["date"]) <= as_of]
        if not known.empty:
            cap = float(known.sort_values("date")["shares"].iloc[-1]) * float(last["close"])
    metrics.append(("Market cap", money(cap), None, "Shares outstanding x last close"))
    normal = px["volume"].iloc[-NORMAL_VOLUME_DAYS - 1:-1].median() if len(px) > 1 else math.nan
    ratio = last["volume"] / normal if normal and np.isfinite(normal) else math.nan
    metrics.append(("Volume vs normal", "n/a" if not np.isfinite(ratio) else f"{ratio:.1f}x",
                    f"{share_count(last['volume'])} shares", f"Last volume / median of the previous {NORMAL_VOLUME_DAYS} "
                    "trading days"))
    if np.isfinite(ratio) and ratio >= VOLUME_ALERT_RATIO:
        alerts.append(("warning", f"Abnormal volume on {as_of:%Y-%m-%d}: {ratio:.1f}x the normal level."))
    strike = None
    status = option_status
    if status is not None:
        strike = status.strike
        metrics.append(("Option moneyness", "n/a" if not np.isfinite(status.moneyness) else f"{status.moneyness:.2f}x",
                        f"{status.days_to_expiry} days to expiry" if status.days_to_expiry >= 0 else status.status,
                        f"Price / strike ({price(status.strike)}); {status.status}"))
        if status.status == "live" and 0 <= status.days_to_expiry <= EXPIRY_ALERT_DAYS:
            alerts.append(("warning", f"The option expires in {status.days_to_expiry} days "
                                      f"({status.status}, moneyness {status.moneyness:.2f}x)."))
        above = px.tail(6)["close"] > status.strike
        if above.nunique() > 1:
            side = "above" if above.iloc[-1] else "below"
            alerts.append(("info", f"The price crossed the strike {price(status.strike)} in the last "
                                   f"five trading days; it is now {side} it."))
    else:
        metrics.append(("Option moneyness", "n/a", None, "No option grant for this client"))
    if "stale_close" in px and bool(px.tail(STALE_DATA_DAYS)["stale_close"].fillna(False).any()):
        alerts.append(("warning", "A recent bar is flagged: the close changed on a zero-volume day."))
    last_bar = pd.Timestamp(last_stored) if last_stored is not None else as_of
    age = ((pd.Timestamp(today) if today is not None else pd.Timestamp.today()).normalize() - last_bar).days
    if age > STALE_DATA_DAYS and not simulated:
        alerts.append(("warning", f"Data is stale: the last stored bar ({last_bar:%Y-%m-%d}) is {age:,} days old. "
                                  "Refresh it on the **Data** page."))
    return {"metrics": metrics, "alerts": alerts, "as_of": as_of, "strike": strike}


# --- the words of the answer ----------------------------------------------------------------------

def value_with_interval(value: float, low: float, high: float, level: float = ROI_INTERVAL_LEVEL) -> str:
    """``$319k (90% interval −$6.2M to $6.9M)``; ``not available`` when any part is unknown."""
    if not np.isfinite([value, low, high]).all():
        return "not available"
    return f"{money(value)} ({level:.0%} interval {money(low)} to {money(high)})"


def _roi_bound(x: float) -> str:
    if abs(x) <= ROI_WORDS_LIMIT:
        return percent(x, signed=True)
    return "a loss of more than ten times the cost" if x < 0 else "a gain of more than ten times the cost"


def roi_words(result) -> str:
    """An :class:`analytics.roi.RoiResult` in words; beyond +-1,000% "the interval is too wide to say"."""
    r, lo, hi = result.roi, result.roi_low, result.roi_high
    if not np.isfinite([r, lo, hi]).all():
        return "ROI not available: the cost or the value is unknown"
    if max(abs(r), abs(lo), abs(hi)) > ROI_WORDS_LIMIT:
        return (f"ROI: the interval is too wide to say (its {result.level:.0%} interval runs from {_roi_bound(lo)} "
                f"to {_roi_bound(hi)})")
    return f"ROI {percent(r, signed=True)} ({result.level:.0%} interval {percent(lo, signed=True)} to " \
           f"{percent(hi, signed=True)})"


def _liquidity_summary(acc) -> str | None:
    if acc is None:
        return None
    sentences = liquidity_sentences(acc.outcomes)
    if not sentences:
        return None
    head = sentences[0]
    return head.split(": ", 1)[1] if ": " in head else head


def _type_list(labels) -> str:
    labels = list(labels)
    if len(labels) <= 1:
        return "".join(labels)
    return ", ".join(labels[:-1]) + " and " + labels[-1]


def _verdict(per_type, corrected, around, whole, cost, dilution, liq, acc, window, error, s) -> list[str]:
    out: list[str] = []
    moved = per_type[(per_type["p_value"] < SIGNIFICANCE)] if len(per_type) else per_type
    which = ("after correction for testing several types" if corrected else "not yet corrected for multiple testing")
    if error and around is None:
        out.append(f"No verdict on the activities yet: {error[:1].lower()}{error[1:]}")
    elif len(per_type) and len(moved):
        ups = [r.label for r in moved.itertuples() if r.caar > 0]
        downs = [r.label for r in moved.itertuples() if r.caar <= 0]
        text = "Around the activities (" + window_text(window) + "), the stock moved beyond what the market explains "
        parts = []
        if ups:
            parts.append(f"upwards after {_type_list(ups)}")
        if downs:
            parts.append(f"downwards after {_type_list(downs)}")
        rest = len(per_type) - len(moved)
        out.append(text + " and ".join(parts) + f" ({which}); the other {count(rest, 'type')} showed no move "
                   "distinguishable from zero. This is an association in time, not proof that the activities "
                   "caused the moves.")
    elif len(per_type):
        mde = per_type["mde"].dropna()
        text = (f"No activity type moved the stock distinguishably from zero around the activities "
                f"({window_text(window)}, {which})")
        if len(mde):
            text += f"; with this many activities only moves of about {percent(float(mde.abs().min()), 1)} or more could have been detected"
        out.append(text + ".")
    if around is not None:
        out.append(f"{AROUND_NAME}: {around.text}, {around.verdict}; {WHOLE_NAME.lower()}: "
                   + (f"{whole.text}, {whole.verdict}." if whole is not None else "not available."))
    elif whole is not None:
        out.append(f"{WHOLE_NAME}: {whole.text}, {whole.verdict}.")
    if liq:
        out.append(f"Liquidity: {liq[:1].lower()}{liq[1:]}")
    if np.isfinite(cost.get("total", math.nan)):
        out.append(f"The programme cost {money(cost['total'])} ({money(cost['cash'])} in cash, {money(cost['stock'])} "
                   f"in stock at its value when issued and the option at its grant-date value). {dilution['words']}")
    if acc is not None:
        pers = persistence_sentence(acc.impact.get("persistence"))
        if pers:
            out.append(pers.split(". A run-up")[0] + ".")
    return out[:5]


def _renewal(per_type, around, whole, cost, months) -> list[str]:
    if not np.isfinite(cost.get("total", math.nan)) or not np.isfinite(months):
        return ["Renewal: no cost is recorded, so the measured value cannot be set against it."]
    per_month = cost["total"] / months
    out = [f"Renewal: the programme cost about {money(per_month)} a month over {months:,.1f} months."]
    pro, con = [], []
    for notion in (around, whole):
        if notion is None:
            continue
        monthly = (money(notion.low / months), money(notion.high / months))
        if notion.distinguishable and notion.low > 0:
            pro.append(f"{notion.name.lower()} was positive beyond what the market explains "
                       f"({monthly[0]} to {monthly[1]} a month)")
        elif notion.distinguishable:
            con.append(f"{notion.name.lower()} was negative beyond what the market explains")
        else:
            con.append(f"{notion.name.lower()} cannot be told apart from zero ({monthly[0]} to {monthly[1]} a month, "
                       f"against a cost of {money(per_month)})")
    moved = per_type[per_type["p_value"] < SIGNIFICANCE] if len(per_type) else per_type
    ups = [r.label for r in moved.itertuples() if r.caar > 0]
    if ups:
        pro.append(f"{_type_list(ups)} were followed by moves distinguishable from zero")
    out.append("For renewing: " + ("; ".join(pro) if pro else "no measured evidence") + ".")
    out.append("Against: " + ("; ".join(con) if con else "no measured evidence") + ".")
    return out


def _bare(roi_text: str) -> str:
    """An ROI phrase without its leading "ROI" (the headline's label says it)."""
    return roi_text.removeprefix("ROI: ").removeprefix("ROI ")


def _headline(around, whole, cost, dilution, per_type, months) -> tuple:
    rows = [("around", AROUND_NAME, around.text if around else "not available"),
            ("around_verdict", f"{AROUND_NAME}: verdict", around.verdict if around else "not available"),
            ("around_roi", f"{AROUND_NAME}: ROI", _bare(around.roi_words) if around else "not available"),
            ("whole", WHOLE_NAME, whole.text if whole else "not available"),
            ("whole_verdict", f"{WHOLE_NAME}: verdict", whole.verdict if whole else "not available"),
            ("whole_roi", f"{WHOLE_NAME}: ROI", _bare(whole.roi_words) if whole else "not available"),
            ("cost", "Programme cost", money(cost.get("total"))),
            ("cost_per_month", "Cost per month", money(cost["total"] / months)
             if np.isfinite(cost.get("total", math.nan)) and np.isfinite(months) else "n/a"),
            ("dilution", "Dilution (issued + option)",
             f"{share_percent(dilution['retainer_share'])} + {share_percent(dilution['option_share'])}"
             if np.isfinite(dilution["shares_outstanding"]) else "n/a")]
    moved = int((per_type["p_value"] < SIGNIFICANCE).sum()) if len(per_type) else 0
    rows.append(("types_moved", "Activity types with a distinguishable move",
                 f"{moved} of {len(per_type)}" if len(per_type) else "n/a"))
    return tuple(rows)


def retainer_sentence(schedule: pd.DataFrame | None) -> str | None:
    """The retainer payments issued, their shares and value when issued, and what a low price costs."""
    if schedule is None or schedule.empty:
        return None
    issued = schedule[schedule["status"] == "issued"] if "status" in schedule else schedule
    if issued.empty:
        return None
    text = (f"{count(len(issued), 'retainer payment')} issued {share_count(issued['shares_issued'].sum())} shares worth "
            f"{money(issued['value_at_issue'].sum())} when issued (cumulative dilution "
            f"{share_percent(issued['cumulative_dilution'].iloc[-1])} of the shares outstanding).")
    first, last = issued.iloc[0], issued.iloc[-1]
    if len(issued) > 1 and first["price"] != last["price"]:
        cheap, dear = (first, last) if first["price"] < last["price"] else (last, first)
        text += (f" The same retainer bought {share_count(cheap['shares_issued'])} shares at {price(cheap['price'])} but "
                 f"{share_count(dear['shares_issued'])} at {price(dear['price'])}: a low price costs more dilution.")
    return text


def option_value_words(status) -> str:
    """The grant-date fair value, how it was priced (the volatility estimator named), break-even and
    value at expiry: the same words on the Engagement page and in the report."""
    from analytics.constants import DEFAULT_RISK_FREE_RATE, DEFAULT_VOL_WINDOW

    vol = getattr(status, "volatility_method", "") or f"daily log returns of the previous {DEFAULT_VOL_WINDOW} trading days"
    text = (f"Grant-date fair value {money(status.grant_date_fair_value)} (Black-Scholes with a volatility of "
            f"{status.volatility:.0%} a year from {vol}, and a risk-free rate of {DEFAULT_RISK_FREE_RATE:.0%} a "
            f"year). Break-even price {price(status.break_even)}.")
    if np.isfinite(status.value_at_expiry):
        text += f" Value at expiry {money(status.value_at_expiry)}."
    return text


def option_sentence(status) -> str:
    """One option grant (:class:`analytics.options.OptionStatus`) in words: status, fair value, break-even."""
    return (f"Option on {share_count(status.shares)} shares at a strike of {price(status.strike)}: {status.status}. "
            + option_value_words(status))


def _sections(acc, acts, cost, dilution, around, whole, window, av, inputs, s) -> dict:
    """The AMEC sections (inputs to impact) in sentences, each figure with its uncertainty."""
    out: dict[str, list[str]] = {"Inputs": [], "Activities": [], "Outtakes": [], "Outcomes": [], "Impact": []}
    if acc is not None:
        e = acc.engagement
        months = int(e["minimum_months"]) if pd.notna(e.get("minimum_months")) else 0
        out["Inputs"].append(f"{e.get('consultant')} was retained from {pd.Timestamp(e['start_date']):%Y-%m-%d} for "
                             f"{money(e.get('retainer_amount'))} a month paid in stock (minimum "
                             f"{count(months, 'month')}).")
        c = cost_sentence(acc.inputs["costs_by_kind"], len(acts))
        if c:
            out["Inputs"].append(c)
        r = retainer_sentence(acc.inputs.get("retainer"))
        if r:
            out["Inputs"].append(r)
        for status in (acc.consultant.get("options") or [])[:1]:
            out["Inputs"].append(option_sentence(status))
        out["Inputs"].append(dilution["words"])
    if len(acts):
        counts = acts["type"].value_counts()
        listing = ", ".join(f"{activity_label(t)} ({n})" for t, n in counts.items())
        out["Activities"].append(f"{count(len(acts), 'activity')} {'was' if len(acts) == 1 else 'were'} logged in "
                                 f"the period, by type: {listing}.")
    if acc is None:
        if len(acts) and "reach" in acts and acts["reach"].notna().any():
            out["Outtakes"].append(f"The activities reached {acts['reach'].fillna(0).sum():,.0f} recipients by "
                                   "their logged reach.")
        out["Impact"].append("No engagement account: the client needs an engagement and its ticker's prices.")
        return out
    takes = acc.outtakes
    n_acts = int(acc.activities["n"].sum()) if "n" in acc.activities else 0
    inquiries = int(takes["inquiries"].sum())
    if takes["n_with_reach"].sum():
        out["Outtakes"].append(
            f"The activities reached {takes['reach'].sum():,.0f} recipients by their logged reach "
            f"({int(takes['n_with_reach'].sum())} of the {count(n_acts, 'activity')} have a reach logged); "
            f"{count(inquiries, 'shareholder inquiry', 'shareholder inquiries')} logged.")
    elif inquiries:
        out["Outtakes"].append(f"{count(inquiries, 'shareholder inquiry', 'shareholder inquiries')} logged; "
                               "no reach recorded for the activities.")
    elif n_acts:
        out["Outtakes"].append("No reach and no shareholder inquiries are logged, so outtakes cannot be reported: "
                               "give each activity its reach (recipients of a mailing, attendees of a "
                               "conference) and log shareholder inquiries on the Activities page.")
    out["Outcomes"] += liquidity_sentences(acc.outcomes)
    volume = abnormal_volume_sentence(av, window)
    if volume:
        out["Outcomes"].append(volume)
    if around is not None:
        out["Impact"].append(f"{AROUND_NAME}: {around.text}: {around.verdict}. Summed over the activities' event "
                             f"windows ({window_text(window)}), each trading day counted once. Against the "
                             f"programme cost of {money(cost['total'])}: {around.roi_words}.")
    period = acc.impact.get("period")
    if whole is not None and period is not None:
        out["Impact"].append(f"{WHOLE_NAME} ({period.start:%Y-%m-%d} to {period.end:%Y-%m-%d}, against the "
                             f"pre-engagement market model): {whole.text}: {whole.verdict}. Against the programme "
                             f"cost: {whole.roi_words}.")
    if around is not None or whole is not None:
        out["Impact"].append(DIFFERENCE_NOTE)
    persisted = persistence_sentence(acc.impact.get("persistence"))
    if persisted:
        out["Impact"].append(persisted)
    return out


# --- words and numbers for executives (the report and the pages print them) ----------------------

MINUS = "\u2212"  # a real minus sign: "-$6.2M" reads as a dash in print


def money(v, *, exact: bool = False) -> str:
    """Dollars for a reader: ``$3,500``, ``$23k``, ``$6.3M``, ``-$6.2M`` (true minus); ``n/a`` when unknown.

    ``exact`` keeps whole dollars (``$3,500``) whatever the size, for tables of payments.
    """
    if v is None or (isinstance(v, float) and math.isnan(v)) or pd.isna(v):
        return "n/a"
    v = float(v)
    a, sign = abs(v), MINUS if v < 0 and round(abs(v)) > 0 else ""
    if exact or a < 1e4:
        return f"{sign}${a:,.0f}"
    if a >= 1e9:
        return f"{sign}${a / 1e9:,.1f}B"
    if a >= 1e6:
        return f"{sign}${a / 1e6:,.1f}M"
    return f"{sign}${a / 1e3:,.0f}k"


def price(v) -> str:
    """A share price, never rounded to cents: ``$0.0250`` (4 decimals under $1), ``$12.35``."""
    if v is None or pd.isna(v):
        return "n/a"
    return f"${v:,.4f}" if abs(v) < 1 else f"${v:,.2f}"


def percent(v, decimals: int = 0, *, signed: bool = False) -> str:
    """A fraction as a percentage with a true minus sign: ``+257%``, ``-7,057%``, ``0.59%``."""
    if v is None or not np.isfinite(v):
        return "n/a"
    text = f"{abs(v) * 100:,.{decimals}f}%"
    if v < 0 and text.strip("0.,%"):
        return MINUS + text
    return ("+" if signed and v > 0 else "") + text


def share_count(n) -> str:
    """A number of shares, whole, the one way every page, the report and its tables write it: ``5,000,000``.

    Rounded to the nearest share (``358,207.6`` -> ``358,208``); ``n/a`` when unknown.
    """
    if n is None or pd.isna(n):
        return "n/a"
    return f"{float(n):,.0f}"


def count(n: float, noun: str, plural: str | None = None) -> str:
    """``1 activity``, ``35 activities``, ``11 cost items`` (thousands separated)."""
    n = int(n)
    word = noun if n == 1 else (plural or (noun[:-1] + "ies" if noun.endswith("y") and noun[-2:-1] not in "aeiou"
                                            else noun + "s"))
    return f"{n:,} {word}"


def window_text(window) -> str:
    """An event window in words: ``days -1 to +1``."""
    a, b = int(window[0]), int(window[1])
    fmt = lambda d: f"{MINUS}{abs(d)}" if d < 0 else (f"+{d}" if d > 0 else "0")  # noqa: E731
    return f"days {fmt(a)} to {fmt(b)}"


def p_text(p: float) -> str:
    if p is None or not np.isfinite(p):
        return "p n/a"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}" if p < 0.01 else f"p = {p:.2f}"


#: Column formats of :func:`format_table`.
_FORMATS = {
    "text": lambda v: "" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v),
    "int": lambda v: "" if pd.isna(v) else f"{int(v):,}",
    "date": lambda v: "" if pd.isna(v) else f"{pd.Timestamp(v):%Y-%m-%d}",
    "money": lambda v: "" if pd.isna(v) else money(v),
    "dollars": lambda v: "" if pd.isna(v) else money(v, exact=True),
    "price": lambda v: "" if pd.isna(v) else price(v),
    "shares": lambda v: "" if pd.isna(v) else share_count(v),
    "pct": lambda v: "" if pd.isna(v) else percent(v, 2),
}


def format_table(frame: pd.DataFrame, columns: list[tuple[str, str, str]]) -> pd.DataFrame:
    """The ``(column, label, format)`` subset of ``frame`` as display strings under human labels.

    Formats: ``text, int, date, money`` ($23k), ``dollars`` ($3,500), ``price`` (4 decimals under $1),
    ``shares`` (thousands separated), ``pct`` (a fraction shown as a percentage, 2 decimals). Columns
    missing from ``frame`` are left out.
    """
    out = pd.DataFrame(index=frame.index)
    for col, label, kind in columns:
        if col in frame:
            out[label] = frame[col].map(_FORMATS[kind])
    return out.reset_index(drop=True)


RETAINER_COLUMNS = [
    ("payment_no", "No.", "int"), ("payment_date", "Paid on", "date"), ("status", "Status", "text"),
    ("amount", "Retainer (USD)", "dollars"), ("price", "Price per share", "price"),
    ("shares_issued", "Shares issued", "shares"), ("cumulative_shares", "Cumulative shares", "shares"),
    ("cumulative_dilution", "Cumulative dilution", "pct"), ("value_at_issue", "Value when issued", "dollars"),
    ("value_marked", "Value at last close", "dollars"),
]

COST_COLUMNS = [("label", "Cost item", "text"), ("cost", "Cost (USD)", "money"),
                ("shares", "Shares issued or under option", "shares"), ("n_items", "Items", "int")]


def retainer_table(schedule: pd.DataFrame) -> pd.DataFrame:
    """The retainer schedule for print: payment, date, price, shares, dilution, value (status only if mixed)."""
    cols = RETAINER_COLUMNS
    if "status" in schedule and set(schedule["status"].dropna()) <= {"issued"}:
        cols = [c for c in cols if c[0] != "status"]
    return format_table(schedule, cols)


def cost_items_table(by_kind: pd.DataFrame) -> pd.DataFrame:
    """Program cost by kind with the total row (shares: the dilution each kind brings)."""
    frame = by_kind.assign(shares=by_kind["shares"].where(by_kind["shares"] > 0)) if "shares" in by_kind else by_kind
    return format_table(frame, COST_COLUMNS)


# --- outcomes: liquidity before vs during -------------------------------------------------------------

SIGNIFICANCE = 0.10  # the complement of the report's 90% intervals

# measure -> (what it is, how to print a level, word when it rises, word when it falls)
_LIQUIDITY = {
    "turnover": ("Daily turnover (shares traded as a share of shares outstanding)",
                 lambda v: percent(v, 3), "rose", "fell"),
    "zero_volume_share": ("The share of days without a single trade", lambda v: percent(v, 0), "rose", "fell"),
    "dollar_volume": ("Average daily dollar volume", money, "rose", "fell"),
    "amihud": ("Amihud illiquidity (the average daily price move, up or down, per dollar traded)", None,
               "rose", "fell"),
    "cs_spread": ("The estimated bid-ask spread (Corwin-Schultz, from daily highs and lows)",
                  lambda v: percent(v, 1), "widened", "narrowed"),
}
_BETTER_WHEN_LOWER = {"zero_volume_share", "amihud", "cs_spread"}


def _amihud_unit(a: float, b: float, scale: float):
    """Amihud as the price move per $1,000 or per $1 million traded (whichever reads under 100%).

    Returns ``(unit, format)``: ``format(v)`` prints a level ``v`` (per ``scale`` dollars) as a percentage.
    """
    per_dollar = max(abs(a) if np.isfinite(a) else 0, abs(b) if np.isfinite(b) else 0) / scale
    unit, mult = ("$1 million", 1e6) if per_dollar * 1e6 < 1 else ("$1,000", 1e3)
    base = 1 if per_dollar * mult >= 0.01 else 3
    # as many decimals (up to 3 more) as it takes for two different levels not to print the same
    decimals = next((d for d in range(base, base + 4)
                     if not (np.isfinite(a) and np.isfinite(b) and a != b)
                     or percent(a / scale * mult, d) != percent(b / scale * mult, d)), base + 3)
    return unit, lambda v: percent(v / scale * mult, decimals)


def liquidity_sentences(outcomes: dict, level: float = SIGNIFICANCE) -> list[str]:
    """Before vs during the engagement in words, each change with its test (``account.outcomes``)."""
    liq, test = outcomes.get("liquidity"), outcomes.get("liquidity_test")
    if liq is None or test is None or len(liq) < 2 or test.empty:
        return []
    try:
        from analytics.liquidity import AMIHUD_SCALE
    except ImportError:  # pragma: no cover
        AMIHUD_SCALE = 1e6
    before, during = liq.iloc[0], liq.iloc[1]
    span = lambda r: (f"{pd.Timestamp(r['start']):%Y-%m-%d} to {pd.Timestamp(r['end']):%Y-%m-%d}, "  # noqa: E731
                      f"{count(r['n_days'], 'trading day')}")
    out = []
    rows = test.set_index("measure")
    better = worse = 0
    for measure, (what, fmt, up, down) in _LIQUIDITY.items():
        if measure not in rows.index:
            continue
        r = rows.loc[measure]
        a, b, p = float(r["value_a"]), float(r["value_b"]), float(r["p_value"])
        if not (np.isfinite(a) and np.isfinite(b)):
            if measure == "turnover":
                out.append("Turnover is not available: the shares outstanding are not recorded.")
            continue
        unit = ""
        if measure == "amihud":
            per, fmt = _amihud_unit(a, b, AMIHUD_SCALE)
            unit = f" per {per} traded"
        elif measure == "cs_spread":
            unit = " of the price"
        la, lb = fmt(a), fmt(b)
        if b == a:
            move = f"was unchanged at {la}{unit}"
        else:
            move = f"{up if b > a else down} from {la} to {lb}{unit}"
            if a > 0 and b > 0 and measure in ("turnover", "dollar_volume"):
                ratio = b / a
                move += f" ({ratio:,.1f} times as much)" if ratio >= 1.5 else ""
        test_name = "Fisher's exact test" if r["test"] == "fisher_exact" else {
            "mannwhitney": "Mann-Whitney test", "welch": "Welch t-test", "hac": "Newey-West t-test"}.get(
            r["test"], str(r["test"]).replace(" (", ": ").rstrip(")"))  # a described test: no nested brackets
        if np.isfinite(p) and p < level:
            verdict = f"a significant change ({test_name}, {p_text(p)})"
            lower = b < a
            better += lower == (measure in _BETTER_WHEN_LOWER)
            worse += lower != (measure in _BETTER_WHEN_LOWER)
        elif np.isfinite(p):
            verdict = f"not distinguishable from no change ({test_name}, {p_text(p)})"
        else:
            verdict = "too few days to test"
        extra = (" Part of a change in dollar volume is the change in price: the same shares traded at a higher "
                 "price count for more dollars." if measure == "dollar_volume" and b > a else "")
        out.append(f"{what} {move}: {verdict}.{extra}")
    n = sum(1 for m in _LIQUIDITY if m in rows.index and np.isfinite(rows.loc[m, "value_a"])
            and np.isfinite(rows.loc[m, "value_b"]))
    head = (f"Trading before the engagement ({span(before)}) against trading during it ({span(during)}): ")
    if better or worse:
        head += ("liquidity improved significantly on " + (f"all {n} measures" if better == n else
                                                            f"{better} of the {n} measures")
                 + (f" and worsened significantly on {worse}" if worse else "") + ".")
    else:
        head += "no measure of liquidity changed significantly."
    out.insert(0, head)
    out.append("The tests treat the days as independent; liquidity persists from day to day, so the p-values "
               "overstate the evidence somewhat.")
    return out


_TABLE_MEASURES = {
    "turnover": ("Daily turnover (% of shares)", lambda v: percent(v, 3)),
    "zero_volume_share": ("Days without a trade", lambda v: percent(v, 0)),
    "dollar_volume": ("Daily dollar volume", money),
    "amihud": ("Amihud illiquidity", None),  # the unit is chosen from the values (_amihud_unit)
    "cs_spread": ("Bid-ask spread (Corwin-Schultz)", lambda v: percent(v, 1)),
}


def liquidity_table(outcomes: dict) -> pd.DataFrame | None:
    """Before, during and the test of the difference per liquidity measure, for print (None without them)."""
    test = outcomes.get("liquidity_test")
    if test is None or test.empty:
        return None
    rows = []
    for _, r in test.set_index("measure").reindex(list(_TABLE_MEASURES)).dropna(how="all").iterrows():
        label, fmt = _TABLE_MEASURES[r.name]
        if r.name == "amihud":
            from analytics.liquidity import AMIHUD_SCALE

            per, fmt = _amihud_unit(float(r["value_a"]), float(r["value_b"]), AMIHUD_SCALE)
            label = f"Price move per {per} traded (Amihud)"
        show = lambda v: fmt(v) if np.isfinite(v) else "n/a"  # noqa: E731
        p = float(r["p_value"])
        rows.append({"Measure": label, "Before": show(float(r["value_a"])), "During": show(float(r["value_b"])),
                     "Test": "Fisher exact" if r["test"] == "fisher_exact" else
                     {"mannwhitney": "Mann-Whitney", "welch": "Welch t", "hac": "Newey-West t"}.get(
                         r["test"], str(r["test"]).split(" (")[0].capitalize()),  # the details: in the sentences
                     "p-value": p_text(p).replace("p = ", "").replace("p ", "") if np.isfinite(p) else "n/a",
                     "Significant (10%)": ("yes" if p < SIGNIFICANCE else "no") if np.isfinite(p) else "n/a"})
    return pd.DataFrame(rows) if rows else None


#: the engine's abnormal-volume columns that say how much more the stock traded, in plain numbers
VOLUME_CHANGE_COLUMNS = ("mean_ratio", "traded_share_est", "traded_share_event", "measure", "ratio_measure")


def abnormal_volume_sentence(av: pd.DataFrame | None, window, t_cut: float = 1.645) -> str | None:
    """The activities' trading around their event window, in plain numbers.

    The ratio of *mean* daily volume (turnover with shares outstanding) in the window to the
    estimation window and the change in the share of days traded (medians over the activities,
    :func:`analytics.volume.volume_change_summary`), with the test's measure named
    (:func:`analytics.volume.volume_change_sentence`); then how many activities had volume
    significantly above normal by the Campbell-Wasley test. The geometric mean of log(1+v) is not
    used for "times normal": on a stock that trades half its days it measures whether it traded,
    not how much (issue 9).
    """
    if av is None or av.empty or "abnormal_volume" not in av:
        return None
    cav = pd.to_numeric(av["abnormal_volume"], errors="coerce").dropna()
    if cav.empty:
        return None
    from analytics.volume import volume_change_sentence, volume_change_summary

    if all(c in av for c in VOLUME_CHANGE_COLUMNS):
        s = volume_change_summary(av)
        text = volume_change_sentence(s["mean_ratio"], s["traded_share_est"], s["traded_share_event"],
                                      s["measure"], ratio_measure=s["ratio_measure"],
                                      window=window_text(window), n_events=s["n"])
    else:
        text = f"Around the activities ({window_text(window)}), abnormal volume was measured."
    if "abnormal_volume_t" in av:
        n_up = int((pd.to_numeric(av["abnormal_volume_t"], errors="coerce") > t_cut).sum())
        text += (f" By that test, {n_up} of the {count(len(cav), 'activity')} had volume significantly above "
                 f"normal (t above {t_cut:.2f}).")
    return text


# --- impact -----------------------------------------------------------------------------------------

def value_sentence(value: float, low: float, high: float, level: float = 0.90) -> str:
    """An abnormal value with its interval; "not distinguishable from zero" when the interval covers 0."""
    if not all(np.isfinite([value, low, high])):
        return "abnormal value not available."
    return f"{money(value)} ({level:.0%} interval {money(low)} to {money(high)}): {value_interval_phrase(low, high)}."


def roi_sentence(result) -> str:
    """An :class:`analytics.roi.RoiResult` in words with its verdict, the interval's method named.

    Beyond +-1,000% the percentages give way to "the interval is too wide to say" (:func:`roi_words`).
    """
    r, lo, hi = result.roi, result.roi_low, result.roi_high
    if not np.isfinite([r, lo, hi]).all():
        return "ROI not available: the cost or the abnormal value is unknown."
    if lo <= 0 <= hi:
        verdict = "not distinguishable from zero; the value created cannot be told apart from the programme's cost"
    elif lo > 0:
        verdict = "positive; the value created exceeded the programme's cost"
    else:
        verdict = "negative; the value created fell short of the programme's cost"
    return f"{roi_words(result)}: {verdict}. Interval: {result.method}."


def persistence_sentence(pers: pd.DataFrame | None, horizon: int = 60) -> str | None:
    """Did the reactions last ``horizon`` trading days: the drift test of :func:`analytics.roi.persistence`.

    "Reversed" only where the post-window drift is significantly against the reaction; otherwise
    "no significant reversal" or "cannot tell" (:func:`analytics.roi.persistence_sentence`).
    """
    from analytics.roi import persistence_sentence as drift_sentence

    return drift_sentence(pers, horizon)


def cost_sentence(by_kind: pd.DataFrame, n_activities: int | None = None) -> str | None:
    """Program cost in total and by kind, with the items left out for want of a cost."""
    if by_kind is None or by_kind.empty or "kind" not in by_kind:
        return None
    rows = by_kind.set_index("kind")
    if "total" not in rows.index:
        return None
    parts = [f"{str(r['label']).split(' (')[0].lower().replace('option grant', 'option')} {money(r['cost'])}"
             for k, r in rows.iterrows() if k != "total" and pd.notna(r["cost"]) and r["cost"] > 0]
    text = f"Program cost {money(rows.loc['total', 'cost'])}"
    text += (": " + ", ".join(parts)) if parts else ""
    text += " (retainer shares at their value when issued, the option at its grant-date fair value)."
    unknown = int(rows.loc["total"].get("n_cost_unknown", 0) or 0)
    if unknown:
        act_unknown = int(rows.loc["activity"].get("n_cost_unknown", 0) or 0) if "activity" in rows.index else 0
        if act_unknown == unknown and n_activities:
            text += f" {unknown} of the {count(n_activities, 'activity')} have no logged cost and are left out."
        else:
            text += f" {count(unknown, 'cost item')} with no known cost {'is' if unknown == 1 else 'are'} left out."
    return text


def plain_note(note: str) -> str:
    """An analytics note in plain words: ``11 cost item(s) have`` becomes ``11 cost items have``."""
    import re

    def _fix(m):
        n = int(m.group(1))
        verb = m.group(3) and (" has" if n == 1 else " have")
        return count(n, m.group(2)) + (verb or "")

    return re.sub(r"(\d+) (cost item|financing|payment)\(s\)( have| has)?", _fix, note)


# --- the contract in words (the Engagement page and the terms form) -------------------------------

def first_engagement(engagements: pd.DataFrame) -> pd.Series:
    """The engagement the pages show: the client's earliest by start date."""
    return engagements.sort_values("start_date").iloc[0]


def price_rule_words(e) -> str:
    """How each retainer payment's price is chosen, in words."""
    if e.get("retainer_price_rule") == "avg_close_prior_n" and pd.notna(e.get("retainer_price_days")):
        return f"the average close of the {int(e['retainer_price_days'])} trading days before it"
    return "the close on the payment date"


def plain_text(v) -> str:
    """Stored text or "" (an empty cell reads as nothing, never "nan" or "None")."""
    return "" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)


def contract_terms(engagements: pd.DataFrame, grants: pd.DataFrame, financings: pd.DataFrame) -> dict:
    """Headline terms of the client's first engagement, written: ``metrics`` (label, value, help), ``notes``,
    ``consultant``.

    Finder's fees are ``sum(amount x fee_rate)`` over the financings; share counts are written by
    :func:`share_count`, as everywhere else.
    """
    e = first_engagement(engagements)
    metrics = [
        ("Signed", f"{pd.Timestamp(e['signed_date']):%Y-%m-%d}" if pd.notna(e.get("signed_date")) else "n/a", None),
        ("Retainer", f"{money(e.get('retainer_amount'))} a month",
         f"Paid in stock, each payment priced at {price_rule_words(e)}"),
        ("Minimum", f"{int(e['minimum_months'])} months" if pd.notna(e.get("minimum_months")) else "n/a", None),
    ]
    g = _frame(grants)
    if not g.empty:
        first = g.sort_values("grant_date").iloc[0]
        metrics.append(("Option", f"{share_count(first['shares'])} @ {price(first['strike'])}",
                        f"{share_count(first['shares'])} shares at a strike of {price(first['strike'])}, expiring "
                        f"{pd.Timestamp(first['expiry_date']):%Y-%m-%d}"))
    f = _frame(financings)
    if not f.empty:
        fees = float((f["amount"] * f["fee_rate"]).sum())
        metrics.append(("Finder's fees", money(fees), f"{len(f)} financing(s), amount x fee rate"))
    return {"metrics": metrics, "notes": plain_text(e.get("notes")),
            "consultant": plain_text(e.get("consultant")) or "n/a"}
