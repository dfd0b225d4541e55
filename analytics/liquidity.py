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

from analytics.constants import LIQUIDITY_MIN_PLACEBO_SPLITS

__all__ = [
    "AMIHUD_SCALE",
    "corwin_schultz_spread",
    "daily_liquidity",
    "compare_liquidity",
    "liquidity_difference",
    "split_date_placebo",
    "andrews_bartlett_lags",
    "PRICE_LEVEL_NOTES",
]

#: Amihud illiquidity is reported as absolute return per USD 1 million of volume.
AMIHUD_SCALE = 1e6
_K = 3.0 - 2.0 * math.sqrt(2.0)  # (sqrt(2) - 1)^2, the constant in the Corwin-Schultz alpha

CONTINUOUS_MEASURES = ("dollar_volume", "turnover", "amihud", "cs_spread")
DIFFERENCE_METHODS = ("split_placebo", "hac", "mannwhitney", "welch")


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


def _shares_asof(dates: pd.DatetimeIndex, shares_outstanding, splits=None) -> np.ndarray:
    """Shares outstanding on the latest basis (that of split-adjusted volume) on each date."""
    from analytics.shares import shares_outstanding_daily

    return shares_outstanding_daily(shares_outstanding, dates, splits, basis="latest").to_numpy()


def daily_liquidity(bars: pd.DataFrame, shares_outstanding=None, *,
                    overnight_adjust: bool = True, amihud_scale: float = AMIHUD_SCALE,
                    splits: pd.DataFrame | None = None) -> pd.DataFrame:
    """Daily liquidity measures of one stock.

    Parameters
    ----------
    bars : pandas.DataFrame
        Columns ``date, high, low, close, volume`` (one stock, canonical price bars); an
        ``adj_close`` column, when present, is used for returns (dividends included),
        ``close`` for dollar volume and the spread.
    shares_outstanding : pandas.Series, DataFrame, float or None
        A Series indexed by date (or the store's frame with ``date, shares``), taken as of
        each trading day (last known value on or before it), or one number (latest basis).
        None: turnover is NaN.
    overnight_adjust : bool, default True
        Passed to :func:`corwin_schultz_spread`.
    amihud_scale : float, default 1e6
        Amihud is reported as absolute return per ``amihud_scale`` USD traded.
    splits : pandas.DataFrame, optional
        ``date, ratio``: each report is restated to the latest basis, the basis of the
        split-adjusted volume (:func:`analytics.shares.shares_outstanding_daily`), so a
        report dated before a 1-for-10 reverse split does not make turnover 10x too small.

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
    shares = _shares_asof(dates, shares_outstanding, splits)
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
                      amihud_scale: float = AMIHUD_SCALE,
                      splits: pd.DataFrame | None = None) -> pd.DataFrame:
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
    splits : pandas.DataFrame, optional
        ``date, ratio``, to restate the shares reports for turnover (:func:`daily_liquidity`).

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
                            amihud_scale=amihud_scale, splits=splits)
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


def andrews_bartlett_lags(u: np.ndarray) -> tuple[int, float]:
    """Data-driven Bartlett (Newey-West) truncation lag, Andrews (1991) AR(1) plug-in.

    Parameters
    ----------
    u : ndarray
        The moment series (regression residuals), time ordered.

    Returns
    -------
    (lags, bandwidth)
        ``rho`` = OLS AR(1) coefficient of ``u`` (clipped to [-0.97, 0.97]),
        ``alpha(1) = 4 rho^2 / ((1 - rho)^2 (1 + rho)^2)``, bandwidth
        ``S_T = 1.1447 (alpha(1) T)^(1/3)`` (Andrews 1991, eq. 6.2 and 6.4, univariate case);
        ``lags = floor(S_T)`` (Bartlett weights ``1 - j / (lags + 1)`` as in statsmodels),
        at most ``T - 2``.

    References
    ----------
    Andrews, D. W. K. (1991). Heteroskedasticity and autocorrelation consistent covariance
    matrix estimation. Econometrica 59(3), 817-858.
    """
    u = np.asarray(u, dtype=float)
    u = u[np.isfinite(u)]
    t = u.size
    if t < 3:
        return 0, 0.0
    x0, x1 = u[:-1], u[1:]
    den = float(x0 @ x0)
    rho = float(x0 @ x1) / den if den > 0 else 0.0
    rho = min(max(rho, -0.97), 0.97)
    a1 = 4.0 * rho ** 2 / ((1.0 - rho) ** 2 * (1.0 + rho) ** 2)
    bw = 1.1447 * (a1 * t) ** (1.0 / 3.0)
    return int(min(math.floor(bw), t - 2)), float(bw)


def _hac_difference(xa: np.ndarray, xb: np.ndarray, lags: int | None = None) -> tuple[float, float, int]:
    """t of the mean difference b - a with Newey-West errors (periods stacked in time order).

    ``lags`` None: Andrews (1991) data-driven lag of the residuals (:func:`andrews_bartlett_lags`).
    """
    import statsmodels.api as sm

    y = np.r_[xa, xb]
    x = sm.add_constant(np.r_[np.zeros(xa.size), np.ones(xb.size)])
    if lags is None:
        resid = np.r_[xa - xa.mean(), xb - xb.mean()]
        lags, _ = andrews_bartlett_lags(resid)
    fit = sm.OLS(y, x).fit(cov_type="HAC", cov_kwds={"maxlags": int(lags)})
    return float(fit.tvalues[1]), float(fit.pvalues[1]), int(lags)


#: Measures whose level moves with the share price (a price that doubled doubles dollar
#: volume at the same share volume; Amihud divides by dollar volume; the spread estimate is
#: relative to a price quoted in ticks): their change between periods is partly the price's.
PRICE_LEVEL_NOTES: dict[str, str] = {
    "dollar_volume": ("moves with the price level: at the same share volume, a price that doubled "
                      "doubles dollar volume"),
    "amihud": ("moves with the price level: |return| per dollar traded falls as the price (and so "
               "dollar volume) rises, at the same share volume"),
    "cs_spread": ("moves with the price level: on a penny stock one tick is a larger share of a "
                  "lower price, so the relative spread rises as the price falls"),
}
_DAILY_COLUMNS = {"dollar_volume": "dollar_volume", "turnover": "turnover",
                  "amihud": "amihud", "cs_spread": "cs_spread", "zero_volume_share": "zero_volume"}


def _positions(daily: pd.DataFrame, start, end) -> tuple[int, int]:
    m = _period_mask(daily, start, end)
    pos = np.flatnonzero(m)
    return (int(pos[0]), int(pos[-1])) if pos.size else (-1, -2)


def split_date_placebo(x: np.ndarray, a: tuple[int, int], b: tuple[int, int],
                       skip_first: bool = False, min_obs: int = 2) -> dict:
    """Difference of means ``b - a`` against the same difference at every other split date.

    Parameters
    ----------
    x : ndarray, shape (T,)
        One daily measure of one stock over its whole history (NaN = not observed).
    a, b : (int, int)
        Inclusive positions of the two periods (``a`` before ``b``; any gap between them kept).
    skip_first : bool
        Leave each window's first day out (the Corwin-Schultz estimate of day ``t`` uses day
        ``t - 1``, which must be inside the period).
    min_obs : int
        Fewest observed days in each window for a placebo difference to count.

    Returns
    -------
    dict
        ``difference`` (the actual ``mean_b - mean_a``), ``placebo`` (the differences at
        every shift ``k`` of the pair of windows, lengths and gap kept, that fits in the
        history, the actual one included), ``p_value`` = share of placebo differences with
        ``|d_k| >= |d_actual|`` (two-sided), ``n_placebo``.

    Notes
    -----
    The reference distribution is the stock's own history: under "nothing changed", the
    actual split date is one of many equally likely ones, whatever the persistence of the
    measure (the placebo windows carry the same autocorrelation). Windows overlap, so the
    draws are not independent; the p-value is a rank, exact in the limit of a long
    stationary history. Vectorised with prefix sums, no loop over split dates.
    """
    x = np.asarray(x, dtype=float)
    t = x.size
    n_a, n_b = a[1] - a[0] + 1, b[1] - b[0] + 1
    gap = b[0] - a[1] - 1
    ok = np.isfinite(x)
    s = np.r_[0.0, np.cumsum(np.where(ok, x, 0.0))]
    c = np.r_[0, np.cumsum(ok)]
    k = np.arange(0, t - (n_a + gap + n_b) + 1)
    off = 1 if skip_first else 0
    a0, a1 = k + off, k + n_a
    b0, b1 = k + n_a + gap + off, k + n_a + gap + n_b
    ca, cb = c[a1] - c[a0], c[b1] - c[b0]
    with np.errstate(invalid="ignore", divide="ignore"):
        d = (s[b1] - s[b0]) / cb - (s[a1] - s[a0]) / ca
    valid = (ca >= min_obs) & (cb >= min_obs)
    actual_k = a[0]
    if actual_k >= k.size or not valid[actual_k]:
        return {"difference": float("nan"), "placebo": d[valid], "p_value": float("nan"),
                "n_placebo": int(valid.sum())}
    obs = float(d[actual_k])
    ref = d[valid]
    tol = 1e-12 * max(1.0, abs(obs))
    p = float(np.mean(np.abs(ref) >= abs(obs) - tol))
    return {"difference": obs, "placebo": ref, "p_value": p, "n_placebo": int(ref.size)}


def liquidity_difference(bars: pd.DataFrame, periods: dict, a: str, b: str,
                         shares_outstanding=None, *, method: str = "split_placebo",
                         overnight_adjust: bool = True,
                         amihud_scale: float = AMIHUD_SCALE,
                         splits: pd.DataFrame | None = None,
                         min_placebo: int = LIQUIDITY_MIN_PLACEBO_SPLITS) -> pd.DataFrame:
    """Test whether liquidity differs between two periods (``b`` against ``a``).

    Parameters
    ----------
    bars, periods, shares_outstanding, splits
        As in :func:`compare_liquidity`. For ``"split_placebo"`` give the whole history in
        ``bars``, not only the two periods: it is the reference distribution.
    a, b : str
        Names of the two periods in ``periods`` (for example ``"before"``, ``"during"``).
    method : {"split_placebo", "hac", "mannwhitney", "welch"}, default "split_placebo"
        Test for every measure:

        - ``"split_placebo"`` (default): the difference of means against the same difference
          at every other split date of the stock's history (:func:`split_date_placebo`),
          which keeps its level when liquidity is persistent (AR(1)-like), as thin stocks'
          liquidity is. With fewer than ``min_placebo`` split dates (a short history) it falls
          back to ``"hac"``, said in ``test``;
        - ``"hac"``: OLS of the daily measure on a ``b`` dummy with Newey-West (Bartlett)
          standard errors, the lag chosen from the data (Andrews 1991 AR(1) plug-in,
          :func:`andrews_bartlett_lags`; ``lags`` column); normal p-value. Better than the
          iid tests under persistence, but still liberal in short, very persistent samples;
        - ``"mannwhitney"``: two-sided Mann-Whitney U, ``"welch"``: Welch's t. Both treat days
          as independent: with persistent liquidity they reject far too often (issue 9:
          18-50% at 10%); kept for iid data. With ``"hac"``, ``"mannwhitney"`` and
          ``"welch"`` the zero-volume share uses Fisher's exact test (also iid).
    min_placebo : int
        Fewest placebo split dates for ``"split_placebo"`` (``LIQUIDITY_MIN_PLACEBO_SPLITS``).

    Returns
    -------
    pandas.DataFrame
        One row per measure: ``measure, value_a, value_b, difference`` (b - a), ``test``
        (the method in words, the fallback said), ``statistic`` (t for ``hac``/``welch``, U
        for ``mannwhitney``, the odds ratio for Fisher, the difference for the placebo),
        ``p_value``, ``n_a, n_b``, ``n_placebo`` (split dates used), ``lags`` (HAC lag),
        ``note`` (``PRICE_LEVEL_NOTES`` for the measures that move with the price level,
        empty otherwise).
    """
    if method not in DIFFERENCE_METHODS:
        raise ValueError(f"method must be one of {DIFFERENCE_METHODS}, not {method!r}")
    for name in (a, b):
        if name not in periods:
            raise ValueError(f"period {name!r} is not among the periods given ({sorted(periods)})")
    daily = daily_liquidity(bars, shares_outstanding, overnight_adjust=overnight_adjust,
                            amihud_scale=amihud_scale, splits=splits)
    sa = _period_samples(daily, *periods[a])
    sb = _period_samples(daily, *periods[b])
    pa, pb = _positions(daily, *periods[a]), _positions(daily, *periods[b])
    use_placebo = method == "split_placebo"
    if use_placebo and (pa[0] < 0 or pb[0] < 0 or pb[0] <= pa[1]):
        raise ValueError(f"period {a!r} must end before period {b!r} starts, both with bars, "
                         "for the split-date placebo; pass method='hac' otherwise")
    n_splits = (len(daily) - (pb[1] - pa[0] + 1) + 1) if use_placebo else 0
    fallback = use_placebo and n_splits < int(min_placebo)
    rows = []
    for measure in CONTINUOUS_MEASURES + ("zero_volume_share",):
        key = "zero_volume" if measure == "zero_volume_share" else measure
        xa, xb = sa[key].astype(float), sb[key].astype(float)
        stat = p = float("nan")
        n_pl, lags = 0, None
        if use_placebo and not fallback:
            col = daily[_DAILY_COLUMNS[measure]].to_numpy(dtype=float)
            if measure == "zero_volume_share":
                col = np.where(daily["volume"].notna().to_numpy(), col, np.nan)
            res = split_date_placebo(col, pa, pb, skip_first=measure == "cs_spread")
            stat, p, n_pl = res["difference"], res["p_value"], res["n_placebo"]
            test = f"placebo split dates ({n_pl} split dates of the stock's own history)"
        elif measure == "zero_volume_share" and method != "split_placebo":
            test = "fisher_exact"
            if xa.size and xb.size:
                za, zb = xa.astype(bool), xb.astype(bool)
                table = [[int(zb.sum()), int((~zb).sum())], [int(za.sum()), int((~za).sum())]]
                r = stats.fisher_exact(table)
                stat, p = float(r.statistic), float(r.pvalue)
        else:
            test = method
            if xa.size >= 2 and xb.size >= 2 and np.ptp(np.r_[xa, xb]) > 0:
                if method == "mannwhitney":
                    r = stats.mannwhitneyu(xb, xa, alternative="two-sided")
                    stat, p = float(r.statistic), float(r.pvalue)
                elif method == "welch":
                    r = stats.ttest_ind(xb, xa, equal_var=False)
                    stat, p = float(r.statistic), float(r.pvalue)
                else:
                    stat, p, lags = _hac_difference(xa, xb)
            if method in ("hac", "split_placebo"):
                test = (f"hac (Newey-West, Andrews 1991 data-driven lag {lags})"
                        if lags is not None else "hac (Newey-West, Andrews 1991 data-driven lag)")
                if fallback:
                    test += (f"; only {max(n_splits, 0)} split dates in the history, fewer than "
                             f"{int(min_placebo)} for the placebo")
        rows.append({"measure": measure, "value_a": _mean(xa), "value_b": _mean(xb),
                     "difference": _mean(xb) - _mean(xa), "test": test,
                     "statistic": stat, "p_value": p, "n_a": int(xa.size), "n_b": int(xb.size),
                     "n_placebo": int(n_pl), "lags": lags,
                     "note": PRICE_LEVEL_NOTES.get(measure, "")})
    return pd.DataFrame(rows)
