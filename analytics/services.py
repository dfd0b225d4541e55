"""The services themselves: shareholder inquiries, mailings and their responses, market makers and analysts.

Pure functions on DataFrames (no I/O). The canonical inputs, as ``store.services`` reads them:

- inquiries: ``inquiry_id, client_id, received_at, channel, topic, answered_at, answered_by``
  (timestamps, naive; ``answered_at`` NaT while the inquiry is open);
- mailings: ``mailing_id, client_id, activity_id, date, kind, list_name, recipients, calls, meetings,
  inquiries, cost`` (one row per broker/dealer package or fax/mail blast sent);
- coverage counts: ``client_id, date, market_makers, analysts, source`` (a count holds until the next one).

Every figure comes with its uncertainty:

- quantiles of response times: the distribution-free order-statistic interval (Conover 1999, section 3.2;
  Hahn and Meeker 1991, section 5.2), with its exact coverage from the binomial distribution;
- inquiries after an activity against the baseline rate: the Poisson rate ratio with the exact conditional
  interval (given the total, the count in the windows is binomial: Clopper-Pearson on that share, mapped to
  the ratio; Ederer and Mantel 1974, Rothman, Greenland and Lash, Modern Epidemiology, 3rd ed., ch. 14);
- response rates: Wilson (1927) score interval (Brown, Cai and DasGupta 2001 recommend it over Wald);
  cost per response: the rate's interval mapped through ``cost / (recipients * rate)`` (monotone);
- the quoted spread around market-maker and analyst introductions: Corwin and Schultz (2012) estimates
  compared before and after with ``analytics.liquidity.liquidity_difference`` (its split-date placebo),
  the interval from inverting the same placebo distribution.

References
----------
Conover, W. J. (1999). Practical Nonparametric Statistics, 3rd ed. Wiley. Section 3.2, confidence
interval for a quantile.
Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference. JASA 22, 209-212.
Clopper, C. J., Pearson, E. S. (1934). The use of confidence or fiducial limits illustrated in the case of
the binomial. Biometrika 26, 404-413.
Ederer, F., Mantel, N. (1974). Confidence limits on the ratio of two Poisson variables. American Journal of
Epidemiology 100(3), 165-167.
Corwin, S. A., Schultz, P. (2012). A simple way to estimate bid-ask spreads from daily high and low prices.
Journal of Finance 67(2), 719-760.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from analytics.amec import AmecRow
from analytics.constants import ROI_INTERVAL_LEVEL

__all__ = [
    "OPEN_AFTER_DAYS", "RESPONSE_WINDOW_DAYS", "SPREAD_WINDOW_DAYS", "INTRODUCTION_TYPES", "RESPONSE_KINDS",
    "QuantileInterval", "quantile_interval", "response_days", "response_time_summary", "inquiries_by_week",
    "open_inquiries", "poisson_rate_ratio", "activity_inquiries", "wilson_interval", "mailing_responses",
    "list_sizes", "coverage_steps", "count_on", "introduction_spreads", "services_amec_rows", "MAILING_KINDS",
]

#: Open inquiries older than this many calendar days are flagged (the page's ``open_days`` URL value).
OPEN_AFTER_DAYS = 5
#: Calendar days after an activity (its own day included) whose inquiries count as brought by it.
RESPONSE_WINDOW_DAYS = 7
#: Trading days before and after an introduction over which the quoted spread is averaged.
SPREAD_WINDOW_DAYS = 20
#: The activity types whose spread change is measured (services C and E).
INTRODUCTION_TYPES = ("market_maker_intro", "analyst_intro")
#: What a mailing's response is made of.
RESPONSE_KINDS = ("calls", "meetings", "inquiries")
#: Mailing kinds, as the activity types they belong to (services B and H).
MAILING_KINDS = ("broker_dealer_mailing", "fax_mail_blast")


# --- quantiles with a distribution-free interval -------------------------------------------------------

@dataclass(frozen=True)
class QuantileInterval:
    """A sample quantile and its order-statistic interval ``[x_(r), x_(s)]`` (1-based ranks; NaN when the
    sample is too small for that side), with the interval's exact ``coverage`` (at least ``level``)."""

    q: float
    n: int
    estimate: float
    low: float
    high: float
    rank_low: int | None
    rank_high: int | None
    coverage: float
    level: float


def quantile_interval(x, q: float, level: float = ROI_INTERVAL_LEVEL) -> QuantileInterval:
    """The ``q`` quantile of ``x`` with a distribution-free confidence interval from order statistics.

    Parameters
    ----------
    x : array_like
        The sample (NaN dropped).
    q : float
        The quantile, in (0, 1): 0.5 the median, 0.9 the 90th percentile.
    level : float, default 0.90
        Nominal confidence.

    Returns
    -------
    QuantileInterval
        ``estimate`` the sample quantile (``numpy.quantile``, linear interpolation). With the number of
        observations below the true quantile ``B ~ Binomial(n, q)`` and ``F`` its CDF,
        ``P(x_(r) <= xi_q < x_(s)) = F(s - 1) - F(r - 1)``. The ranks are the tightest pair with each tail
        at most ``(1 - level) / 2``: ``r = max{k >= 1 : F(k - 1) <= (1 - level) / 2}`` and
        ``s = min{k <= n : F(k - 1) >= 1 - (1 - level) / 2}``; the interval's ``coverage`` is
        ``F(s - 1) - F(r - 1)`` (Conover 1999, section 3.2). When no rank satisfies a side (small ``n``,
        extreme ``q``), that bound is NaN, its rank None, and ``coverage`` counts that side as open
        (``F(s - 1)`` or ``1 - F(r - 1)``). This is the interval of ``scipy.stats.quantile_test``.
    """
    a = np.asarray(x, dtype=float)
    a = np.sort(a[np.isfinite(a)])
    n = int(a.size)
    if not 0.0 < q < 1.0:
        raise ValueError(f"quantile q={q!r}: give a value strictly between 0 and 1 (0.5 for the median)")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level={level!r}: give a confidence level strictly between 0 and 1, e.g. 0.9")
    if n == 0:
        nan = float("nan")
        return QuantileInterval(q, 0, nan, nan, nan, None, None, nan, level)
    tail = (1.0 - level) / 2.0
    k = np.arange(0, n + 1)
    cdf = stats.binom.cdf(k, n, q)          # cdf[j] = F(j) = P(B <= j)
    eps = 1e-12                             # binomial CDFs computed in floating point: ties at the tail
    lows = [r for r in range(1, n + 1) if cdf[r - 1] <= tail + eps]
    highs = [s for s in range(1, n + 1) if cdf[s - 1] >= 1.0 - tail - eps]
    r = max(lows) if lows else None
    s = min(highs) if highs else None
    upper_mass = cdf[s - 1] if s is not None else 1.0
    lower_mass = cdf[r - 1] if r is not None else 0.0
    return QuantileInterval(q, n, float(np.quantile(a, q)),
                            float(a[r - 1]) if r is not None else float("nan"),
                            float(a[s - 1]) if s is not None else float("nan"),
                            r, s, float(upper_mass - lower_mass), level)


# --- inquiries ---------------------------------------------------------------------------------------------

def response_days(inquiries: pd.DataFrame) -> pd.Series:
    """Days from receipt to answer, ``(answered_at - received_at) / 1 day``, of the answered inquiries.

    Parameters
    ----------
    inquiries : pandas.DataFrame
        Columns ``received_at, answered_at`` (timestamps; ``answered_at`` NaT when open).

    Returns
    -------
    pandas.Series
        Float days (fractions of a day kept: 6 hours is 0.25), indexed like the answered rows.
    """
    if inquiries is None or len(inquiries) == 0:
        return pd.Series(dtype=float)
    got = pd.to_datetime(inquiries["received_at"])
    done = pd.to_datetime(inquiries["answered_at"])
    answered = done.notna() & got.notna()
    return ((done[answered] - got[answered]) / pd.Timedelta(days=1)).astype(float)


def response_time_summary(inquiries: pd.DataFrame, level: float = ROI_INTERVAL_LEVEL) -> dict:
    """Median and 90th-percentile response time (days) with their order-statistic intervals.

    Returns
    -------
    dict
        ``answered`` (count), ``open`` (count), ``median`` and ``p90``: :class:`QuantileInterval` of
        :func:`response_days` at ``q = 0.5`` and ``q = 0.9`` (:func:`quantile_interval`).
    """
    days = response_days(inquiries)
    n_open = 0 if inquiries is None or len(inquiries) == 0 else int(pd.to_datetime(inquiries["answered_at"]).isna().sum())
    return {"answered": int(days.size), "open": n_open,
            "median": quantile_interval(days, 0.5, level), "p90": quantile_interval(days, 0.9, level)}


def _week_start(ts: pd.Series) -> pd.Series:
    days = pd.to_datetime(ts).dt.normalize()
    return days - pd.to_timedelta(days.dt.day_of_week, unit="D")


def inquiries_by_week(inquiries: pd.DataFrame, start=None, end=None) -> pd.DataFrame:
    """Inquiries received per calendar week (Monday to Sunday), weeks without any kept as zero.

    Parameters
    ----------
    inquiries : pandas.DataFrame
        Columns ``received_at, answered_at``.
    start, end : date-like, optional
        The weeks shown run from the week of ``start`` to the week of ``end`` (default: the first and
        last inquiry).

    Returns
    -------
    pandas.DataFrame
        ``week`` (the Monday), ``received`` (count received that week), ``answered`` (of those, answered
        by now), ``still_open``; one row per week, in order.
    """
    cols = ["week", "received", "answered", "still_open"]
    if inquiries is None or len(inquiries) == 0:
        return pd.DataFrame(columns=cols)
    got = pd.to_datetime(inquiries["received_at"])
    wk = _week_start(got)
    lo = _week_start(pd.Series([pd.Timestamp(start)])).iloc[0] if start is not None else wk.min()
    hi = _week_start(pd.Series([pd.Timestamp(end)])).iloc[0] if end is not None else wk.max()
    weeks = pd.date_range(lo, hi, freq="7D")
    answered = pd.to_datetime(inquiries["answered_at"]).notna().to_numpy()
    frame = pd.DataFrame({"week": wk.to_numpy(), "answered": answered})
    frame = frame[(frame["week"] >= lo) & (frame["week"] <= hi)]
    g = frame.groupby("week")["answered"].agg(["size", "sum"])
    out = pd.DataFrame({"week": weeks})
    out["received"] = out["week"].map(g["size"]).fillna(0).astype(int).to_numpy()
    out["answered"] = out["week"].map(g["sum"]).fillna(0).astype(int).to_numpy()
    out["still_open"] = out["received"] - out["answered"]
    return out[cols]


def open_inquiries(inquiries: pd.DataFrame, as_of, older_than_days: int = OPEN_AFTER_DAYS) -> pd.DataFrame:
    """Inquiries received by ``as_of`` and not answered by then, with their age and a flag past N days.

    Parameters
    ----------
    inquiries : pandas.DataFrame
        Columns ``inquiry_id, received_at, answered_at`` (others kept).
    as_of : date-like
        The moment the ages are counted at (the end of the period shown; a date means its end, 24:00).
    older_than_days : int, default 5
        ``flagged`` when ``age_days > older_than_days``.

    Returns
    -------
    pandas.DataFrame
        The open rows (answered after ``as_of`` counts as open then) with ``age_days =
        (as_of - received_at) / 1 day`` and ``flagged``, oldest first.
    """
    if older_than_days < 0:
        raise ValueError(f"older_than_days={older_than_days}: give a number of days, 0 or more")
    if inquiries is None or len(inquiries) == 0:
        return pd.DataFrame(columns=[*(inquiries.columns if inquiries is not None else []), "age_days", "flagged"])
    t = pd.Timestamp(as_of)
    if t == t.normalize():
        t = t + pd.Timedelta(days=1)  # a date: the whole day counts
    got = pd.to_datetime(inquiries["received_at"])
    done = pd.to_datetime(inquiries["answered_at"])
    mask = (got < t) & (done.isna() | (done >= t))
    out = inquiries[mask.to_numpy()].copy()
    out["age_days"] = ((t - got[mask]) / pd.Timedelta(days=1)).to_numpy(dtype=float)
    out["flagged"] = out["age_days"] > older_than_days
    return out.sort_values("age_days", ascending=False).reset_index(drop=True)


def poisson_rate_ratio(count1: int, exposure1: float, count0: int, exposure0: float,
                       level: float = ROI_INTERVAL_LEVEL) -> dict:
    """Rate ratio of two Poisson counts with the exact conditional (Clopper-Pearson) interval and test.

    Parameters
    ----------
    count1, exposure1 : int, float
        Events and exposure (days) of the group of interest (inside the activities' windows).
    count0, exposure0 : int, float
        Events and exposure of the reference (the baseline days).
    level : float, default 0.90

    Returns
    -------
    dict
        ``ratio = (count1 / exposure1) / (count0 / exposure0)`` (inf when ``count0 = 0 < count1``, NaN when
        both are 0), ``low, high`` and ``p_value`` (two-sided). Given ``n = count1 + count0``, ``count1 ~
        Binomial(n, pi)`` with ``pi = exposure1 RR / (exposure1 RR + exposure0)``; the Clopper-Pearson
        limits of ``pi``, ``pi_L = Beta(a/2; x, n - x + 1)`` and ``pi_U = Beta(1 - a/2; x + 1, n - x)``,
        map to ``RR = pi / (1 - pi) * exposure0 / exposure1`` (Ederer and Mantel 1974). ``p_value`` is
        the exact binomial test of ``pi = exposure1 / (exposure1 + exposure0)`` (``scipy.stats.binomtest``,
        two-sided by the minimum-likelihood rule, as statsmodels' ``test_poisson_2indep(method="exact-cond")``).
    """
    x, y = int(count1), int(count0)
    if x < 0 or y < 0 or not (exposure1 > 0 and exposure0 > 0):
        raise ValueError("poisson_rate_ratio: counts must be 0 or more and exposures more than 0 days")
    n = x + y
    alpha = 1.0 - level
    scale = exposure0 / exposure1
    if n == 0:
        nan = float("nan")
        return {"ratio": nan, "low": 0.0, "high": float("inf"), "p_value": 1.0, "count1": x, "count0": y,
                "exposure1": float(exposure1), "exposure0": float(exposure0), "level": level}
    lo_pi = 0.0 if x == 0 else float(stats.beta.ppf(alpha / 2, x, n - x + 1))
    hi_pi = 1.0 if x == n else float(stats.beta.ppf(1 - alpha / 2, x + 1, n - x))

    def to_ratio(pi: float) -> float:
        return float("inf") if pi >= 1.0 else pi / (1.0 - pi) * scale

    ratio = float("inf") if y == 0 else (x / exposure1) / (y / exposure0)
    p0 = exposure1 / (exposure1 + exposure0)
    p = float(stats.binomtest(x, n, p0).pvalue)
    return {"ratio": ratio, "low": to_ratio(lo_pi), "high": to_ratio(hi_pi), "p_value": p, "count1": x,
            "count0": y, "exposure1": float(exposure1), "exposure0": float(exposure0), "level": level}


def _span_days(start, end) -> pd.DatetimeIndex:
    return pd.date_range(pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize(), freq="D")


def activity_inquiries(inquiries: pd.DataFrame, activities: pd.DataFrame, window_days: int = RESPONSE_WINDOW_DAYS,
                       start=None, end=None, level: float = ROI_INTERVAL_LEVEL) -> tuple[pd.DataFrame, dict]:
    """Inquiries in the ``window_days`` calendar days from each activity against the baseline rate.

    Parameters
    ----------
    inquiries : pandas.DataFrame
        Column ``received_at``.
    activities : pandas.DataFrame
        Columns ``activity_id, date, type, title`` (the activities to test: mailings, releases...).
    window_days : int, default 7
        An activity's window is the days ``date .. date + window_days - 1`` (its own day included).
    start, end : date-like, optional
        The observation span (default: the first and last of the inquiries' and activities' dates). Only
        inquiries and windows inside it count.
    level : float, default 0.90

    Returns
    -------
    (pandas.DataFrame, dict)
        Per activity: ``activity_id, date, type, title, window_days`` (exposure inside the span),
        ``inquiries`` (received in its window), ``expected`` (baseline rate x exposure), ``rate_ratio, low,
        high, p_value`` (:func:`poisson_rate_ratio` of the window against the baseline), ``median_lag_days``
        (median days from the start of the activity's day, its time not being recorded, to the receipt of the
        inquiries attributed to it: 09:00 the next day is 1.375; NaN without any). The
        baseline is the span's days outside every window (calendar days: inquiries arrive on any day).
        The dict pools all windows (their union, each day and inquiry once): ``inquiries, window_days,
        baseline_inquiries, baseline_days, baseline_rate`` (per day), the rate ratio with ``low, high,
        p_value``, and ``lag`` (:class:`QuantileInterval` of the median lag over the attributed inquiries).
        An inquiry is attributed to the latest activity on or before its day whose window holds it, so no
        inquiry's lag is counted twice. Windows of different activities may overlap: each activity's own
        ratio counts the inquiries of its whole window.
    """
    if window_days < 1:
        raise ValueError(f"window_days={window_days}: give at least 1 day")
    cols = ["activity_id", "date", "type", "title", "window_days", "inquiries", "expected", "rate_ratio", "low",
            "high", "p_value", "median_lag_days"]
    moments = pd.to_datetime(inquiries["received_at"]) if inquiries is not None and len(inquiries) \
        else pd.Series(dtype="datetime64[ns]")
    got = moments.dt.normalize()
    acts = activities.copy() if activities is not None else pd.DataFrame(columns=["activity_id", "date", "type", "title"])
    acts["date"] = pd.to_datetime(acts["date"]).dt.normalize()
    acts = acts.sort_values(["date", "activity_id"]).reset_index(drop=True)
    dates = pd.concat([got, acts["date"]]).dropna()
    empty = {"inquiries": 0, "window_days": 0, "baseline_inquiries": 0, "baseline_days": 0,
             "baseline_rate": float("nan"), "ratio": float("nan"), "low": float("nan"), "high": float("nan"),
             "p_value": float("nan"), "lag": quantile_interval([], 0.5, level), "level": level}
    if dates.empty:
        return pd.DataFrame(columns=cols), empty
    lo = pd.Timestamp(start).normalize() if start is not None else dates.min()
    hi = pd.Timestamp(end).normalize() if end is not None else dates.max()
    span = _span_days(lo, hi)
    inside = ((got >= lo) & (got <= hi)).to_numpy()
    got, moments = got[inside], moments[inside]
    acts = acts[(acts["date"] >= lo) & (acts["date"] <= hi)].reset_index(drop=True)
    day_pos = {d: i for i, d in enumerate(span)}
    in_window = np.zeros(len(span), dtype=bool)
    for d in acts["date"]:
        i = day_pos[d]
        in_window[i:i + window_days] = True
    counts = np.bincount([day_pos[d] for d in got], minlength=len(span)) if len(got) else np.zeros(len(span), int)
    base_days = int((~in_window).sum())
    base_n = int(counts[~in_window].sum())
    rate0 = base_n / base_days if base_days else float("nan")
    # attribution: the latest activity on or before the inquiry's day whose window holds it
    act_days = acts["date"].to_numpy(dtype="datetime64[ns]")
    lag_by_act: dict[int, list[float]] = {i: [] for i in range(len(acts))}
    all_lags = []
    for t in np.sort(moments.to_numpy(dtype="datetime64[ns]")):
        d = t.astype("datetime64[D]").astype("datetime64[ns]")
        j = int(np.searchsorted(act_days, d, side="right")) - 1
        if j < 0:
            continue
        if (d - act_days[j]) / np.timedelta64(1, "D") < window_days:
            # lag from the start of the activity's day (its time is not recorded) to the inquiry's time
            # (several activities on one day share it: the last listed takes it)
            lag = float((t - act_days[j]) / np.timedelta64(1, "D"))
            lag_by_act[j].append(lag)
            all_lags.append(lag)
    rows = []
    for i, a in acts.iterrows():
        p0 = day_pos[a["date"]]
        n_days = min(window_days, len(span) - p0)
        x = int(counts[p0:p0 + n_days].sum())
        if base_days:
            rr = poisson_rate_ratio(x, n_days, base_n, base_days, level)
        else:
            rr = {"ratio": float("nan"), "low": float("nan"), "high": float("nan"), "p_value": float("nan")}
        lags = lag_by_act[i]
        rows.append({"activity_id": a.get("activity_id"), "date": a["date"], "type": a.get("type"),
                     "title": a.get("title"), "window_days": n_days, "inquiries": x,
                     "expected": rate0 * n_days if base_days else float("nan"),
                     "rate_ratio": rr["ratio"], "low": rr["low"], "high": rr["high"], "p_value": rr["p_value"],
                     "median_lag_days": float(np.median(lags)) if lags else float("nan")})
    win_days = int(in_window.sum())
    win_n = int(counts[in_window].sum())
    pooled = dict(empty, inquiries=win_n, window_days=win_days, baseline_inquiries=base_n, baseline_days=base_days,
                  baseline_rate=rate0, lag=quantile_interval(all_lags, 0.5, level))
    if win_days and base_days:
        rr = poisson_rate_ratio(win_n, win_days, base_n, base_days, level)
        pooled.update(ratio=rr["ratio"], low=rr["low"], high=rr["high"], p_value=rr["p_value"])
    return pd.DataFrame(rows, columns=cols), pooled


# --- mailings ----------------------------------------------------------------------------------------------

def wilson_interval(successes, trials, level: float = ROI_INTERVAL_LEVEL) -> tuple[np.ndarray, np.ndarray]:
    """Wilson (1927) score interval of a binomial proportion, vectorised.

    With ``p = x / n`` and ``z`` the ``1 - (1 - level) / 2`` normal quantile:
    ``centre = (p + z^2 / (2n)) / (1 + z^2 / n)``,
    ``half = z / (1 + z^2 / n) * sqrt(p (1 - p) / n + z^2 / (4 n^2))``; ``[centre - half, centre + half]``
    (NaN where ``n = 0``). Brown, Cai and DasGupta (2001), eq. 4; statsmodels' ``proportion_confint(method=
    "wilson")`` computes the same.
    """
    x = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    z = stats.norm.ppf(1 - (1 - level) / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = x / n
        denom = 1 + z ** 2 / n
        centre = (p + z ** 2 / (2 * n)) / denom
        half = z / denom * np.sqrt(p * (1 - p) / n + z ** 2 / (4 * n ** 2))
    # at x = 0 (x = n) the lower (upper) limit is exactly 0 (1); floating point leaves ~1e-17 there
    lo = np.where(n > 0, np.where(x <= 0, 0.0, np.clip(centre - half, 0.0, 1.0)), np.nan)
    hi = np.where(n > 0, np.where(x >= n, 1.0, np.clip(centre + half, 0.0, 1.0)), np.nan)
    return lo, hi


def _cost_per_response(cost, recipients, rate, rate_lo, rate_hi):
    """``cost / (recipients * rate)`` and its interval from the rate's (the map is decreasing in the rate)."""
    cost = np.asarray(cost, dtype=float)
    n = np.asarray(recipients, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        point = np.where(np.asarray(rate) > 0, cost / (n * rate), np.nan)
        low = np.where(np.asarray(rate_hi) > 0, cost / (n * rate_hi), np.nan)
        high = np.where(np.asarray(rate_lo) > 0, cost / (n * rate_lo), np.inf)
    high = np.where(np.isfinite(cost), high, np.nan)
    return point, low, high


def mailing_responses(mailings: pd.DataFrame, level: float = ROI_INTERVAL_LEVEL) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Responses, response rate and cost per response of each mailing, and pooled by kind.

    Parameters
    ----------
    mailings : pandas.DataFrame
        Columns ``mailing_id, date, kind, list_name, recipients, calls, meetings, inquiries, cost``.
    level : float, default 0.90

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        Per mailing (by date), the input columns plus ``responses = calls + meetings + inquiries``,
        ``response_rate = responses / recipients`` with its Wilson interval ``rate_low, rate_high``
        (:func:`wilson_interval`; each response counted as one recipient who answered), and
        ``cost_per_response = cost / responses`` with ``cpr_low = cost / (recipients * rate_high)``,
        ``cpr_high = cost / (recipients * rate_low)`` (inf when the rate's lower limit is 0, NaN without
        a cost). By kind (``kind, mailings, recipients, responses, cost``...): the same on the sums, which
        treats every recipient of that kind as one draw of the same rate.
    """
    cols = ["mailing_id", "activity_id", "date", "kind", "list_name", "recipients", *RESPONSE_KINDS, "cost"]
    if mailings is None or len(mailings) == 0:
        per = pd.DataFrame(columns=[*cols, "responses", "response_rate", "rate_low", "rate_high",
                                    "cost_per_response", "cpr_low", "cpr_high"])
        return per, pd.DataFrame(columns=["kind", "mailings", "recipients", *RESPONSE_KINDS, "responses", "cost",
                                          "response_rate", "rate_low", "rate_high", "cost_per_response",
                                          "cpr_low", "cpr_high"])
    per = mailings[[c for c in cols if c in mailings.columns]].copy().sort_values(["date", "mailing_id"])
    for c in RESPONSE_KINDS:
        per[c] = pd.to_numeric(per[c]).fillna(0).astype(int)
    per["recipients"] = pd.to_numeric(per["recipients"]).astype(int)
    per["cost"] = pd.to_numeric(per["cost"]).astype(float)

    def rates(frame):
        frame = frame.copy()
        frame["responses"] = frame[list(RESPONSE_KINDS)].sum(axis=1).astype(int)
        n = frame["recipients"].to_numpy(float)
        x = frame["responses"].to_numpy(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            frame["response_rate"] = np.where(n > 0, x / n, np.nan)
        frame["rate_low"], frame["rate_high"] = wilson_interval(x, n, level)
        point, lo, hi = _cost_per_response(frame["cost"], n, frame["response_rate"], frame["rate_low"],
                                           frame["rate_high"])
        frame["cost_per_response"], frame["cpr_low"], frame["cpr_high"] = point, lo, hi
        return frame

    per = rates(per).reset_index(drop=True)
    g = per.groupby("kind", sort=True)
    kinds = g[["recipients", *RESPONSE_KINDS]].sum()
    kinds["cost"] = g["cost"].sum(min_count=1)
    kinds.insert(0, "mailings", g.size())
    kinds = rates(kinds.drop(columns=[], errors="ignore")).reset_index()
    return per, kinds


def list_sizes(mailings: pd.DataFrame) -> pd.DataFrame:
    """Each mailing list's size over time: the recipients of every mailing sent to it, by list and date.

    Returns
    -------
    pandas.DataFrame
        ``list_name`` ("(unnamed list)" when blank), ``kind``, ``date``, ``recipients``, ``change`` (against
        the list's previous mailing; NaN for its first), sorted by list and date.
    """
    if mailings is None or len(mailings) == 0:
        return pd.DataFrame(columns=["list_name", "kind", "date", "recipients", "change"])
    m = mailings.copy()
    m["list_name"] = m["list_name"].where(m["list_name"].notna() & (m["list_name"].astype(str).str.strip() != ""),
                                          "(unnamed list)")
    m = m.sort_values(["list_name", "date"])[["list_name", "kind", "date", "recipients"]].reset_index(drop=True)
    m["recipients"] = pd.to_numeric(m["recipients"]).astype(int)
    m["change"] = m.groupby("list_name")["recipients"].diff()
    return m


# --- market makers and analysts ---------------------------------------------------------------------

def coverage_steps(coverage: pd.DataFrame, end=None) -> pd.DataFrame:
    """Market-maker and analyst counts as a step function: each recorded count holds until the next.

    Parameters
    ----------
    coverage : pandas.DataFrame
        ``date, market_makers, analysts`` (either count may be missing on a date: the previous one holds).
    end : date-like, optional
        The step chart's last date (the last count is repeated there).

    Returns
    -------
    pandas.DataFrame
        ``date, market_makers, analysts`` by date, missing counts carried forward from the previous record
        (still missing before the first one), plus a row at ``end`` when it is after the last record.
    """
    cols = ["date", "market_makers", "analysts"]
    if coverage is None or len(coverage) == 0:
        return pd.DataFrame(columns=cols)
    c = coverage[cols].copy()
    c["date"] = pd.to_datetime(c["date"])
    c = c.sort_values("date").reset_index(drop=True)
    c[["market_makers", "analysts"]] = c[["market_makers", "analysts"]].astype("Float64").ffill()
    if end is not None and pd.Timestamp(end) > c["date"].iloc[-1]:
        last = c.iloc[[-1]].copy()
        last["date"] = pd.Timestamp(end)
        c = pd.concat([c, last], ignore_index=True)
    return c


def count_on(coverage: pd.DataFrame, day, column: str) -> float:
    """The count in force on ``day`` (the last record on or before it); NaN before the first."""
    steps = coverage_steps(coverage)
    if steps.empty:
        return float("nan")
    before = steps[steps["date"] <= pd.Timestamp(day)]
    if before.empty or pd.isna(before[column].iloc[-1]):
        return float("nan")
    return float(before[column].iloc[-1])


def introduction_spreads(bars: pd.DataFrame, activities: pd.DataFrame, window: int = SPREAD_WINDOW_DAYS,
                         level: float = ROI_INTERVAL_LEVEL, types: tuple[str, ...] = INTRODUCTION_TYPES) -> pd.DataFrame:
    """The Corwin-Schultz quoted spread in the ``window`` trading days before and after each introduction.

    Parameters
    ----------
    bars : pandas.DataFrame
        The stock's whole daily history ``date, high, low, close, volume`` (the placebo's reference).
    activities : pandas.DataFrame
        ``activity_id, date, type, title``; those of ``types`` are studied.
    window : int, default 20
        Trading days on each side. Day 0 is the first trading day on or after the activity's date; "before"
        is days -window..-1, "after" days 0..window-1.
    level : float, default 0.90

    Returns
    -------
    pandas.DataFrame
        One row per introduction: ``activity_id, date, type, title, spread_before, spread_after, change``
        (after - before, a fraction of the price: 0.01 is one percentage point), ``low, high`` (the interval
        of the change), ``p_value``, ``test`` (from :func:`analytics.liquidity.liquidity_difference`'s
        ``cs_spread`` row: the split-date placebo, or Newey-West when the history is short), ``n_before,
        n_after`` (two-day estimates used), ``note`` (why a row has no figure; the price-level caveat).

    Notes
    -----
    The interval inverts the placebo: under a shift ``delta``, ``change - delta`` is distributed as the
    differences at the other split dates, so ``[change - Q(1 - a/2), change - Q(a/2)]`` with ``Q`` the
    placebo differences' quantiles (the actual split date's own difference is among them, which widens it
    a little). With the Newey-West fallback it is ``change +/- z * |change / t|``.
    """
    from analytics.liquidity import _positions, daily_liquidity, liquidity_difference, split_date_placebo

    cols = ["activity_id", "date", "type", "title", "spread_before", "spread_after", "change", "low", "high",
            "p_value", "test", "n_before", "n_after", "note"]
    if activities is None or len(activities) == 0:
        return pd.DataFrame(columns=cols)
    acts = activities[activities["type"].isin(types)].sort_values("date")
    if acts.empty or bars is None or len(bars) == 0:
        return pd.DataFrame(columns=cols)
    b = bars.sort_values("date").reset_index(drop=True)
    days = pd.DatetimeIndex(pd.to_datetime(b["date"]))
    daily = daily_liquidity(b)
    alpha = 1.0 - level
    rows = []
    for a in acts.itertuples(index=False):
        d = pd.Timestamp(a.date).normalize()
        p0 = int(days.searchsorted(d, side="left"))
        base = {"activity_id": a.activity_id, "date": d, "type": a.type, "title": a.title}
        if p0 - window < 0 or p0 + window > len(days):
            rows.append({**base, "note": f"fewer than {window} trading days of bars before or after it"})
            continue
        periods = {"before": (days[p0 - window], days[p0 - 1]), "after": (days[p0], days[p0 + window - 1])}
        res = liquidity_difference(b, periods, "before", "after")
        cs = res[res["measure"] == "cs_spread"].iloc[0]
        change = float(cs["difference"])
        low = high = float("nan")
        if cs["n_placebo"] > 0 and str(cs["test"]).startswith("placebo"):
            pl = split_date_placebo(daily["cs_spread"].to_numpy(float), _positions(daily, *periods["before"]),
                                    _positions(daily, *periods["after"]), skip_first=True)["placebo"]
            pl = pl[np.isfinite(pl)]
            if pl.size:
                low = change - float(np.quantile(pl, 1 - alpha / 2))
                high = change - float(np.quantile(pl, alpha / 2))
        elif np.isfinite(cs["statistic"]) and cs["statistic"] != 0:
            se = abs(change / float(cs["statistic"]))
            z = stats.norm.ppf(1 - alpha / 2)
            low, high = change - z * se, change + z * se
        rows.append({**base, "spread_before": float(cs["value_a"]), "spread_after": float(cs["value_b"]),
                     "change": change, "low": low, "high": high, "p_value": float(cs["p_value"]),
                     "test": cs["test"], "n_before": int(cs["n_a"]), "n_after": int(cs["n_b"]),
                     "note": cs["note"]})
    return pd.DataFrame(rows, columns=cols)


# --- the AMEC rows and the objective measures ------------------------------------------------------------

def _in(frame: pd.DataFrame, col: str, start, end) -> pd.DataFrame:
    if frame is None or len(frame) == 0:
        return frame.iloc[0:0] if frame is not None else pd.DataFrame()
    t = pd.to_datetime(frame[col])
    m = np.ones(len(frame), dtype=bool)
    if start is not None:
        m &= (t >= pd.Timestamp(start)).to_numpy()
    if end is not None:
        m &= (t < pd.Timestamp(end).normalize() + pd.Timedelta(days=1)).to_numpy()
    return frame[m]


def _pct(x: float, digits: int = 1) -> str:
    return "n/a" if x is None or not np.isfinite(x) else f"{100 * x:.{digits}f}%"


def _days(x: float) -> str:
    if x is None or not np.isfinite(x):
        return "n/a"
    return f"{x * 24:.1f} hours" if x < 1 else f"{x:.1f} days"


def _quantile_words(qi: QuantileInterval) -> str:
    if qi.n == 0:
        return "no answered inquiry: no interval"
    lo = _days(qi.low) if np.isfinite(qi.low) else "open"
    hi = _days(qi.high) if np.isfinite(qi.high) else "open"
    return f"{100 * qi.coverage:.0f}% interval {lo} to {hi} (order statistics, n={qi.n})"


def _ratio_words(rr: dict, level: float) -> str:
    if not np.isfinite(rr.get("low", float("nan"))):
        return "no baseline: no interval"
    hi = "no upper limit" if not np.isfinite(rr["high"]) else f"{rr['high']:.2f}"
    return f"{100 * level:.0f}% exact interval {rr['low']:.2f} to {hi} (Poisson rate ratio, p = {rr['p_value']:.3f})"


def services_amec_rows(inquiries: pd.DataFrame, mailings: pd.DataFrame, coverage: pd.DataFrame,
                       spreads: pd.DataFrame | None = None, *, start=None, end=None, simulated: bool = False,
                       level: float = ROI_INTERVAL_LEVEL) -> list[AmecRow]:
    """The services' measures for the ROI report's AMEC section: outputs, outtakes, outcomes.

    Parameters
    ----------
    inquiries, mailings, coverage : pandas.DataFrame
        The logs (canonical columns, module docstring), all dates; the period is cut here.
    spreads : pandas.DataFrame, optional
        :func:`introduction_spreads` of the client's stock (its introductions inside the period are used).
    start, end : date-like, optional
        The period reported (inclusive; None: open).
    simulated : bool
        Marks every row (demo data).

    Returns
    -------
    list[AmecRow]
        outputs: mailings sent, recipients reached; outtakes: mailing responses and the pooled response rate
        (Wilson interval), inquiries received (rate ratio against the same number of days before the
        period, exact interval), median and 90th-percentile response time (order-statistic intervals);
        outcomes: market makers and analysts at the end against the start (counts, recorded: no sampling
        error), the mean change of the quoted spread after the introductions (each one's interval listed).
        A measure without any record says so in ``value`` and is kept, so the report can say "none recorded".
    """
    lo = pd.Timestamp(start) if start is not None else None
    hi = pd.Timestamp(end) if end is not None else None
    span = "all dates" if lo is None and hi is None else \
        f"{lo:%Y-%m-%d} to {hi:%Y-%m-%d}" if lo is not None and hi is not None else \
        (f"from {lo:%Y-%m-%d}" if lo is not None else f"to {hi:%Y-%m-%d}")
    lvl = f"{100 * level:.0f}%"
    rows: list[AmecRow] = []

    def row(stage, measure, value, change, uncertainty, source):
        rows.append(AmecRow(stage, measure, value, change, uncertainty, f"{source}, {span}", simulated))

    m = _in(mailings, "date", lo, hi) if mailings is not None else None
    per, kinds = mailing_responses(m if m is not None else pd.DataFrame(), level)
    n_mail = int(len(per))
    recipients = int(per["recipients"].sum()) if n_mail else 0
    mail_start = pd.to_datetime(mailings["date"]).min() if mailings is not None and len(mailings) else None
    if lo is not None and mail_start is not None and mail_start < lo.normalize():
        length = ((hi if hi is not None else pd.to_datetime(mailings["date"]).max()) - lo).days + 1
        prior_start = max(lo.normalize() - pd.Timedelta(days=length), mail_start)  # only as far back as the log
        before = _in(mailings, "date", prior_start, lo - pd.Timedelta(days=1))
        mail_change = f"{len(before)} in the {(lo.normalize() - prior_start).days} days before"
    elif lo is not None and mail_start is not None:
        mail_change = "the log starts with the period: nothing to compare with"
    else:
        mail_change = "no earlier period to compare with"
    row("outputs", "Mailings sent (broker/dealer packages, fax/mail blasts)", f"{n_mail} mailings", mail_change,
        "counted from the mailing log: no sampling error", "mailing log")
    row("outputs", "Recipients reached by the mailings", f"{recipients:,} recipients",
        "sum of each mailing's list at the time", "counted: no sampling error (recipients may repeat across "
        "mailings)", "mailing log")
    if n_mail:
        responses = int(per["responses"].sum())
        rate = responses / recipients if recipients else float("nan")
        rlo, rhi = wilson_interval(responses, recipients, level)
        parts = ", ".join(f"{int(per[c].sum())} {c}" for c in RESPONSE_KINDS)
        row("outtakes", "Responses to the mailings", f"{responses} responses ({parts})",
            f"response rate {_pct(rate, 2)} of recipients",
            f"{lvl} Wilson interval of the rate {_pct(float(rlo), 2)} to {_pct(float(rhi), 2)}", "mailing log")
    else:
        row("outtakes", "Responses to the mailings", "no mailing recorded", "none", "no data: no interval",
            "mailing log")
    q = _in(inquiries, "received_at", lo, hi) if inquiries is not None else None
    n_inq = 0 if q is None else int(len(q))
    log_start = pd.to_datetime(inquiries["received_at"]).min().normalize() if inquiries is not None \
        and len(inquiries) else None
    log_end = pd.to_datetime(inquiries["received_at"]).max().normalize() if log_start is not None else None
    if lo is not None and log_start is not None and log_start < lo.normalize() <= log_end:
        # the period's days end with the log's last inquiry: later days were not recorded, not quiet
        last = min(hi.normalize(), log_end) if hi is not None else log_end
        length = (last - lo.normalize()).days + 1
        # the reference: the same number of days before the period, but only as far back as the log goes
        prior_start = max(lo.normalize() - pd.Timedelta(days=length), log_start)
        prior_days = (lo.normalize() - prior_start).days
        prior = _in(inquiries, "received_at", prior_start, lo - pd.Timedelta(days=1))
        rr = poisson_rate_ratio(n_inq, length, len(prior), prior_days, level)
        per_day = f"{n_inq / length:.2f} a day against {len(prior) / prior_days:.2f}"
        if len(prior):
            change = f"{rr['ratio']:.2f} times the rate of the {prior_days} days before ({per_day})"
            unc = _ratio_words(rr, level)
        else:
            change = f"none recorded in the {prior_days} days before"
            unc = f"no rate ratio without inquiries before; {_ratio_words(rr, level)}"
    elif lo is not None and log_start is not None and lo.normalize() > log_end:
        change, unc = (f"the log ends on {log_end:%Y-%m-%d}, before the period: nothing recorded in it",
                       "no data: no interval")
    elif lo is not None and log_start is not None:
        change, unc = "the log starts with the period: nothing to compare with", "counted: no sampling error"
    else:
        change, unc = "no earlier period to compare with", "counted: no sampling error"
    row("outtakes", "Shareholder inquiries received", f"{n_inq} inquiries", change, unc, "inquiry log")
    summary = response_time_summary(q if q is not None else pd.DataFrame(columns=["received_at", "answered_at"]),
                                    level)
    row("outtakes", "Median response time to inquiries", _days(summary["median"].estimate),
        f"{summary['answered']} answered, {summary['open']} open", _quantile_words(summary["median"]), "inquiry log")
    row("outtakes", "90th-percentile response time to inquiries", _days(summary["p90"].estimate),
        f"{summary['answered']} answered", _quantile_words(summary["p90"]), "inquiry log")
    for column, label in (("market_makers", "Market makers quoting the stock"), ("analysts", "Analysts covering it")):
        if coverage is None or len(coverage) == 0:
            row("outcomes", label, "none recorded", "none", "no data: no interval", "coverage counts")
            continue
        first_day = lo if lo is not None else pd.to_datetime(coverage["date"]).min()
        last_day = hi if hi is not None else pd.to_datetime(coverage["date"]).max()
        a, b = count_on(coverage, first_day, column), count_on(coverage, last_day, column)
        value = "none recorded" if not np.isfinite(b) else f"{b:.0f} at {pd.Timestamp(last_day):%Y-%m-%d}"
        change = (f"{b - a:+.0f} against {a:.0f} at {pd.Timestamp(first_day):%Y-%m-%d}" if np.isfinite(a)
                  and np.isfinite(b) else "no count recorded at the start")
        row("outcomes", label, value, change, "recorded counts: no sampling error", "coverage counts")
    s = _in(spreads, "date", lo, hi) if spreads is not None and len(spreads) else None
    s = s[np.isfinite(pd.to_numeric(s["change"], errors="coerce"))] if s is not None else None
    if s is None or s.empty:
        row("outcomes", "Quoted spread after market-maker and analyst introductions", "no introduction with bars "
            "on both sides", "none", "no data: no interval", "Corwin-Schultz estimate from daily bars")
    else:
        each = "; ".join(f"{r.date:%Y-%m-%d} {100 * r.change:+.2f} pp ({lvl} {100 * r.low:+.2f} to "
                         f"{100 * r.high:+.2f}, p = {r.p_value:.2f})" for r in s.itertuples())
        mean = float(s["change"].mean())
        row("outcomes", "Quoted spread after market-maker and analyst introductions",
            f"{100 * mean:+.2f} percentage points on average over {len(s)} introductions",
            f"{100 * float(s['spread_before'].mean()):.2f}% before to {100 * float(s['spread_after'].mean()):.2f}% "
            f"after ({SPREAD_WINDOW_DAYS} trading days each side)", "each introduction: " + each,
            "Corwin-Schultz estimate from daily bars (moves with the price level)")
    return rows
