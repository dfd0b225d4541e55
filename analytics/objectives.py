"""Objectives set before the campaign, scored against the outcomes (AMEC: evaluation starts from objectives).

Pure functions (no I/O). An objective is a row of the v4 ``objectives`` table: ``measure`` (a key of
:data:`MEASURES`), ``target``, ``direction`` (``at_least`` or ``at_most``), ``set_date`` and
``due_date``. Each measure is computed over the engagement (the outcome) and over the baseline
before it, with an interval where it is an estimate from a sample of days or events:

- a mean of daily values (average daily dollar volume, turnover): a seeded percentile bootstrap of
  the days (Efron and Tibshirani 1993, ch. 13);
- a share of trials (share of days traded, mailing response rate): the Wilson score interval
  (Wilson 1927; Agresti and Coull 1998);
- a rate of events (inquiries per month): the exact Poisson interval of the count (Garwood 1936),
  ``[chi2(a/2; 2k) / 2, chi2(1 - a/2; 2k + 2) / 2]`` divided by the exposure in months;
- a median of response times: the bootstrap as above;
- a count read off a record (market makers, analysts): "a count, no sampling interval";
- against the peers (issue 13 point 5): the client's share of days traded minus the peers' median
  share, and the client's average daily dollar volume over the peers' median one, with a paired
  bootstrap of the days (the same resampled days for the client and every peer, so a sector-wide
  busy spell moves both).

The verdict is ``met`` when the interval lies on the target's side, ``not met`` when it lies on the
other side, ``cannot tell`` when it straddles the target (or there are no data); a count without an
interval is met or not by its value.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from analytics.amec import AmecRow
from analytics.constants import DEFAULT_BOOTSTRAP_DRAWS, DEFAULT_SEED, ROI_INTERVAL_LEVEL

# AMEC stage of each measure's result: what the audience did (inquiries, responses) is an outtake, what changed
# in the market (liquidity, coverage) an outcome (AMEC Integrated Evaluation Framework)
OUTTAKE_MEASURES: tuple[str, ...] = ("inquiries_per_month", "median_response_hours", "response_rate")
DAYS_PER_MONTH = 365.25 / 12  # 30.4375: months of exposure for a rate per month
DIRECTIONS: tuple[str, ...] = ("at_least", "at_most")

# key -> (label, unit, kind): kind "mean" (bootstrap), "share" (Wilson), "rate" (Poisson), "median"
# (bootstrap), "count" (no sampling interval)
MEASURES: dict[str, tuple[str, str, str]] = {
    "avg_daily_dollar_volume": ("Average daily dollar volume", "$", "mean"),
    "share_days_traded": ("Share of days traded", "%", "share"),
    "turnover": ("Average daily turnover (volume / shares outstanding)", "%", "mean"),
    "market_makers": ("Market makers quoting the stock", "", "count"),
    "analysts": ("Analysts covering the stock", "", "count"),
    "inquiries_per_month": ("Shareholder inquiries per month", "/month", "rate"),
    "median_response_hours": ("Median inquiry response time (hours)", "h", "median"),
    "response_rate": ("Mailing response rate", "%", "share"),
    "days_traded_vs_peers": ("Share of days traded against the peers' median (points)", "pts", "peers"),
    "dollar_volume_vs_peers": ("Average daily dollar volume over the peers' median (ratio)", "x", "peers"),
}


@dataclass(frozen=True)
class Estimate:
    """A measure over one period: value, interval (NaN when it has none) and the words for its uncertainty."""

    value: float
    low: float
    high: float
    uncertainty: str
    n: int


def wilson_interval(successes: int, trials: int, level: float = ROI_INTERVAL_LEVEL) -> tuple[float, float]:
    """Wilson score interval of a proportion (Wilson 1927), as floats: :func:`analytics.services.wilson_interval`
    for one count (NaN, NaN when ``trials`` is 0)."""
    from analytics.services import wilson_interval as wilson

    lo, hi = wilson(successes, trials, level)
    return float(lo), float(hi)


def poisson_interval(count: int, level: float = ROI_INTERVAL_LEVEL) -> tuple[float, float]:
    """Exact (Garwood 1936) interval of a Poisson mean from one count ``k``:
    ``[chi2.ppf(a/2, 2k) / 2, chi2.ppf(1 - a/2, 2k + 2) / 2]`` with ``a = 1 - level`` (lower 0 when k = 0)."""
    a = 1 - level
    lo = 0.0 if count == 0 else float(stats.chi2.ppf(a / 2, 2 * count) / 2)
    return lo, float(stats.chi2.ppf(1 - a / 2, 2 * count + 2) / 2)


def bootstrap_interval(values, statistic=np.mean, level: float = ROI_INTERVAL_LEVEL,
                       draws: int = DEFAULT_BOOTSTRAP_DRAWS, seed: int = DEFAULT_SEED) -> tuple[float, float]:
    """Percentile bootstrap interval of ``statistic`` over ``values`` (seeded, ``draws`` resamples)."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if len(x) < 2:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(x), size=(int(draws), len(x)))
    stat = statistic(x[idx], axis=1)
    a = (1 - level) / 2
    return float(np.quantile(stat, a)), float(np.quantile(stat, 1 - a))


def _in(frame: pd.DataFrame | None, col: str, start, end) -> pd.DataFrame:
    if frame is None or not len(frame):
        return pd.DataFrame(columns=[col])
    d = pd.to_datetime(frame[col])
    return frame[(d >= pd.Timestamp(start)) & (d <= pd.Timestamp(end))]


@dataclass(frozen=True)
class MeasureData:
    """What the measures are computed from (any may be empty).

    ``bars``: ``date, close, volume``; ``shares_outstanding``: a number; ``coverage``: ``date,
    market_makers, analysts``; ``inquiries``: ``received_at, answered_at``; ``mailings``: ``date,
    recipients, calls, meetings, inquiries``.
    """

    bars: pd.DataFrame
    shares_outstanding: float = float("nan")
    coverage: pd.DataFrame | None = None
    inquiries: pd.DataFrame | None = None
    mailings: pd.DataFrame | None = None
    peer_bars: pd.DataFrame | None = None  # ticker, date, close, volume of the client's peers (client left out)


def _peer_statistic(key: str, client: np.ndarray, peers: np.ndarray) -> np.ndarray:
    """Per row of resampled days: the client's statistic against the peers' median one.

    ``client``: (draws, days) close x volume or volume; ``peers``: (draws, peers, days).
    """
    if key == "days_traded_vs_peers":
        return (client > 0).mean(axis=-1) - np.median((peers > 0).mean(axis=-1), axis=-1)
    peer_mean = np.median(np.nanmean(peers, axis=-1), axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.nanmean(client, axis=-1) / peer_mean


def _peer_measure(key: str, data: MeasureData, start, end, level: float) -> Estimate:
    nan = float("nan")
    b = _in(data.bars, "date", start, end)
    p = _in(data.peer_bars, "date", start, end) if data.peer_bars is not None else pd.DataFrame()
    if not len(b) or not len(p):
        return Estimate(nan, nan, nan, "no peers with bars in the period: cannot tell", 0)
    dollars = key == "dollar_volume_vs_peers"
    value = (lambda f: f["close"].astype(float) * f["volume"].astype(float)) if dollars else \
        (lambda f: f["volume"].astype(float))
    days = pd.DatetimeIndex(sorted(pd.to_datetime(b["date"]).unique()))
    client = pd.Series(value(b).to_numpy(), index=pd.to_datetime(b["date"])).reindex(days).to_numpy()
    wide = (p.assign(v=value(p).to_numpy(), date=pd.to_datetime(p["date"]))
            .pivot_table(index="date", columns="ticker", values="v", aggfunc="last").reindex(days))
    peers = wide.to_numpy().T  # (peers, days); a day a peer has no bar is missing, an untraded day is 0
    if not dollars:
        peers = np.where(np.isnan(peers), 0.0, peers)
    est = float(_peer_statistic(key, client[None, :], peers[None, :, :])[0])
    rng = np.random.default_rng(DEFAULT_SEED)
    idx = rng.integers(0, len(days), size=(DEFAULT_BOOTSTRAP_DRAWS, len(days)))
    draws = _peer_statistic(key, client[idx], np.transpose(peers[:, idx], (1, 0, 2)))
    draws = draws[np.isfinite(draws)]
    a = (1 - level) / 2
    lo, hi = (float(np.quantile(draws, a)), float(np.quantile(draws, 1 - a))) if len(draws) > 1 else (nan, nan)
    n_peers = peers.shape[0]
    words = (f"{level:.0%} interval {lo * 100:+.1f} to {hi * 100:+.1f} points" if not dollars
             else f"{level:.0%} interval {lo:.2f}x to {hi:.2f}x")
    return Estimate(est, lo, hi, words + f" (paired bootstrap of {len(days)} days, {n_peers} peers)", len(days))


def _pct_text(lo, hi, level, how) -> str:
    return f"{level:.0%} interval {lo:.1%} to {hi:.1%} ({how})"


def measure(key: str, data: MeasureData, start, end, level: float = ROI_INTERVAL_LEVEL) -> Estimate:
    """One measure over ``[start, end]`` (both inclusive) with its interval (see the module docstring)."""
    if key not in MEASURES:
        raise ValueError(f"unknown measure {key!r}: use one of {', '.join(MEASURES)}")
    kind = MEASURES[key][2]
    nan = float("nan")
    if kind == "peers":
        return _peer_measure(key, data, start, end, level)
    if key in ("avg_daily_dollar_volume", "share_days_traded", "turnover"):
        b = _in(data.bars, "date", start, end)
        if not len(b):
            return Estimate(nan, nan, nan, "no trading days in the period", 0)
        vol = b["volume"].astype(float).to_numpy()
        if key == "share_days_traded":
            k, n = int((vol > 0).sum()), len(vol)
            lo, hi = wilson_interval(k, n, level)
            return Estimate(k / n, lo, hi, _pct_text(lo, hi, level, f"Wilson, {k} of {n} days"), n)
        x = vol * b["close"].astype(float).to_numpy() if key == "avg_daily_dollar_volume" \
            else vol / float(data.shares_outstanding)
        if not np.isfinite(x).any():
            return Estimate(nan, nan, nan, "shares outstanding not recorded", 0)
        lo, hi = bootstrap_interval(x, level=level)
        words = (f"{level:.0%} interval ${lo:,.0f} to ${hi:,.0f}" if key == "avg_daily_dollar_volume"
                 else f"{level:.0%} interval {lo:.3%} to {hi:.3%}")
        return Estimate(float(np.nanmean(x)), lo, hi, words + f" (bootstrap of {len(x)} days)", len(x))
    if key in ("market_makers", "analysts"):
        c = data.coverage
        if c is None or not len(c) or key not in c:
            return Estimate(nan, nan, nan, "a count, no sampling interval (none recorded)", 0)
        c = c[pd.to_datetime(c["date"]) <= pd.Timestamp(end)].dropna(subset=[key]).sort_values("date")
        if not len(c):
            return Estimate(nan, nan, nan, "a count, no sampling interval (none recorded by then)", 0)
        return Estimate(float(c[key].iloc[-1]), nan, nan,
                        f"a count, no sampling interval (recorded {pd.Timestamp(c['date'].iloc[-1]):%Y-%m-%d})", 1)
    if key in ("inquiries_per_month", "median_response_hours"):
        if data.inquiries is None or not len(data.inquiries):
            return Estimate(nan, nan, nan, "no inquiry log recorded: cannot tell", 0)
        q = _in(data.inquiries, "received_at", start, pd.Timestamp(end) + pd.Timedelta(days=1) - pd.Timedelta(1))
        if key == "inquiries_per_month":
            months = ((pd.Timestamp(end) - pd.Timestamp(start)).days + 1) / DAYS_PER_MONTH
            k = len(q)
            lo, hi = poisson_interval(k, level)
            return Estimate(k / months, lo / months, hi / months,
                            f"{level:.0%} interval {lo / months:.1f} to {hi / months:.1f} a month (exact Poisson, "
                            f"{k} inquiries in {months:.1f} months)", k)
        if not len(q) or q["answered_at"].isna().all():
            return Estimate(nan, nan, nan, "no answered inquiries in the period", 0)
        hours = ((pd.to_datetime(q["answered_at"]) - pd.to_datetime(q["received_at"])).dt.total_seconds()
                 / 3600).dropna().to_numpy()
        lo, hi = bootstrap_interval(hours, statistic=np.median, level=level)
        words = (f"{level:.0%} interval {lo:.1f} to {hi:.1f} hours (bootstrap of {len(hours)} answered inquiries)"
                 if np.isfinite(lo) else f"one answered inquiry: no interval")
        return Estimate(float(np.median(hours)), lo, hi, words, len(hours))
    m = _in(data.mailings, "date", start, end)  # response_rate
    if not len(m):
        return Estimate(nan, nan, nan, "no mailings in the period", 0)
    n = int(m["recipients"].sum())
    k = int(m[["calls", "meetings", "inquiries"]].fillna(0).sum().sum())
    if n <= 0 or k > n:
        return Estimate(k / n if n > 0 else nan, nan, nan,
                        f"no interval: {k} responses to {n} recipients (more responses than recipients)", n)
    lo, hi = wilson_interval(k, n, level)
    return Estimate(k / n, lo, hi, _pct_text(lo, hi, level, f"Wilson, {k} responses of {n} recipients"), n)


def _met(direction: str, target: float, est: Estimate) -> str:
    if not np.isfinite(est.value):
        return "cannot tell"
    ok = (lambda v: v >= target) if direction == "at_least" else (lambda v: v <= target)
    if not (np.isfinite(est.low) and np.isfinite(est.high)):
        return "met" if ok(est.value) else "not met"
    if ok(est.low) and ok(est.high):
        return "met"
    if not ok(est.low) and not ok(est.high):
        return "not met"
    return "cannot tell"


def format_value(key: str, v: float) -> str:
    """A measure's value as the report writes it."""
    if v is None or not np.isfinite(v):
        return "n/a"
    unit = MEASURES[key][1]
    if unit == "$":
        return f"${v:,.0f}"
    if unit == "%":
        return f"{v:.3%}" if key == "turnover" else f"{v:.1%}"
    if unit == "/month":
        return f"{v:.1f} a month"
    if unit == "h":
        return f"{v:.1f} hours"
    if unit == "pts":
        return f"{v * 100:+.1f} points"
    if unit == "x":
        return f"{v:.2f}x"
    return f"{v:,.0f}"


OBJECTIVE_COLUMNS = ("objective_id", "measure", "label", "target", "direction", "set_date", "due_date",
                     "set_before_first_activity", "period_start", "period_end", "baseline_start", "baseline_end", "baseline",
                     "baseline_uncertainty",
                     "outcome", "low", "high", "uncertainty", "change", "verdict")


def score_objectives(objectives: pd.DataFrame, data: MeasureData, engagement_start, engagement_end,
                     first_activity=None, level: float = ROI_INTERVAL_LEVEL) -> pd.DataFrame:
    """Each objective scored over the engagement against its target, with the baseline before the engagement.

    The outcome period runs from ``engagement_start`` to the objective's ``due_date`` (the engagement's
    end when it has none); the baseline is the period of the same number of calendar days that ends the
    day before ``engagement_start``. ``change = outcome - baseline``. ``set_before_first_activity`` is
    ``set_date < first_activity`` (None when no activity is recorded).

    Returns
    -------
    pandas.DataFrame
        ``OBJECTIVE_COLUMNS``, one row per objective; ``verdict`` in met / not met / cannot tell.
    """
    rows = []
    s0 = pd.Timestamp(engagement_start).normalize()
    for o in (objectives.to_dict("records") if objectives is not None and len(objectives) else []):
        key = o["measure"]
        end = o.get("due_date")
        end = pd.Timestamp(engagement_end) if end is None or pd.isna(end) else pd.Timestamp(end)
        span = (end - s0).days + 1
        b_end, b_start = s0 - pd.Timedelta(days=1), s0 - pd.Timedelta(days=span)
        out = measure(key, data, s0, end, level)
        base = measure(key, data, b_start, b_end, level)
        first = None if first_activity is None or pd.isna(first_activity) else pd.Timestamp(first_activity)
        rows.append({
            "objective_id": o.get("objective_id"), "measure": key, "label": MEASURES[key][0],
            "target": float(o["target"]), "direction": o.get("direction") or "at_least",
            "set_date": pd.Timestamp(o["set_date"]), "due_date": o.get("due_date"),
            "set_before_first_activity": None if first is None else bool(pd.Timestamp(o["set_date"]) < first),
            "period_start": s0, "period_end": end, "baseline_start": b_start, "baseline_end": b_end,
            "baseline": base.value, "baseline_uncertainty": base.uncertainty,
            "outcome": out.value, "low": out.low, "high": out.high, "uncertainty": out.uncertainty,
            "change": out.value - base.value, "verdict": _met(o.get("direction") or "at_least", float(o["target"]), out),
        })
    return pd.DataFrame(rows, columns=list(OBJECTIVE_COLUMNS))


def objective_rows(scored: pd.DataFrame, first_activity=None, source: str = "objectives log",
                   simulated: bool = False) -> list[AmecRow]:
    """The scored objectives as AMEC rows: one "objectives" row (the target) and one result row each, in
    "outtakes" for the audience's response (``OUTTAKE_MEASURES``) and "outcomes" for the market's."""
    out = []
    for r in scored.to_dict("records"):
        key = r["measure"]
        word = "at least" if r["direction"] == "at_least" else "at most"
        due = r["due_date"]
        due_text = f" by {pd.Timestamp(due):%Y-%m-%d}" if due is not None and not pd.isna(due) else ""
        when = r["set_before_first_activity"]
        fa = f" ({pd.Timestamp(first_activity):%Y-%m-%d})" if first_activity is not None else ""
        set_words = (f"set {r['set_date']:%Y-%m-%d}, " + ("before the first activity" if when else
                     "not before the first activity" if when is not None else "no activity recorded") + fa)
        out.append(AmecRow("objectives", r["label"], f"target {word} {format_value(key, r['target'])}{due_text}",
                           set_words, "a target, no sampling interval", source, simulated))
        base = format_value(key, r["baseline"])
        diff = r["change"]
        if not np.isfinite(diff):
            change = f"no baseline ({r['baseline_uncertainty']})"
        else:
            if MEASURES[key][1] == "pts":
                moved = f"{diff * 100:+.1f} points"
            elif MEASURES[key][1] == "x":
                moved = f"{diff:+.2f} in the ratio"
            elif MEASURES[key][1] == "%":
                moved = f"{diff * 100:+.{3 if key == 'turnover' else 1}f} points"
            else:
                moved = ("+" if diff > 0 else "-" if diff < 0 else "") + format_value(key, abs(diff))
            change = (f"{moved} against the baseline {base} ({r['baseline_start']:%Y-%m-%d} to "
                      f"{r['baseline_end']:%Y-%m-%d})")
        out.append(AmecRow("outtakes" if key in OUTTAKE_MEASURES else "outcomes", r["label"],
                           f"{format_value(key, r['outcome'])} "
                           + (f"as of {r['period_end']:%Y-%m-%d}" if MEASURES[key][2] == "count" else
                              f"over {r['period_start']:%Y-%m-%d} to {r['period_end']:%Y-%m-%d}")
                           + f": {r['verdict']} (target {word} "
                           f"{format_value(key, r['target'])})",
                           change, r["uncertainty"], source, simulated))
    return out
