"""Liquidity of one stock from its daily bars, and its change between periods.

Daily measures (:func:`daily_liquidity`):

- dollar volume ``DV_t = close_t * volume_t`` (USD);
- turnover ``volume_t / shares_outstanding_t`` (a fraction; NaN when shares are unknown);
- zero-volume indicator ``volume_t == 0``;
- Amihud (2002) illiquidity ``ILLIQ_t = |r_t| / DV_t``, scaled to the absolute return per
  USD 1 million traded. It is undefined on zero-volume days (division by zero): those days
  get NaN and are left out of period averages, as in Amihud (2002), who averages over days
  with positive volume. The zero-volume share reports how many days that left out;
- Corwin and Schultz (2012) high-low spread estimate from each pair of consecutive days.

Period comparison (:func:`compare_liquidity`, :func:`liquidity_difference`): the average of
each measure per named period, and a test of the difference between two periods.

References
----------
Amihud, Y. (2002). Illiquidity and stock returns: cross-section and time-series effects.
Journal of Financial Markets 5(1), 31-56.
Corwin, S. A., Schultz, P. (2012). A simple way to estimate bid-ask spreads from daily high
and low prices. Journal of Finance 67(2), 719-760.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "AMIHUD_SCALE",
    "corwin_schultz_spread",
    "daily_liquidity",
    "compare_liquidity",
    "liquidity_difference",
]

#: Amihud illiquidity is reported as absolute return per USD 1 million of volume.
AMIHUD_SCALE = 1e6
_K = 3.0 - 2.0 * math.sqrt(2.0)  # (sqrt(2) - 1)^2, the constant in the Corwin-Schultz alpha

CONTINUOUS_MEASURES = ("dollar_volume", "turnover", "amihud", "cs_spread")
DIFFERENCE_METHODS = ("mannwhitney", "welch", "hac")


def corwin_schultz_spread(high, low, close=None, *, overnight_adjust: bool = True,
                          clip_negative: bool = True) -> np.ndarray:
    """Corwin and Schultz (2012) two-day high-low spread estimates.

    Parameters
    ----------
    high, low : array_like, shape (T,)
        Daily high and low prices of consecutive trading days.
    close : array_like, shape (T,), optional
        Daily close, needed for the overnight adjustment.
    overnight_adjust : bool, default True
        Corwin and Schultz (2012), adjustment for overnight returns: if day t+1's low is above day t's close,
        both of day t+1's high and low are lowered by the difference; if day t+1's high is
        below day t's close, both are raised by the difference. Ignored without ``close``.
    clip_negative : bool, default True
        Set negative two-day estimates to zero before any averaging, the treatment of the
        paper's main results. With False the raw estimates are returned (the paper's
        alternative keeps them in the average).

    Returns
    -------
    ndarray, shape (T,)
        Element t is the estimate from days t-1 and t (element 0 is NaN). With
        ``b_t = ln(H_t / L_t)^2``, ``beta = b_{t-1} + b_t``,
        ``gamma = ln(max(H_{t-1}, H_t) / min(L_{t-1}, L_t))^2``,

        ``alpha = (sqrt(2 beta) - sqrt(beta)) / (3 - 2 sqrt 2) - sqrt(gamma / (3 - 2 sqrt 2))``

        ``S = 2 (exp(alpha) - 1) / (1 + exp(alpha))``      (Corwin and Schultz 2012)

        NaN where a price is missing or non-positive, or ``high < low``.

    Notes
    -----
    Two days with the same range and no price change between them give
    ``alpha = ln(H / L)`` and ``S = 2 (H - L) / (H + L)`` exactly.
    """
    h = np.asarray(high, dtype=float).copy()
    lo = np.asarray(low, dtype=float).copy()
    n = h.size
    out = np.full(n, np.nan)
    if n < 2:
        return out
    h0, l0 = h[:-1], lo[:-1]
    h1, l1 = h[1:].copy(), lo[1:].copy()
    if overnight_adjust and close is not None:
        c0 = np.asarray(close, dtype=float)[:-1]
        up = l1 > c0
        down = h1 < c0
        shift = np.where(up, l1 - c0, np.where(down, h1 - c0, 0.0))
        shift = np.where(np.isfinite(shift), shift, 0.0)
        h1, l1 = h1 - shift, l1 - shift
    valid = (np.isfinite(h0) & np.isfinite(l0) & np.isfinite(h1) & np.isfinite(l1)
             & (l0 > 0) & (l1 > 0) & (h0 >= l0) & (h1 >= l1))
    with np.errstate(invalid="ignore", divide="ignore"):
        beta = np.log(h0 / l0) ** 2 + np.log(h1 / l1) ** 2
        gamma = np.log(np.maximum(h0, h1) / np.minimum(l0, l1)) ** 2
        alpha = (np.sqrt(2 * beta) - np.sqrt(beta)) / _K - np.sqrt(gamma / _K)
        s = 2.0 * (np.exp(alpha) - 1.0) / (1.0 + np.exp(alpha))
    if clip_negative:
        s = np.maximum(s, 0.0)
    out[1:] = np.where(valid, s, np.nan)
    return out


def _shares_asof(dates: pd.DatetimeIndex, shares_outstanding) -> np.ndarray:
    if shares_outstanding is None:
        return np.full(len(dates), np.nan)
    if isinstance(shares_outstanding, pd.DataFrame):
        shares_outstanding = shares_outstanding.set_index("date")["shares"]
    if isinstance(shares_outstanding, pd.Series):
        so = shares_outstanding.astype(float).sort_index()
        so.index = pd.DatetimeIndex(so.index)
        so = so[~so.index.duplicated(keep="last")]
        return so.reindex(dates.union(so.index)).ffill().reindex(dates).to_numpy()
    return np.full(len(dates), float(shares_outstanding))


def daily_liquidity(bars: pd.DataFrame, shares_outstanding=None, *,
                    overnight_adjust: bool = True, amihud_scale: float = AMIHUD_SCALE) -> pd.DataFrame:
    """Daily liquidity measures of one stock.

    Parameters
    ----------
    bars : pandas.DataFrame
        Columns ``date, high, low, close, volume`` (one stock, canonical price bars); an
        ``adj_close`` column, when present, is used for returns (dividends included),
        ``close`` for dollar volume and the spread.
    shares_outstanding : pandas.Series, DataFrame, float or None
        A Series indexed by date (or the store's frame with ``date, shares``), taken as of
        each trading day (last known value on or before it), or one number. None: turnover
        is NaN.
    overnight_adjust : bool, default True
        Passed to :func:`corwin_schultz_spread`.
    amihud_scale : float, default 1e6
        Amihud is reported as absolute return per ``amihud_scale`` USD traded.

    Returns
    -------
    pandas.DataFrame
        Indexed by date (sorted), columns ``close, volume, dollar_volume, turnover,
        zero_volume, ret, amihud, cs_spread, cs_spread_raw``:

        - ``ret`` simple return from the previous bar (a multi-day return after missing days);
        - ``amihud = amihud_scale * |ret| / dollar_volume``, NaN on zero-volume days;
        - ``cs_spread_raw`` the Corwin-Schultz estimate from the previous and this day,
          NaN unless both days traded (a zero-volume day's high and low are not prices at
          which anyone traded); ``cs_spread`` the same with negatives set to zero.
    """
    b = bars.sort_values("date")
    dates = pd.DatetimeIndex(b["date"])
    close = b["close"].to_numpy(float)
    volume = b["volume"].to_numpy(float)
    px = b["adj_close"].to_numpy(float) if "adj_close" in b else close
    dollar_volume = close * volume
    shares = _shares_asof(dates, shares_outstanding)
    with np.errstate(invalid="ignore", divide="ignore"):
        turnover = np.where(shares > 0, volume / shares, np.nan)
        ret = np.r_[np.nan, px[1:] / px[:-1] - 1.0]
        amihud = np.where(dollar_volume > 0, amihud_scale * np.abs(ret) / dollar_volume, np.nan)
    traded = volume > 0
    both_traded = np.r_[False, traded[1:] & traded[:-1]]
    raw = corwin_schultz_spread(b["high"], b["low"], close, overnight_adjust=overnight_adjust,
                                clip_negative=False)
    raw = np.where(both_traded, raw, np.nan)
    return pd.DataFrame({
        "close": close,
        "volume": volume,
        "dollar_volume": dollar_volume,
        "turnover": turnover,
        "zero_volume": volume == 0,
        "ret": ret,
        "amihud": amihud,
        "cs_spread": np.where(np.isfinite(raw), np.maximum(raw, 0.0), np.nan),
        "cs_spread_raw": raw,
    }, index=pd.Index(dates, name="date"))


def _period_mask(daily: pd.DataFrame, start, end) -> np.ndarray:
    idx = daily.index
    m = np.ones(len(idx), dtype=bool)
    if start is not None:
        m &= idx >= pd.Timestamp(start)
    if end is not None:
        m &= idx <= pd.Timestamp(end)
    return m


def _period_samples(daily: pd.DataFrame, start, end) -> dict[str, np.ndarray]:
    """Daily observations of each measure inside [start, end] (both days of a CS pair inside)."""
    m = _period_mask(daily, start, end)
    first = np.r_[False, m[1:] & m[:-1]]  # a pair (t-1, t) counts only if t-1 is inside too
    d = daily[m]
    volume_ok = d["volume"].notna().to_numpy()
    return {
        "dollar_volume": d["dollar_volume"].to_numpy()[volume_ok],
        "turnover": d["turnover"].dropna().to_numpy(),
        "zero_volume": d["zero_volume"].to_numpy()[volume_ok],
        "amihud": d["amihud"].dropna().to_numpy(),
        "cs_spread": daily["cs_spread"].to_numpy()[first & np.isfinite(daily["cs_spread"].to_numpy())],
        "_n_days": np.array([int(m.sum())]),
    }


def _mean(x: np.ndarray) -> float:
    return float(np.mean(x)) if x.size else float("nan")


def compare_liquidity(bars: pd.DataFrame, periods: dict, shares_outstanding=None, *,
                      overnight_adjust: bool = True,
                      amihud_scale: float = AMIHUD_SCALE) -> pd.DataFrame:
    """Average liquidity of one stock in each named period.

    Parameters
    ----------
    bars : pandas.DataFrame
        Daily bars ``date, high, low, close, volume`` (see :func:`daily_liquidity`).
    periods : dict[str, tuple[start, end]]
        Named periods with inclusive date bounds (``None`` = open), for example
        ``{"before": (None, "1999-01-03"), "during": ("1999-01-04", "1999-12-31")}``.
    shares_outstanding : pandas.Series, DataFrame, float or None
        See :func:`daily_liquidity`.

    Returns
    -------
    pandas.DataFrame
        Indexed by period name (in the order given), columns:
        ``start, end`` (the first and last bar inside), ``n_days`` (bars), ``n_traded_days``
        (volume > 0), ``mean_dollar_volume``, ``median_dollar_volume``, ``mean_turnover``
        (NaN without shares outstanding), ``zero_volume_share``, ``amihud`` (mean daily
        Amihud over days with volume, per ``amihud_scale`` USD), ``cs_spread`` (mean of the
        two-day Corwin-Schultz estimates with negatives set to zero; pairs need both days
        inside the period and traded), ``n_cs_pairs``.

    Notes
    -----
    Returns are computed on the whole series before the periods are cut, so the first
    day of a period uses the close of the day before it. Use :func:`liquidity_difference`
    to test the change between two periods.
    """
    daily = daily_liquidity(bars, shares_outstanding, overnight_adjust=overnight_adjust,
                            amihud_scale=amihud_scale)
    rows = []
    for name, (start, end) in periods.items():
        m = _period_mask(daily, start, end)
        s = _period_samples(daily, start, end)
        inside = daily.index[m]
        rows.append({
            "period": name,
            "start": inside.min() if len(inside) else pd.NaT,
            "end": inside.max() if len(inside) else pd.NaT,
            "n_days": int(m.sum()),
            "n_traded_days": int((~s["zero_volume"]).sum()),
            "mean_dollar_volume": _mean(s["dollar_volume"]),
            "median_dollar_volume": float(np.median(s["dollar_volume"])) if s["dollar_volume"].size else float("nan"),
            "mean_turnover": _mean(s["turnover"]),
            "zero_volume_share": _mean(s["zero_volume"].astype(float)),
            "amihud": _mean(s["amihud"]),
            "cs_spread": _mean(s["cs_spread"]),
            "n_cs_pairs": int(s["cs_spread"].size),
        })
    return pd.DataFrame(rows).set_index("period")


def _newey_west_lags(n: int) -> int:
    return int(math.floor(4.0 * (n / 100.0) ** (2.0 / 9.0)))


def _hac_difference(xa: np.ndarray, xb: np.ndarray) -> tuple[float, float]:
    """t of the mean difference b - a with Newey-West errors (periods stacked in time order)."""
    import statsmodels.api as sm

    y = np.r_[xa, xb]
    x = sm.add_constant(np.r_[np.zeros(xa.size), np.ones(xb.size)])
    fit = sm.OLS(y, x).fit(cov_type="HAC", cov_kwds={"maxlags": _newey_west_lags(y.size)})
    return float(fit.tvalues[1]), float(fit.pvalues[1])


def liquidity_difference(bars: pd.DataFrame, periods: dict, a: str, b: str,
                         shares_outstanding=None, *, method: str = "mannwhitney",
                         overnight_adjust: bool = True,
                         amihud_scale: float = AMIHUD_SCALE) -> pd.DataFrame:
    """Test whether liquidity differs between two periods (``b`` against ``a``).

    Parameters
    ----------
    bars, periods, shares_outstanding
        As in :func:`compare_liquidity`.
    a, b : str
        Names of the two periods in ``periods`` (for example ``"before"``, ``"during"``).
    method : {"mannwhitney", "welch", "hac"}, default "mannwhitney"
        Test for the continuous daily measures (dollar volume, turnover, Amihud, CS spread):

        - ``"mannwhitney"``: two-sided Mann-Whitney U (``scipy.stats.mannwhitneyu``), the
          default because daily dollar volume and Amihud of thin stocks are heavily skewed;
          it tests a shift of the distribution, not of the mean; ``statistic`` is U of ``b``;
        - ``"welch"``: Welch's unequal-variance t-test of the means (``ttest_ind(b, a,
          equal_var=False)``);
        - ``"hac"``: OLS of the daily measure on a ``b`` dummy with Newey-West standard
          errors (lags ``floor(4 (n/100)^(2/9))``), a mean difference robust to the serial
          correlation of daily liquidity, which the two others ignore.

    Returns
    -------
    pandas.DataFrame
        One row per measure: ``measure, value_a, value_b, difference`` (b - a), ``test,
        statistic, p_value, n_a, n_b``. The zero-volume share is tested with Fisher's exact
        test on the 2x2 table of zero/non-zero days (``statistic`` = odds ratio of a
        zero-volume day in ``b`` against ``a``), whatever ``method`` is. A measure with
        fewer than 2 observations in a period gets NaN.

    Notes
    -----
    Dollar volume moves with the price level: a price that doubled between the periods
    doubles dollar volume at the same share volume. Turnover and the zero-volume share do
    not depend on the price. Daily observations are treated as independent by
    ``"mannwhitney"`` and ``"welch"``;
    liquidity is persistent, so their p-values are too small when it is; prefer
    ``"hac"`` for long periods.
    """
    if method not in DIFFERENCE_METHODS:
        raise ValueError(f"method must be one of {DIFFERENCE_METHODS}")
    daily = daily_liquidity(bars, shares_outstanding, overnight_adjust=overnight_adjust,
                            amihud_scale=amihud_scale)
    sa = _period_samples(daily, *periods[a])
    sb = _period_samples(daily, *periods[b])
    rows = []
    for measure in CONTINUOUS_MEASURES:
        xa, xb = sa[measure], sb[measure]
        stat = p = float("nan")
        if xa.size >= 2 and xb.size >= 2 and np.ptp(np.r_[xa, xb]) > 0:
            if method == "mannwhitney":
                r = stats.mannwhitneyu(xb, xa, alternative="two-sided")
                stat, p = float(r.statistic), float(r.pvalue)
            elif method == "welch":
                r = stats.ttest_ind(xb, xa, equal_var=False)
                stat, p = float(r.statistic), float(r.pvalue)
            else:
                stat, p = _hac_difference(xa, xb)
        rows.append({"measure": measure, "value_a": _mean(xa), "value_b": _mean(xb),
                     "difference": _mean(xb) - _mean(xa), "test": method,
                     "statistic": stat, "p_value": p, "n_a": int(xa.size), "n_b": int(xb.size)})
    za, zb = sa["zero_volume"], sb["zero_volume"]
    stat = p = float("nan")
    if za.size and zb.size:
        table = [[int(zb.sum()), int((~zb).sum())], [int(za.sum()), int((~za).sum())]]
        r = stats.fisher_exact(table)
        stat, p = float(r.statistic), float(r.pvalue)
    rows.append({"measure": "zero_volume_share", "value_a": _mean(za.astype(float)),
                 "value_b": _mean(zb.astype(float)),
                 "difference": _mean(zb.astype(float)) - _mean(za.astype(float)),
                 "test": "fisher_exact", "statistic": stat, "p_value": p,
                 "n_a": int(za.size), "n_b": int(zb.size)})
    return pd.DataFrame(rows)
