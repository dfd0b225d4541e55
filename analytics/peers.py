"""The client against its peers: daily measures, the leave-one-out peer median, and a difference in differences.

Daily measures per ticker (:func:`peer_daily`, reusing :func:`analytics.liquidity.daily_liquidity` and
:func:`analytics.shares.shares_outstanding_daily`): close, volume, dollar volume ``close x volume``,
traded ``volume > 0``, turnover ``volume / shares outstanding`` (NaN where shares are unknown), the
Corwin-Schultz (2012) two-day spread, and the log measure of trading of
:func:`analytics.volume.log_volume_measure` (log turnover when every ticker's shares are known, else
``log(1 + volume)``).

The peer median **leaves the client out** (:func:`leave_one_out_median`): on each day, the median of
the measure over the peers that have a value that day, the client excluded even when it is listed
among its own peers (a client in its own benchmark pulls the benchmark towards itself; the peer-average
convention of Nasdaq IR and S&P Quick Comps).

Difference in differences (:func:`peer_did`). With the client ``c`` and its peers' daily median
``m_t`` (client left out), the difference series is ``d_t = x_{c,t} - m_t`` and

    DiD = mean_post(d) - mean_pre(d)
        = [mean_post(x_c) - mean_pre(x_c)] - [mean_post(m) - mean_pre(m)]

over the days where ``d_t`` is observed: the client's change minus the peers' (median) change over the
same dates. ``post`` is the engagement, ``pre`` the same number of the client's trading days just
before it (:func:`matched_periods`). With two peers the daily median is their mean, and DiD equals the
interaction coefficient of the OLS ``x_it = a_i + b post_t + DiD (client_i x post_t) + e_it`` on the
three-stock panel (tested against statsmodels).

The interval. One treated stock and a handful of peers leave no cross-section to estimate a standard
error from (Conley and Taber 2011: with few treated units the usual clustered errors are wrong, and the
distribution of the controls' placebo estimates is the reference). Two placebo readings:

- **split-date placebo** of the difference series (:func:`analytics.liquidity.split_date_placebo`): the
  same DiD at every other split date of the client's history, the window lengths and their gap kept.
  The interval inverts it as Conley and Taber (2011) do: ``[DiD - q_hi, DiD - q_lo]`` with ``q_lo, q_hi``
  the ``(1 - level) / 2`` and ``(1 + level) / 2`` quantiles of the placebo DiDs (the actual split left
  out). Its p-value is the share of placebo DiDs at least as large in absolute value. It assumes the gap
  to the peers has no other break at the engagement's start; the placebo windows overlap, so the draws
  are not independent; placebo windows that hold part of the engagement carry its effect and widen the
  interval (conservative). With fewer than ``min_placebo`` split dates it falls back to Newey-West
  errors of the difference series (Andrews 1991 lag), said in ``method``;
- **peer placebo** (Conley-Taber style across units): each peer in turn treated, against the median of
  the other peers (client left out), over the same dates. The client's rank among these ``1 + P`` DiDs
  gives ``p = (number with |DiD| >= |DiD_client|) / (1 + P)``; with 3 peers it cannot go below 0.25, so
  with few peers the interval rests on the client's own history, and the sentence says so.

Words (:func:`did_reading`): "improved beyond the peers" only when the interval excludes zero on the
improving side (more trading, or a narrower spread); "worsened against the peers" on the other side;
otherwise "the peers moved too" when the peers' own change is at least half the client's in the same
direction, or "cannot tell" when it is not.

References
----------
Conley, T. G., Taber, C. R. (2011). Inference with "difference in differences" with a small number of
policy changes. Review of Economics and Statistics 93(1), 113-125.
Corwin, S. A., Schultz, P. (2012). A simple way to estimate bid-ask spreads from daily high and low
prices. Journal of Finance 67(2), 719-760.
Campbell, C. J., Wasley, C. E. (1996). Measuring abnormal daily trading volume. Review of
Quantitative Finance and Accounting 6(3), 309-326 (the log turnover measure).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from analytics.amec import AmecRow
from analytics.constants import LIQUIDITY_MIN_PLACEBO_SPLITS, LOG_TURNOVER_EPSILON, ROI_INTERVAL_LEVEL
from analytics.liquidity import PRICE_LEVEL_NOTES, andrews_bartlett_lags, daily_liquidity, split_date_placebo
from analytics.volume import DEFAULT_TURNOVER_SCALE

__all__ = [
    "CHART_MEASURES",
    "DID_MEASURES",
    "PEER_TRAILING_DAYS",
    "peer_daily",
    "measure_wide",
    "abnormal_volume_measure",
    "leave_one_out_median",
    "peer_comparison",
    "matched_periods",
    "difference_series",
    "peer_did",
    "did_reading",
    "peer_amec_rows",
    "format_measure",
    "method_sentence",
]

#: Measures the comparison chart offers: code -> label. ``close`` is rebased to 100 at the period start;
#: the others are trailing means over ``PEER_TRAILING_DAYS`` days, compared as client / peer median.
CHART_MEASURES: dict[str, str] = {
    "close": "Price (rebased to 100)",
    "volume": "Volume (shares a day)",
    "dollar_volume": "Dollar volume (USD a day)",
    "traded": "Share of days traded",
    "turnover": "Turnover (share of shares outstanding a day)",
}
#: Measures of the difference in differences: code -> label.
DID_MEASURES: dict[str, str] = {
    "abnormal_volume": "Abnormal volume (mean log volume)",
    "traded": "Share of days traded",
    "turnover": "Turnover",
    "dollar_volume": "Dollar volume",
    "cs_spread": "Corwin-Schultz spread",
}
#: +1: a rise is an improvement of liquidity; -1: a fall is (a narrower spread).
IMPROVES: dict[str, int] = {"abnormal_volume": 1, "traded": 1, "turnover": 1, "dollar_volume": 1, "cs_spread": -1}
#: Trailing trading days of the chart's volume-type measures (a single day of a thin stock is mostly zeros).
PEER_TRAILING_DAYS = 20
#: The peers' change counts as "the sector moved too" when it is at least this share of the client's.
SECTOR_SHARE = 0.5

DAILY_COLUMNS = ["ticker", "date", "close", "volume", "dollar_volume", "traded", "turnover", "cs_spread",
                 "log_volume", "log_turnover"]


# ---- daily measures -----------------------------------------------------------------------------

def _frame_for(frame, ticker: str):
    if frame is None or len(frame) == 0:
        return None
    if "ticker" not in frame:
        return frame
    part = frame[frame["ticker"].astype(str).str.upper() == ticker]
    return part if len(part) else None


def peer_daily(bars: pd.DataFrame, shares_outstanding: pd.DataFrame | None = None,
               splits: pd.DataFrame | None = None) -> pd.DataFrame:
    """Daily measures of several tickers, long: one row per ticker and bar.

    Parameters
    ----------
    bars : pandas.DataFrame
        Canonical bars ``ticker, date, high, low, close, volume`` (``adj_close`` optional) of the client
        and its peers.
    shares_outstanding : pandas.DataFrame, optional
        ``ticker, date, shares`` reports (each ticker's own; restated through its splits).
    splits : pandas.DataFrame, optional
        ``ticker, date, ratio``.

    Returns
    -------
    pandas.DataFrame
        Columns ``DAILY_COLUMNS``: ``dollar_volume = close x volume``, ``traded = volume > 0`` (1.0 / 0.0),
        ``turnover = volume / shares`` (NaN without shares), ``cs_spread`` (Corwin and Schultz 2012, NaN
        unless the day and the one before traded), ``log_volume = log(1 + volume)``, ``log_turnover =
        log(100 volume / shares + 0.000255)`` (Campbell and Wasley 1996; NaN without shares). Sorted by
        ticker and date.
    """
    missing = [c for c in ("ticker", "date", "high", "low", "close", "volume") if c not in bars]
    if missing:
        raise ValueError(f"peer_daily needs bars with ticker, date, high, low, close and volume; missing {missing}")
    parts = []
    for ticker in sorted(bars["ticker"].astype(str).str.upper().unique()):
        b = bars[bars["ticker"].astype(str).str.upper() == ticker]
        shares = _frame_for(shares_outstanding, ticker)
        sp = _frame_for(splits, ticker)
        d = daily_liquidity(b, None if shares is None else shares[["date", "shares"]],
                            splits=None if sp is None else sp[["date", "ratio"]])
        with np.errstate(invalid="ignore", divide="ignore"):  # log_volume_measure's formula, from turnover
            log_turnover = np.log(DEFAULT_TURNOVER_SCALE * d["turnover"].to_numpy() + LOG_TURNOVER_EPSILON)
        parts.append(pd.DataFrame({
            "ticker": ticker, "date": d.index, "close": d["close"].to_numpy(), "volume": d["volume"].to_numpy(),
            "dollar_volume": d["dollar_volume"].to_numpy(), "traded": (d["volume"].to_numpy() > 0).astype(float),
            "turnover": d["turnover"].to_numpy(), "cs_spread": d["cs_spread"].to_numpy(),
            "log_volume": np.log1p(d["volume"].to_numpy()), "log_turnover": log_turnover,
        }))
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="datetime64[ns]" if c == "date" else ("str" if c == "ticker"
                                                                                       else "float64"))
                             for c in DAILY_COLUMNS})
    return pd.concat(parts, ignore_index=True)[DAILY_COLUMNS]


def measure_wide(daily: pd.DataFrame, measure: str) -> pd.DataFrame:
    """One measure as a date x ticker table (``abnormal_volume``: log turnover when every ticker has it,
    else log volume, so all tickers are measured alike)."""
    column = abnormal_volume_measure(daily) if measure == "abnormal_volume" else measure
    if column not in daily:
        raise ValueError(f"unknown measure {measure!r}: use one of {sorted(set(CHART_MEASURES) | set(DID_MEASURES))}")
    return daily.pivot_table(index="date", columns="ticker", values=column, aggfunc="first", dropna=False).sort_index()


def abnormal_volume_measure(daily: pd.DataFrame) -> str:
    """``"log_turnover"`` or ``"log_volume"``: which log measure :func:`measure_wide` uses for abnormal volume."""
    return "log_turnover" if daily["log_turnover"].notna().groupby(daily["ticker"]).any().all() else "log_volume"


def leave_one_out_median(wide: pd.DataFrame, leave_out, peers=None) -> pd.DataFrame:
    """Per day, the median of the peers' values with ``leave_out`` excluded.

    Parameters
    ----------
    wide : pandas.DataFrame
        Date x ticker values (:func:`measure_wide`).
    leave_out : str or iterable of str
        Ticker(s) never counted (the client; for a peer placebo, that peer and the client).
    peers : iterable of str, optional
        The peer columns (default: every column but ``leave_out``).

    Returns
    -------
    pandas.DataFrame
        Indexed by date: ``median`` (NaN when no peer has a value that day) and ``n_peers`` (peers with a
        value).
    """
    out = {leave_out.upper()} if isinstance(leave_out, str) else {str(t).upper() for t in leave_out}
    cols = [c for c in (wide.columns if peers is None else [str(p).upper() for p in peers])
            if c in wide.columns and c not in out]
    sub = wide[cols]
    return pd.DataFrame({"median": sub.median(axis=1, skipna=True), "n_peers": sub.notna().sum(axis=1).astype(int)},
                        index=wide.index)


# ---- the comparison chart ---------------------------------------------------------------------

def peer_comparison(daily: pd.DataFrame, client: str, measure: str = "close", start=None, end=None,
                    window: int = PEER_TRAILING_DAYS) -> pd.DataFrame:
    """The client against the leave-one-out peer median over ``[start, end]``, for the chart.

    Parameters
    ----------
    daily : pandas.DataFrame
        :func:`peer_daily` of the client and its peers.
    client : str
        The client's ticker.
    measure : str
        A key of ``CHART_MEASURES``.
    start, end : date-like, optional
        Inclusive period (open when None).
    window : int
        Trailing trading days of the volume-type measures (1: the raw daily values).

    Returns
    -------
    pandas.DataFrame
        ``date, client, peer_median, ratio, n_peers`` on the client's days in the period. ``close``: each
        ticker rebased to 100 on its first close in the period, ``client = 100 c_t / c_0``, ``peer_median`` =
        median of the peers' rebased closes; the others: each ticker's trailing ``window``-day mean (over
        its days with a value, the window reaching back before ``start``), then the median over the peers.
        ``ratio = client / peer_median`` (NaN where the median is 0 or missing).
    """
    if measure not in CHART_MEASURES:
        raise ValueError(f"measure {measure!r}: use one of {', '.join(CHART_MEASURES)}")
    client = str(client).upper()
    wide = measure_wide(daily, measure)
    if client not in wide.columns:
        raise ValueError(f"no bars of the client {client} in the data given")
    wide = wide[wide.index.isin(daily.loc[daily["ticker"] == client, "date"])]  # the client's trading days
    if measure != "close" and window > 1:
        wide = wide.rolling(int(window), min_periods=1).mean()
    lo = pd.Timestamp(start) if start is not None else wide.index.min()
    hi = pd.Timestamp(end) if end is not None else wide.index.max()
    wide = wide[(wide.index >= lo) & (wide.index <= hi)]
    if measure == "close":
        first = wide.apply(lambda s: s.dropna().iloc[0] if s.notna().any() else np.nan)
        wide = 100.0 * wide / first
    med = leave_one_out_median(wide, client)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = wide[client].to_numpy(float) / med["median"].to_numpy(float)
    ratio = np.where(np.isfinite(ratio), ratio, np.nan)
    return pd.DataFrame({"date": wide.index, "client": wide[client].to_numpy(float),
                         "peer_median": med["median"].to_numpy(float), "ratio": ratio,
                         "n_peers": med["n_peers"].to_numpy()}).reset_index(drop=True)


# ---- difference in differences ------------------------------------------------------------------

Period = tuple[pd.Timestamp, pd.Timestamp]


def matched_periods(dates, start, end=None) -> tuple[Period, Period]:
    """The engagement ``[start, end]`` and the pre-period of as many trading days just before it.

    Parameters
    ----------
    dates : array_like of dates
        The client's trading days (its bars).
    start, end : date-like
        The engagement (``end`` None: the last bar).

    Returns
    -------
    ((pre_first, pre_last), (post_first, post_last))
        Dates of bars. The pre-period has ``n_post`` days, or every day before ``start`` when the history is
        shorter. ValueError when no bar lies in the engagement or none before it.
    """
    idx = pd.DatetimeIndex(sorted(pd.to_datetime(pd.Index(dates)).unique()))
    lo = pd.Timestamp(start)
    hi = idx.max() if end is None or pd.isna(end) else pd.Timestamp(end)
    post = idx[(idx >= lo) & (idx <= hi)]
    before = idx[idx < lo]
    if len(post) == 0:
        raise ValueError(f"no bar of the client between {lo.date()} and {hi.date()}: load its history for the "
                         "engagement first")
    if len(before) == 0:
        raise ValueError(f"no bar of the client before {lo.date()}: the difference in differences needs the "
                         "days before the engagement; load the history before it")
    pre = before[-len(post):]
    return (pre[0], pre[-1]), (post[0], post[-1])


def difference_series(wide: pd.DataFrame, client: str, leave_out=()) -> pd.DataFrame:
    """``x_client - median(peers)`` per day, the client (and ``leave_out``) excluded from the median.

    Returns a frame indexed by date with ``client``, ``peer_median``, ``difference`` and ``n_peers``.
    """
    client = str(client).upper()
    med = leave_one_out_median(wide, {client, *[str(t).upper() for t in leave_out]})
    x = wide[client]
    return pd.DataFrame({"client": x, "peer_median": med["median"], "difference": x - med["median"],
                         "n_peers": med["n_peers"]}, index=wide.index)


def _positions(index: pd.DatetimeIndex, period) -> tuple[int, int]:
    lo, hi = (pd.Timestamp(p) for p in period)
    pos = np.flatnonzero((index >= lo) & (index <= hi))
    return (int(pos[0]), int(pos[-1])) if pos.size else (-1, -2)


def _window_mean(x: np.ndarray, pos: tuple[int, int], skip_first: bool) -> tuple[float, int]:
    seg = x[pos[0] + (1 if skip_first else 0):pos[1] + 1]
    seg = seg[np.isfinite(seg)]
    return (float(seg.mean()) if seg.size else float("nan")), int(seg.size)


def _did_of(diff: pd.DataFrame, pre, post, skip_first: bool) -> dict:
    """Means of client, peer median and difference in both windows, on the days the difference is observed."""
    ok = np.isfinite(diff["difference"].to_numpy(float))
    out = {}
    for name, pos in (("pre", pre), ("post", post)):
        for col in ("client", "peer_median", "difference"):
            x = np.where(ok, diff[col].to_numpy(float), np.nan)
            out[f"{col}_{name}"], out[f"n_{name}"] = _window_mean(x, pos, skip_first)
    out["did"] = out["difference_post"] - out["difference_pre"]
    return out


def _hac_interval(d: np.ndarray, pre, post, skip_first: bool, level: float) -> tuple[float, float, float, int]:
    """Newey-West interval of mean_post(d) - mean_pre(d) (Andrews 1991 lag); (low, high, p, lags)."""
    import statsmodels.api as sm

    a = d[pre[0] + (1 if skip_first else 0):pre[1] + 1]
    b = d[post[0] + (1 if skip_first else 0):post[1] + 1]
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if a.size < 2 or b.size < 2 or np.ptp(np.r_[a, b]) == 0:
        return float("nan"), float("nan"), float("nan"), 0
    y = np.r_[a, b]
    x = sm.add_constant(np.r_[np.zeros(a.size), np.ones(b.size)])
    lags, _ = andrews_bartlett_lags(np.r_[a - a.mean(), b - b.mean()])
    fit = sm.OLS(y, x).fit(cov_type="HAC", cov_kwds={"maxlags": int(lags)})
    z = stats.norm.ppf(0.5 + level / 2.0)
    est, se = float(fit.params[1]), float(fit.bse[1])
    return est - z * se, est + z * se, float(fit.pvalues[1]), int(lags)


def peer_did(daily: pd.DataFrame, client: str, pre, post, *, measures=tuple(DID_MEASURES),
             level: float = ROI_INTERVAL_LEVEL, min_placebo: int = LIQUIDITY_MIN_PLACEBO_SPLITS) -> pd.DataFrame:
    """Difference in differences of the client against the leave-one-out peer median, with placebo intervals.

    Parameters
    ----------
    daily : pandas.DataFrame
        :func:`peer_daily` of the client and at least one peer, over the client's whole history (the
        split-date placebo's reference distribution).
    client : str
        The client's ticker.
    pre, post : (date, date)
        Inclusive periods, ``pre`` before ``post`` (:func:`matched_periods`).
    measures : iterable of str
        Keys of ``DID_MEASURES``.
    level : float
        Interval level (0.90).
    min_placebo : int
        Fewest split dates for the split-date placebo; below it, Newey-West errors.

    Returns
    -------
    pandas.DataFrame
        One row per measure: ``measure, label, column`` (the daily column used), ``client_pre, client_post,
        client_change, peers_pre, peers_post, peers_change`` (of the daily peer median), ``did`` (= client
        change - peers change), ``low, high`` (the interval), ``p_value``, ``method``, ``n_placebo``,
        ``n_pre, n_post`` (days observed), ``peer_dids`` (tuple of each peer's placebo DiD),
        ``peer_rank_p``, ``n_peers``, ``level``, ``note`` (``analytics.liquidity.PRICE_LEVEL_NOTES`` for the
        measures that move with the price level: the client's and the peers' prices need not move alike),
        ``reading`` (:func:`did_reading`). Formulas in the module docstring.
    """
    client = str(client).upper()
    tickers = sorted(set(daily["ticker"]) - {client})
    if client not in set(daily["ticker"]):
        raise ValueError(f"no bars of the client {client} in the data given")
    if not tickers:
        raise ValueError("no peer has bars: add peers and load their bars before comparing")
    client_days = pd.DatetimeIndex(sorted(daily.loc[daily["ticker"] == client, "date"].unique()))
    rows = []
    for measure in measures:
        wide = measure_wide(daily, measure).reindex(client_days)
        column = abnormal_volume_measure(daily) if measure == "abnormal_volume" else measure
        skip = measure == "cs_spread"  # its day-t estimate uses day t-1, which must be inside the window
        a, b = _positions(wide.index, pre), _positions(wide.index, post)
        if a[0] < 0 or b[0] < 0 or b[0] <= a[1]:
            raise ValueError(f"the pre-period {pre} must end before the engagement {post} starts, both with bars")
        diff = difference_series(wide, client)
        est = _did_of(diff, a, b, skip)
        d = diff["difference"].to_numpy(float)
        res = split_date_placebo(d, a, b, skip_first=skip)
        ref = np.asarray(res["placebo"], dtype=float)
        if ref.size and np.isfinite(res["difference"]):  # the actual split is not its own reference
            ref = np.delete(ref, int(np.argmin(np.abs(ref - res["difference"]))))
        if ref.size >= int(min_placebo):
            q_lo, q_hi = np.quantile(ref, [(1.0 - level) / 2.0, (1.0 + level) / 2.0])
            low, high = est["did"] - q_hi, est["did"] - q_lo
            p = res["p_value"]
            method = (f"split-date placebo ({ref.size} split dates of {client}'s own history, "
                      f"Conley-Taber inversion)")
        else:
            low, high, p, lags = _hac_interval(d, a, b, skip, level)
            method = (f"Newey-West (lag {lags}); only {ref.size} split dates in the history, fewer than "
                      f"{int(min_placebo)} for the placebo")
        peer_dids = []
        for j in tickers:
            dj = difference_series(wide, j, leave_out=(client,))
            peer_dids.append(_did_of(dj, a, b, skip)["did"] if dj["difference"].notna().any() else float("nan"))
        finite = [x for x in peer_dids if np.isfinite(x)]
        rank_p = (float((1 + sum(abs(x) >= abs(est["did"]) - 1e-12 for x in finite)) / (1 + len(finite)))
                  if finite and np.isfinite(est["did"]) else float("nan"))
        row = {"measure": measure, "label": DID_MEASURES.get(measure, measure), "column": column,
               "client_pre": est["client_pre"], "client_post": est["client_post"],
               "client_change": est["client_post"] - est["client_pre"],
               "peers_pre": est["peer_median_pre"], "peers_post": est["peer_median_post"],
               "peers_change": est["peer_median_post"] - est["peer_median_pre"],
               "did": est["did"], "low": float(low), "high": float(high), "p_value": float(p), "method": method,
               "n_placebo": int(ref.size), "n_pre": est["n_pre"], "n_post": est["n_post"],
               "peer_dids": tuple(peer_dids), "peer_rank_p": rank_p, "n_peers": len(tickers), "level": level,
               "note": PRICE_LEVEL_NOTES.get(measure, "")}
        row["reading"] = did_reading(row)
        rows.append(row)
    return pd.DataFrame(rows)


def did_reading(row) -> str:
    """The words for one DiD row (see the module docstring): only an interval that excludes zero says
    "beyond the peers"."""
    label = str(row["label"]) if "label" in row else str(row["measure"])
    did, low, high = row["did"], row["low"], row["high"]
    if not all(np.isfinite([did, low, high])):
        return f"{label}: not enough observed days to compare the client with its peers"
    sign = IMPROVES.get(row["measure"], 1)
    if low > 0 or high < 0:
        better = (low > 0) == (sign > 0)
        return (f"{label}: liquidity improved beyond the peers" if better
                else f"{label}: worse against the peers")
    client, peers = row["client_change"], row["peers_change"]
    if np.isfinite(client) and np.isfinite(peers) and client != 0 and np.sign(peers) == np.sign(client) \
            and abs(peers) >= SECTOR_SHARE * abs(client):
        return f"{label}: the peers moved too; the client's change cannot be told from the sector's"
    return f"{label}: cannot tell the client's change from the peers' (the interval covers zero)"


def method_sentence(n_peers: int, n_placebo: int, level: float = ROI_INTERVAL_LEVEL) -> str:
    """How the intervals were made and what they rest on, in one sentence."""
    floor = 1.0 / (1 + n_peers) if n_peers else float("nan")
    return (f"{level:.0%} intervals from placebo split dates of the client-minus-peer-median series "
            f"({n_placebo} split dates of the client's own history; Conley and Taber 2011). With {n_peers} "
            f"peer{'s' if n_peers != 1 else ''} the peer placebo (each peer in turn against the others) ranks the "
            f"client among {n_peers + 1} and cannot go below p = {floor:.2f}, so the interval rests on the "
            "client's own history: it assumes the gap to the peers had no other break when the engagement began.")


# ---- the ROI report's AMEC rows ---------------------------------------------------------------

def format_measure(measure: str, x: float, signed: bool = False) -> str:
    """A measure's value (or, ``signed``, its change) in its unit: shares of days and turnover in percent
    (changes in percentage points, "pts"), the spread in percent, dollar volume in USD, log measures as
    numbers; "n/a" when not finite."""
    if not np.isfinite(x):
        return "n/a"
    s = "+" if signed and x > 0 else ""
    if measure == "traded":
        return f"{s}{100 * x:.1f} pts" if signed else f"{100 * x:.1f}%"
    if measure == "turnover":
        return f"{s}{100 * x:.3f} pts" if signed else f"{100 * x:.3f}%"
    if measure == "cs_spread":
        return f"{s}{100 * x:.2f} pts" if signed else f"{100 * x:.2f}%"
    if measure == "dollar_volume":
        return f"{'+' if signed and x > 0 else ('-' if x < 0 else '')}${abs(x):,.0f}"
    return f"{s}{x:.2f}"


def peer_amec_rows(did: pd.DataFrame, client: str, peers, pre, post, *, simulated: bool = False,
                   measures=("turnover", "traded", "dollar_volume", "abnormal_volume")) -> list[AmecRow]:
    """The ROI report's outcome rows for the client against its peers, each with its interval.

    Parameters
    ----------
    did : pandas.DataFrame
        :func:`peer_did`.
    client : str
        The client's ticker.
    peers : iterable of str
        The peer tickers with bars (named in ``source``).
    pre, post : (date, date)
        The periods of ``did``.
    simulated : bool
        Demo data.
    measures : iterable of str
        Which rows, in order (turnover, days traded, dollar volume, abnormal volume by default).

    Returns
    -------
    list of analytics.amec.AmecRow
        Stage ``outcomes``; ``value`` the client's and the peers' level during the engagement, ``change``
        the client's change, the peers' and the DiD, ``uncertainty`` the interval, its method and
        what it rests on, ``source`` the tickers and dates.
    """
    peers = [str(p).upper() for p in peers]
    span = f"{pd.Timestamp(post[0]):%Y-%m-%d} to {pd.Timestamp(post[1]):%Y-%m-%d}"
    before = f"{pd.Timestamp(pre[0]):%Y-%m-%d} to {pd.Timestamp(pre[1]):%Y-%m-%d}"
    source = (f"daily bars of {client} and peers {', '.join(peers)}; engagement {span} against {before}"
              + (" (simulated)" if simulated else ""))
    rows = []
    by = {r["measure"]: r for r in did.to_dict("records")}
    for m in measures:
        if m not in by:
            continue
        r = by[m]
        level = float(r.get("level", ROI_INTERVAL_LEVEL))
        name = f"{r['label']} against the peers (difference in differences)"
        if m == "abnormal_volume":
            unit = "log turnover" if r["column"] == "log_turnover" else "log(1 + volume)"
            value = (f"{client} mean {unit} {r['client_post']:.2f} during the engagement; peers' median "
                     f"{r['peers_post']:.2f}")
        else:
            value = (f"{client} {format_measure(m, r['client_post'])} during the engagement; peers' median "
                     f"{format_measure(m, r['peers_post'])}")
        fmt = format_measure
        change = (f"{client} {fmt(m, r['client_change'], True)} against the {r['n_pre']} days before, peers "
                  f"{fmt(m, r['peers_change'], True)}: difference in differences {fmt(m, r['did'], True)}; "
                  f"{r['reading']}")
        if np.isfinite(r["low"]) and np.isfinite(r["high"]):
            unc = (f"{level:.0%} interval {fmt(m, r['low'], True)} to {fmt(m, r['high'], True)} ({r['method']}); "
                   f"with {r['n_peers']} peer{'s' if r['n_peers'] != 1 else ''} the interval rests on {client}'s own "
                   f"history (the peer placebo's smallest p is {1 / (1 + r['n_peers']):.2f}; here "
                   f"{r['peer_rank_p']:.2f})")
        else:
            unc = f"no interval: too few observed days ({r['n_pre']} before, {r['n_post']} during)"
        rows.append(AmecRow("outcomes", name, value, change, unc, source, simulated))
    return rows

