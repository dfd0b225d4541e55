"""Test statistics across events: parametric, dependence-robust and non-parametric.

Every test is one pure function returning a :class:`TestResult`. Inputs are
per-event numbers produced by the event-study engine (``analytics.event_study``):

- ``car``: cumulative abnormal return of each event over one event window;
- ``scar``: the standardized CAR, ``car / sqrt(car_var)`` where ``car_var``
  includes the estimation error of the model (MacKinlay 1997);
- ``dof``: estimation observations minus model parameters of each event;
- ``ar_panel``: (N, T) abnormal returns, estimation window and event window
  side by side, NaN where a day is missing.

NaN inputs are dropped event by event (the ``n`` of the result counts what
was used, the ``note`` says how many were dropped). A test that cannot be
computed (too few events, zero dispersion) returns NaN statistic and p-value
with the reason in ``note`` instead of raising, so that one bad group does not
stop a summary table.

All p-values are two-sided.

References
----------
MacKinlay, A. C. (1997). Event studies in economics and finance. Journal of
Economic Literature 35(1), 13-39.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "TestResult",
    "cross_sectional_t_test",
    "patell_test",
    "bmp_test",
    "kolari_pynnonen_test",
    "mean_residual_correlation",
    "corrado_rank_test",
    "generalized_sign_test",
    "wilcoxon_signed_rank_test",
    "grank_test",
    "overlap_correlation",
    "overlap_pair_sum",
    "patell_overlap_test",
    "bmp_overlap_test",
    "wilcoxon_min_attainable_p",
]

REF_PATELL = ("Patell, J. M. (1976). Corporate forecasts of earnings per share and stock price "
              "behavior. Journal of Accounting Research 14(2), 246-276.")
REF_BMP = ("Boehmer, E., Musumeci, J., Poulsen, A. B. (1991). Event-study methodology under "
           "conditions of event-induced variance. Journal of Financial Economics 30(2), 253-272.")
REF_KP = ("Kolari, J. W., Pynnonen, S. (2010). Event study testing with cross-sectional "
          "correlation of abnormal returns. Review of Financial Studies 23(11), 3996-4025.")
REF_CORRADO = ("Corrado, C. J. (1989). A nonparametric test for abnormal security-price "
               "performance in event studies. Journal of Financial Economics 23(2), 385-395; "
               "Corrado, C. J., Zivney, T. L. (1992). The specification and power of the sign "
               "test in event study hypothesis tests using daily stock returns. JFQA 27(3), "
               "465-478; Campbell, C. J., Wasley, C. E. (1993). Measuring security price "
               "performance using daily NASDAQ returns. Journal of Financial Economics 33(1), "
               "73-92.")
REF_GSIGN = ("Cowan, A. R. (1992). Nonparametric event study tests. Review of Quantitative "
             "Finance and Accounting 2(4), 343-358.")
REF_WILCOXON = ("Wilcoxon, F. (1945). Individual comparisons by ranking methods. Biometrics "
                "Bulletin 1(6), 80-83.")
REF_GRANK = ("Kolari, J. W., Pynnonen, S. (2011). Nonparametric rank tests for event studies. "
             "Journal of Empirical Finance 18(5), 953-971 (GRANK-T).")
REF_OVERLAP = ("Boehmer, Musumeci and Poulsen (1991) and Patell (1976) with the covariance of "
               "overlapping windows of one firm, R_ij = |W_i & W_j| / sqrt(L_i L_j) (the CARs of "
               "one stock share the days of their overlap; Kolari and Pynnonen 2010 for the "
               "dispersion correction 1 - rbar).")
REF_TTEST = ("Brown, S. J., Warner, J. B. (1985). Using daily stock returns: the case of event "
             "studies. Journal of Financial Economics 14(1), 3-31 (cross-sectional t).")

#: Pairs of events with fewer common dates than this are ignored by
#: :func:`mean_residual_correlation`.
DEFAULT_MIN_OVERLAP = 30
#: Largest sample for which the Wilcoxon test is exact (as scipy.stats.wilcoxon).
WILCOXON_EXACT_MAX_N = 50
#: Largest sample for which ties/zeros get an exact sign-flip enumeration (2**13 cases).
WILCOXON_PERMUTATION_MAX_N = 13


@dataclass(frozen=True)
class TestResult:
    """One test statistic across events.

    Attributes
    ----------
    name : str
        Short name of the test (``"patell"``, ``"bmp"``, ...).
    statistic : float
        The test statistic (z or t); its sign is the sign of the effect.
    p_value : float
        Two-sided p-value.
    n : int
        Number of events used.
    reference : str
        Bibliographic reference of the test.
    note : str
        Anything the reader needs: the distribution used, dropped events, why NaN.
    """

    __test__ = False  # not a pytest test class despite the name

    name: str
    statistic: float
    p_value: float
    n: int
    reference: str
    note: str = ""


def _clean(x, name: str) -> tuple[np.ndarray, int]:
    """Float vector without NaN/inf, and how many values were dropped."""
    a = np.asarray(x, dtype=float).ravel()
    keep = np.isfinite(a)
    return a[keep], int((~keep).sum())


def _dropped_note(dropped: int) -> str:
    return f"; {dropped} non-finite value(s) dropped" if dropped else ""


def _nan_result(name: str, n: int, reference: str, why: str) -> TestResult:
    return TestResult(name, float("nan"), float("nan"), int(n), reference, why)


def _two_sided_normal(z: float) -> float:
    return float(2.0 * stats.norm.sf(abs(z)))


def _two_sided_t(t: float, df: float) -> float:
    return float(2.0 * stats.t.sf(abs(t), df))


def _mean_t_test(values, what: str, name: str, reference: str) -> TestResult:
    """One-sample t of the mean of ``values`` against 0 (sample sd, ddof 1), Student t with n - 1 df."""
    x, dropped = _clean(values, what)
    n = x.size
    if n < 2:
        return _nan_result(name, n, reference, "fewer than 2 events" + _dropped_note(dropped))
    s = x.std(ddof=1)
    if s == 0:
        return _nan_result(name, n, reference, "zero cross-sectional dispersion")
    t = x.mean() / (s / math.sqrt(n))
    return TestResult(name, float(t), _two_sided_t(t, n - 1), n, reference,
                      f"Student t, {n - 1} df" + _dropped_note(dropped))


def cross_sectional_t_test(car) -> TestResult:
    """Cross-sectional t-test of the mean CAR (no standardization).

    Parameters
    ----------
    car : array_like, shape (N,)
        Cumulative abnormal return of each event.

    Returns
    -------
    TestResult
        ``t = mean(CAR) / (s(CAR) / sqrt(N))`` with ``s`` the sample standard deviation
        (ddof 1); p-value from Student's t with ``N - 1`` degrees of freedom.

    Notes
    -----
    Robust to event-induced variance but not to cross-correlation; Brown and Warner (1985).
    Equal to ``scipy.stats.ttest_1samp(car, 0)``.
    """
    return _mean_t_test(car, "car", "t", REF_TTEST)


def patell_test(scar, dof) -> TestResult:
    """Patell (1976) standardized-residual test across events.

    Parameters
    ----------
    scar : array_like, shape (N,)
        Standardized CAR of each event, ``CAR_i / sqrt(Var(CAR_i))`` with the variance
        including estimation error (MacKinlay 1997). Under the null each is Student t with
        ``dof_i`` degrees of freedom.
    dof : array_like, shape (N,) or scalar
        Estimation observations minus model parameters of each event (``L1 - 2`` for the
        market model).

    Returns
    -------
    TestResult
        ``z = sum_i SCAR_i / sqrt(sum_i dof_i / (dof_i - 2))``, standard normal under the null
        (the denominator is the sum of the variances of t variables).

    Notes
    -----
    Events with ``dof <= 2`` (variance of t undefined) or non-finite inputs are dropped and
    counted in ``note``. Sensitive to event-induced variance (use :func:`bmp_test`) and to
    cross-correlation (use :func:`kolari_pynnonen_test`).
    """
    s = np.asarray(scar, dtype=float).ravel()
    d = np.broadcast_to(np.asarray(dof, dtype=float), s.shape).astype(float)
    keep = np.isfinite(s) & np.isfinite(d) & (d > 2)
    dropped = int((~keep).sum())
    s, d = s[keep], d[keep]
    n = s.size
    note_drop = f"; {dropped} event(s) dropped (non-finite or dof <= 2)" if dropped else ""
    if n < 1:
        return _nan_result("patell", n, REF_PATELL, "no usable event" + note_drop)
    z = s.sum() / math.sqrt(float((d / (d - 2.0)).sum()))
    return TestResult("patell", float(z), _two_sided_normal(z), n, REF_PATELL,
                      "standard normal" + note_drop)


def bmp_test(scar) -> TestResult:
    """Boehmer, Musumeci and Poulsen (1991) standardized cross-sectional test.

    Parameters
    ----------
    scar : array_like, shape (N,)
        Standardized CAR of each event (see :func:`patell_test`).

    Returns
    -------
    TestResult
        ``t = mean(SCAR) / (s(SCAR) / sqrt(N))`` with ``s`` the cross-sectional standard
        deviation (ddof 1); p-value from Student's t with ``N - 1`` degrees of freedom.

    Notes
    -----
    Robust to event-induced variance, not to cross-correlation of abnormal returns
    (events clustered in calendar time); for that see :func:`kolari_pynnonen_test`.
    """
    return _mean_t_test(scar, "scar", "bmp", REF_BMP)


def kolari_pynnonen_test(scar, rbar: float) -> TestResult:
    """Kolari and Pynnonen (2010) adjustment of the BMP test for cross-correlation.

    Parameters
    ----------
    scar : array_like, shape (N,)
        Standardized CAR of each event (see :func:`patell_test`).
    rbar : float
        Average pairwise correlation of the events' abnormal returns, usually
        :func:`mean_residual_correlation` of the estimation-window residuals.

    Returns
    -------
    TestResult
        ``t_KP = t_BMP * sqrt((1 - rbar) / (1 + (N - 1) rbar))`` (Kolari and Pynnonen 2010);
        p-value from Student's t with ``N - 1`` degrees of freedom, as for BMP.

    Notes
    -----
    ``rbar`` is used as given, negative values included. If ``1 + (N - 1) rbar <= 0`` (not a
    valid average correlation of N series) the result is NaN with the reason in ``note``.
    A non-finite ``rbar`` is also reported as NaN rather than silently replaced.

    **Different stocks on common dates only.**  ``rbar`` is the correlation of *different
    stocks'* abnormal returns on the same calendar dates.  It must not be estimated from one
    stock's estimation residuals against themselves: several activities of one stock have
    nearly the same estimation window, so "their" residuals are the same series and rbar is
    about 0.999, which makes the factor ``sqrt((1 - rbar) / (1 + (N - 1) rbar))`` nearly 0 and
    the test unable to ever reject (measured: 0.0% rejections under the null and under an
    effect).  For activities of one stock whose windows overlap use :func:`bmp_overlap_test`
    (the dependence comes from the shared event days, not from a common factor);
    :func:`mean_residual_correlation` takes ``groups`` to leave same-stock pairs out.
    """
    base = bmp_test(scar)
    n = base.n
    if not np.isfinite(base.statistic):
        return _nan_result("kolari_pynnonen", n, REF_KP, base.note)
    r = float(rbar)
    if not np.isfinite(r):
        return _nan_result("kolari_pynnonen", n, REF_KP, "rbar is not finite")
    denom = 1.0 + (n - 1) * r
    if denom <= 0 or r >= 1:
        return _nan_result("kolari_pynnonen", n, REF_KP,
                           f"rbar={r:.4g} is not a valid average correlation for N={n}")
    t = base.statistic * math.sqrt((1.0 - r) / denom)
    return TestResult("kolari_pynnonen", float(t), _two_sided_t(t, n - 1), n, REF_KP,
                      f"Student t, {n - 1} df; rbar={r:.4g}" + _dropped_note(_clean(scar, "scar")[1]))


def mean_residual_correlation(est_residuals: pd.DataFrame, *,
                              min_overlap: int = DEFAULT_MIN_OVERLAP, groups=None) -> float:
    """Average pairwise correlation of estimation-window abnormal returns.

    Parameters
    ----------
    est_residuals : pandas.DataFrame
        Index: calendar dates; columns: ``event_id``; values: estimation-window abnormal
        returns (residuals) of each event, NaN where the event has no observation that day.
    min_overlap : int, default 30
        A pair of events enters the average only if both have residuals on at least this
        many common dates.
    groups : array_like, shape (N,), optional
        A label per column (the event's stock).  Pairs with the same label are left out:
        two activities of one stock have (nearly) the same estimation residuals, and their
        "correlation" of ~1 is not the cross-stock correlation the Kolari-Pynnonen test needs.
        With no pair of different labels left, the result is NaN.

    Returns
    -------
    float
        ``rbar = mean over pairs i < j of corr(e_i, e_j)``, each correlation the Pearson
        correlation over the dates both events observe (pairwise-complete, as
        ``DataFrame.corr(min_periods=min_overlap)``). Pairs with less overlap, or with zero
        variance over the overlap, are ignored. Returns ``0.0`` when no pair qualifies:
        events whose estimation windows barely overlap in calendar time carry no measurable
        cross-correlation, and the Kolari-Pynnonen test then equals BMP.

    Notes
    -----
    Kolari and Pynnonen (2010): rbar estimated from estimation-period residuals.
    Computed with matrix products (no Python loop over pairs): with ``M`` the 0/1 mask of
    observed values and ``X`` the zero-filled residuals centred per column,
    ``n = M'M``, ``Sx = X'M``, ``Sxx = (X*X)'M``, ``Sxy = X'X`` and
    ``r_ij = (n Sxy - Sx_ij Sx_ji) / sqrt((n Sxx_ij - Sx_ij^2)(n Sxx_ji - Sx_ji^2))``.
    Memory is O(N^2) for N events.
    """
    x = np.asarray(est_residuals, dtype=float)
    if x.ndim != 2 or x.shape[1] < 2:
        return 0.0
    m = np.isfinite(x)
    # centring each column first keeps the one-pass formula numerically stable
    col_mean = np.nanmean(np.where(m, x, np.nan), axis=0) if m.any() else np.zeros(x.shape[1])
    col_mean = np.where(np.isfinite(col_mean), col_mean, 0.0)
    xc = np.where(m, x - col_mean, 0.0)
    mf = m.astype(float)
    n = mf.T @ mf
    sx = xc.T @ mf            # sx[i, j] = sum of x_i over dates where i and j are observed
    sxx = (xc * xc).T @ mf
    sxy = xc.T @ xc
    num = n * sxy - sx * sx.T
    var_i = n * sxx - sx * sx
    var_j = var_i.T
    with np.errstate(invalid="ignore", divide="ignore"):
        r = num / np.sqrt(var_i * var_j)
    iu = np.triu_indices(x.shape[1], k=1)
    tol = 1e-12 * np.maximum(1.0, np.abs(n * sxx).max())
    ok = (n[iu] >= max(int(min_overlap), 2)) & (var_i[iu] > tol) & (var_j[iu] > tol)
    if groups is not None:
        g = pd.factorize(pd.Index(np.asarray(groups)))[0]
        cross = g[iu[0]] != g[iu[1]]
        if not cross.any():
            return float("nan")
        ok &= cross
    vals = np.clip(r[iu][ok], -1.0, 1.0)
    return float(vals.mean()) if vals.size else 0.0


def corrado_rank_test(ar_panel, event_cols) -> TestResult:
    """Corrado (1989) rank test, multi-day form of Campbell and Wasley (1993).

    Parameters
    ----------
    ar_panel : ndarray, shape (N, T)
        Abnormal returns of each event (row) over its estimation window and event window
        (columns, in relative-day order), NaN where a day is missing or outside the event's
        data.
    event_cols : array_like of int
        Column indices of the event window (``L2`` days) in ``ar_panel``. All other columns
        are the estimation window.

    Returns
    -------
    TestResult
        With ``M_i`` the number of non-missing ARs of event i over all T columns,
        standardized ranks (Corrado and Zivney 1992) ``U_it = rank_i(AR_it) / (1 + M_i)``
        (average ranks for ties, NaN where AR is missing), ``K_it = U_it - 1/2``,
        ``Kbar_t = mean_i K_it`` over the ``N_t`` events observed on column t,

        ``S_K = sqrt( (1/T') sum_t Kbar_t^2 )`` over the T' columns with ``N_t > 0``,

        ``z = sum_{t in event window} Kbar_t / (sqrt(L2') S_K)``, standard normal,

        with ``L2'`` the event columns with ``N_t > 0``. For a one-day window this is
        Corrado's (1989) statistic; for several days it is the cumulated rank statistic of
        Campbell and Wasley (1993), also used by Cowan (1992).

    Notes
    -----
    ``S_K`` is taken over the whole (estimation + event) period as in Corrado (1989).
    The multi-day form assumes the daily mean ranks are serially uncorrelated; under an
    event-induced variance increase the test can over-reject for long windows (Kolari and
    Pynnonen 2011 propose a generalized rank test for that case: :func:`grank_test`).
    """
    a = np.asarray(ar_panel, dtype=float)
    if a.ndim != 2:
        raise ValueError("ar_panel must be 2-D (events x days)")
    cols = np.asarray(event_cols, dtype=int).ravel()
    a = np.where(np.isfinite(a), a, np.nan)
    observed = np.isfinite(a)
    m_i = observed.sum(axis=1)
    usable = m_i >= 2
    dropped = int((~usable).sum())
    a, observed, m_i = a[usable], observed[usable], m_i[usable]
    n = a.shape[0]
    note_drop = f"; {dropped} event(s) with < 2 observations dropped" if dropped else ""
    if n < 1:
        return _nan_result("corrado_rank", n, REF_CORRADO, "no usable event" + note_drop)
    ranks = stats.rankdata(a, axis=1, nan_policy="omit")
    k = ranks / (1.0 + m_i[:, None]) - 0.5
    n_t = observed.sum(axis=0)
    with np.errstate(invalid="ignore"):
        kbar = np.where(n_t > 0, np.nansum(np.where(observed, k, 0.0), axis=0) / np.maximum(n_t, 1), np.nan)
    days = n_t > 0
    s_k = math.sqrt(float(np.mean(kbar[days] ** 2)))
    ev = cols[days[cols]]
    l2 = ev.size
    if l2 == 0:
        return _nan_result("corrado_rank", n, REF_CORRADO, "no observation in the event window")
    if s_k == 0:
        return _nan_result("corrado_rank", n, REF_CORRADO, "zero rank dispersion")
    z = float(kbar[ev].sum() / (math.sqrt(l2) * s_k))
    form = "Corrado (1989)" if l2 == 1 else f"Campbell-Wasley (1993) cumulated over {l2} days"
    return TestResult("corrado_rank", z, _two_sided_normal(z), n, REF_CORRADO,
                      f"standard normal; {form}; Corrado-Zivney standardized ranks" + note_drop)


def generalized_sign_test(car, ar_est, *, exact: bool = False) -> TestResult:
    """Cowan (1992) generalized sign test.

    Parameters
    ----------
    car : array_like, shape (N,)
        CAR of each event over the event window.
    ar_est : ndarray, shape (N, L1)
        Estimation-window abnormal returns of each event, NaN-padded.
    exact : bool, default False
        If True, the p-value is the exact two-sided binomial p-value
        (``scipy.stats.binomtest``) instead of the normal approximation.

    Returns
    -------
    TestResult
        ``p_hat = (1/N) sum_i (1/L1_i) sum_t 1[AR_it > 0]`` (``L1_i`` the non-missing
        estimation days of event i), ``w`` the number of events with ``CAR > 0``,

        ``z = (w - N p_hat) / sqrt(N p_hat (1 - p_hat))``, standard normal.

    Notes
    -----
    Zero is not positive (a CAR of exactly 0 counts as a non-positive event; so does an AR of
    0, which matters for zero-volume days with a flat close). Events whose CAR is NaN, or
    with no estimation AR, are dropped. The normal approximation is poor for small ``N`` or
    ``p_hat`` far from 1/2; use ``exact=True`` there.
    """
    c = np.asarray(car, dtype=float).ravel()
    e = np.asarray(ar_est, dtype=float)
    if e.ndim == 1:
        e = e[None, :] if c.size == 1 else e[:, None]
    if e.shape[0] != c.size:
        raise ValueError("ar_est must have one row per CAR")
    obs = np.isfinite(e)
    l1 = obs.sum(axis=1)
    keep = np.isfinite(c) & (l1 > 0)
    dropped = int((~keep).sum())
    c, e, obs, l1 = c[keep], e[keep], obs[keep], l1[keep]
    n = c.size
    note_drop = f"; {dropped} event(s) dropped (NaN CAR or no estimation AR)" if dropped else ""
    if n < 1:
        return _nan_result("generalized_sign", n, REF_GSIGN, "no usable event" + note_drop)
    p_hat = float(np.mean(((e > 0) & obs).sum(axis=1) / l1))
    w = int((c > 0).sum())
    if p_hat <= 0 or p_hat >= 1:
        return _nan_result("generalized_sign", n, REF_GSIGN, f"p_hat={p_hat} is degenerate")
    z = (w - n * p_hat) / math.sqrt(n * p_hat * (1 - p_hat))
    if exact:
        p = float(stats.binomtest(w, n, p_hat).pvalue)
        dist = "exact binomial p-value"
    else:
        p = _two_sided_normal(z)
        dist = "standard normal"
    return TestResult("generalized_sign", float(z), p, n, REF_GSIGN,
                      f"{dist}; {w} of {n} positive, p_hat={p_hat:.4f}" + note_drop)


def _wilcoxon_exact_counts(n: int) -> np.ndarray:
    """Number of subsets of {1..n} with each sum 0..n(n+1)/2 (null distribution of W+)."""
    top = n * (n + 1) // 2
    counts = np.zeros(top + 1, dtype=np.int64)
    counts[0] = 1
    for k in range(1, n + 1):
        counts[k:] = counts[k:] + counts[:-k].copy()
    return counts


def wilcoxon_min_attainable_p(n: int) -> float:
    """Smallest two-sided p-value the exact signed-rank test can give with ``n`` non-zero values.

    All ``n`` signs equal is the most extreme of the ``2^n`` equally likely sign patterns
    under the null, and there are two of them (all positive, all negative):
    ``p_min = 2 / 2^n = 2^(1 - n)``; e.g. 0.0625 for ``n = 5``, 0.03125 for ``n = 6``.
    """
    return float(2.0 ** (1 - int(n))) if n >= 1 else 1.0


def wilcoxon_signed_rank_test(car, *, level: float | None = 0.05) -> TestResult:
    """Wilcoxon (1945) signed-rank test that the CARs are centred on zero.

    Parameters
    ----------
    car : array_like, shape (N,)
        CAR of each event.
    level : float or None, default 0.05
        Level at which the result will be read.  When the smallest p-value this ``N`` can
        attain (:func:`wilcoxon_min_attainable_p`, ``2^(1-n)``: 0.0625 for ``n = 5``) exceeds
        it, the test cannot reject whatever the data, so the p-value is NaN and ``note``
        says "cannot reject at 5% with N=...": shown as a p-value it would read as evidence
        of no effect beside tests that can reject.  ``None`` always gives the p-value.

    Returns
    -------
    TestResult
        ``statistic`` is the signed normal score ``z = (W+ - n(n+1)/4) / sigma_W`` with
        ``W+`` the sum of the ranks of ``|CAR|`` over positive CARs, ``n`` the non-zero CARs
        and ``sigma_W^2 = (n(n+1)(2n+1) - sum(t^3 - t)/2) / 24`` (``t`` the tie sizes), so
        its sign is the sign of the effect. ``note`` gives ``W+`` and ``W-``.

    Notes
    -----
    The p-value follows ``scipy.stats.wilcoxon(car)`` with its defaults (zero CARs dropped,
    no continuity correction), implemented independently:

    - N <= 50 (zeros included in N) with no ties and no zeros: exact null distribution of
      ``W+``; ``p = min(1, 2 min(P(W+ >= w), P(W+ <= w)))``;
    - N <= 13 with ties or zeros: exact enumeration of all 2^n sign flips of the ranks;
    - otherwise: normal approximation with the tie correction above.
    """
    x, dropped = _clean(car, "car")
    n_all = x.size
    nz = x[x != 0]
    n = nz.size
    if n < 1:
        return _nan_result("wilcoxon", n_all, REF_WILCOXON,
                           "no non-zero CAR" + _dropped_note(dropped))
    ranks = stats.rankdata(np.abs(nz))
    w_plus = float(ranks[nz > 0].sum())
    w_minus = float(ranks[nz < 0].sum())
    _, tie_sizes = np.unique(ranks, return_counts=True)
    has_ties = bool((tie_sizes > 1).any())
    n_zero = n_all - n
    mean = n * (n + 1) / 4.0
    var = (n * (n + 1) * (2 * n + 1) - float((tie_sizes ** 3 - tie_sizes).sum()) / 2.0) / 24.0
    z = (w_plus - mean) / math.sqrt(var) if var > 0 else 0.0
    if n_all <= WILCOXON_EXACT_MAX_N and not has_ties and n_zero == 0:
        counts = _wilcoxon_exact_counts(n)
        total = float(counts.sum())
        cdf = np.cumsum(counts) / total
        lo = int(math.ceil(w_plus))
        hi = int(math.floor(w_plus))
        p_le = float(cdf[lo])
        p_ge = float(1.0 - cdf[hi - 1]) if hi >= 1 else 1.0
        p = min(1.0, 2.0 * min(p_le, p_ge))
        method = "exact"
    elif n_all <= WILCOXON_PERMUTATION_MAX_N:
        signs = np.array(list(itertools.product((0.0, 1.0), repeat=n)))
        null = signs @ ranks
        eps = 1e-9 * max(1.0, abs(w_plus))
        p_ge = float(np.mean(null >= w_plus - eps))
        p_le = float(np.mean(null <= w_plus + eps))
        p = min(1.0, 2.0 * min(p_le, p_ge))
        method = "exact sign-flip enumeration (ties or zeros)"
    else:
        p = _two_sided_normal(z)
        method = "normal approximation" + (" with tie correction" if has_ties else "")
    zero_note = f"; {n_zero} zero CAR(s) dropped" if n_zero else ""
    note = f"{method}; W+={w_plus:g}, W-={w_minus:g}" + zero_note + _dropped_note(dropped)
    p_min = wilcoxon_min_attainable_p(n)
    if level is not None and p_min > level:
        return TestResult("wilcoxon", float(z), float("nan"), n_all, REF_WILCOXON,
                          f"cannot reject at {level:.0%} with N={n} (the smallest attainable "
                          f"p-value is {p_min:.4g}); " + note)
    return TestResult("wilcoxon", float(z), float(p), n_all, REF_WILCOXON, note)


# --------------------------------------------------------------------------------------
# Generalized rank test (Kolari and Pynnonen 2011)
# --------------------------------------------------------------------------------------
#: CAR windows of at least this many trading days are ranked among estimation blocks of the
#: same length by default (:func:`grank_test`, ``form="auto"``)
GRANK_BLOCK_FROM_DAYS = 4
GRANK_FORMS = ("auto", "daily", "block")


def grank_test(sar_est, scar, window_length: int | None = None, form: str = "auto"
               ) -> TestResult:
    """Generalized rank test GRANK-T of Kolari and Pynnonen (2011) for a CAR window.

    Parameters
    ----------
    sar_est : ndarray, shape (N, L1)
        Standardized abnormal returns of each event over its estimation window,
        ``SAR_it = AR_it / S_i`` (``S_i`` the residual standard deviation, times
        ``sqrt(span)`` for trade-to-trade returns), NaN where a day has no return.
    scar : array_like, shape (N,)
        Standardized CAR of each event over the event window, ``CAR_i / sqrt(Var(CAR_i))``.
    window_length : int, optional
        Trading days of the CAR window, ``K``.  ``None``: not known, so the daily form (a
        caller that wants the default rule passes the window's length).
    form : {"auto", "daily", "block"}
        ``"daily"``: Kolari and Pynnonen's daily estimation GSARs.  ``"block"`` (needs
        ``window_length``): the estimation period enters as consecutive blocks of ``K`` days
        (from its end back; an older remainder of fewer than ``K`` days is left out), each
        block's value ``B_ib = sum SAR / sqrt(#returns)`` and every block restandardized across
        events exactly as the CAR is, ``B*_ib = B_ib / S_b`` (Notes).  ``"auto"`` (default):
        the block form when ``K >= GRANK_BLOCK_FROM_DAYS`` (4) and the estimation period holds
        at least 2 blocks, the daily form otherwise (and when ``K`` is not given); the note
        says which form was used.

    Returns
    -------
    TestResult
        Kolari and Pynnonen (2011, section 2.2), with the CAR window collapsed into one
        observation ("day 0"):

        1. re-standardize the SCARs for event-induced volatility,
           ``SCAR*_i = SCAR_i / S_SCAR`` with ``S_SCAR`` the cross-sectional standard
           deviation of the SCARs (ddof 1);
        2. generalized standardized ARs ``GSAR_it = SAR_it`` on the estimation days and
           ``GSAR_i0 = SCAR*_i``;
        3. demeaned standardized ranks ``U_it = rank_i(GSAR_it) / (T_i + 1) - 1/2`` over the
           ``T_i`` non-missing GSARs of event i (average ranks for ties);
        4. ``Ubar_t = mean_i U_it`` over the ``N_t`` events observed at t,
           ``S_Ubar^2 = (1/T) sum_t (N_t / N) Ubar_t^2`` over the ``T`` time points
           (estimation days + day 0) with ``N_t > 0``;
        5. ``Z = Ubar_0 / S_Ubar`` and ``t_grank = Z sqrt((T - 2) / (T - 1 - Z^2))``,
           Student t with ``T - 2`` degrees of freedom.

    Notes
    -----
    Robust to event-induced volatility (step 1), to serial correlation of the ARs inside the
    window (the window is one observation) and to non-normal returns (ranks).  Needs at least
    two events (``S_SCAR``) with a finite SCAR.  Events are assumed independent: for one
    stock's overlapping windows use :func:`bmp_overlap_test`.

    Measured here (1,500 null samples of N = 40, L1 = 100): 4.9% to 5.7% rejections at 5%
    with normal returns for 1- to 6-day windows; with fat-tailed t(4) returns 5.0% to 7.5%
    (by seed) for 3 days and about 8% for 6 days, because the window's standardized CAR is
    closer to normal than the daily SARs it is ranked among.

    The block form and the default rule.  The ranks are
    uniform under the null only if an event's day-0 value and its estimation values are
    exchangeable.  KP's day 0 is a ``K``-day sum restandardized across events; its estimation
    values are single days standardized in time.  Where daily returns are far from normal the
    two differ in shape: fat tails (t(3) with GARCH, ``bench.calibration`` case b) and a thin
    stock's trade-to-trade returns on a coarse tick ($1/256 on a $0.06 price: 6.5% steps, case
    c256t), whose daily SARs sit on a lattice while the six-day CAR, its interior rounding
    errors cancelled, is close to normal; the daily form then over-rejects on the longer
    window (c256t (0, 5): 7.1% at 5%, 1,000 replications; b (0, 5): 7.5%, 400).  The block
    form builds every time point the way day 0 is built (a ``K``-day standardized sum divided
    by its cross-sectional standard deviation: KP's step 1 at each time point, which keeps
    their robustness to event-induced variance), so they are exchangeable.  Measured
    (``bench.calibration`` samples, size at 5%, windows (-1, 1) / (0, 5)): c256t 3.4% / 4.3%
    (1,000 replications; daily form 5.6% / 7.1%), b 4.5% / 5.2% (400; daily 6.2% / 7.5%), a5
    4.0% / 7.0% (300; daily 8.7% / 10.3%), a20 5.3% / 2.7% (300); power at +5% on day 0 on
    c256t 48% / 40% against 56% / 55% (600): fewer time points (18 blocks of 6 days in a
    110-day estimation window), coarser ranks, ``T - 2`` degrees of freedom.  (Each
    estimation day restandardized across events, without blocks, read 4.7% / 5.7% and power
    49% / 49% on c256t at 300 replications: not adopted, as it has no exchangeability
    argument.)

    The rule (``form="auto"``).  Kolari and Pynnonen (2011, the CAR version of GRANK) rank
    the CAR window, collapsed into one observation, among single estimation days; the ranks
    are uniform only while a ``K``-day standardized sum has about the shape of one day's SAR
    (their simulations use CRSP returns, not a tick lattice).  The multi-day rank statistic
    of Campbell and Wasley (1993, Corrado's test on thinly traded NASDAQ stocks) ranks like
    with like: every ranked value is one day, the window's statistic the sum of its days'
    ranks.  The block form keeps GRANK's one-observation window and ranks it like with like
    instead: among estimation values cumulated over the same ``K`` days.  The shape's
    departure grows with ``K`` (the sum's excess kurtosis shrinks like ``1/K``, its lattice
    step relative to its standard deviation like ``1/sqrt(K)``): on
    c256t the daily form holds its size for 3 days (5.6% to 7.0% by seed, 600 to 1,200
    replications) where the block form is conservative (3.4% to 4.0%), and over-rejects for 6
    days (7.1% to 9.0%) where the block form holds it (4.3% to 5.3%); on windows (0, 3) and
    (0, 4) (600 replications) the daily form already reads 7.7% and 7.8%, the block form 5.2%
    and 6.2%.  So the block form from ``K = 4``, the first length where the daily form left
    [3.5%, 7%]; below, the block form's fewer, coarser time points cost size (3.4% to 4.0% on
    3 days) and power for no gain.  With the rule, 1,000 replications of ``bench.calibration``:
    c256t 5.6% (-1, 1) / 4.3% (0, 5), c1e4t 5.9% / 4.9% (seed 20261202: 6.1% / 3.8% and
    5.7% / 4.0%); power at +5% on day 0 55% / 42% and 61% / 47% (the daily form read 55% on
    c256t (0, 5): the price of the honest size).  On
    normal returns the block form is conservative on (0, 5): a20 2.7%, e 3.0%, d2 3.3% (300
    replications; GRANK is the headline only for thin stocks with trade-to-trade returns).

    Campbell, C. J. and Wasley, C. E. (1993). Measuring security price performance using daily
    NASDAQ returns. Journal of Financial Economics 33(1), 73-92.
    """
    if form not in GRANK_FORMS:
        raise ValueError(f"form must be one of {GRANK_FORMS}, not {form!r}")
    if form == "block" and window_length is None:
        raise ValueError("form='block' needs window_length, the CAR window's number of "
                         "trading days")
    e = np.asarray(sar_est, dtype=float)
    c = np.asarray(scar, dtype=float).ravel()
    if e.ndim == 1:
        e = e[None, :] if c.size == 1 else e[:, None]
    if e.shape[0] != c.size:
        raise ValueError("sar_est must have one row per SCAR")
    e = np.where(np.isfinite(e), e, np.nan)
    keep = np.isfinite(c)
    dropped = int((~keep).sum())
    e, c = e[keep], c[keep]
    n = c.size
    note_drop = f"; {dropped} event(s) with a non-finite SCAR dropped" if dropped else ""
    if n < 2:
        return _nan_result("grank", n, REF_GRANK, "fewer than 2 events" + note_drop)
    s_scar = float(c.std(ddof=1))
    if s_scar == 0:
        return _nan_result("grank", n, REF_GRANK, "zero cross-sectional dispersion of SCAR")
    k = None
    if window_length is not None:
        k = int(window_length)
        if k < 1:
            raise ValueError(f"window_length must be a positive number of days, not {window_length}")
    nb = e.shape[1] // k if k else 0
    use_block = form == "block" or (form == "auto" and k is not None
                                    and k >= GRANK_BLOCK_FROM_DAYS and nb >= 2)
    if use_block:
        if nb < 2:
            return _nan_result("grank", n, REF_GRANK, f"fewer than 2 estimation blocks of {k} "
                               f"days" + note_drop)
        blk = e[:, e.shape[1] - nb * k:].reshape(n, nb, k)
        cnt = np.isfinite(blk).sum(axis=2)
        with np.errstate(invalid="ignore", divide="ignore"):
            b = np.where(cnt > 0, np.nansum(blk, axis=2) / np.sqrt(np.maximum(cnt, 1)), np.nan)
        has = np.isfinite(b).sum(axis=0)
        mu = np.nansum(b, axis=0) / np.maximum(has, 1)
        sd = np.sqrt(np.nansum((b - mu) ** 2, axis=0) / np.maximum(has - 1, 1))
        with np.errstate(invalid="ignore", divide="ignore"):
            e = np.where((has >= 2) & (sd > 0), b / sd, np.nan)
    gsar = np.column_stack([e, c / s_scar])          # day 0 is the last column
    observed = np.isfinite(gsar)
    t_i = observed.sum(axis=1)
    u = stats.rankdata(gsar, axis=1, nan_policy="omit") / (t_i[:, None] + 1.0) - 0.5
    n_t = observed.sum(axis=0)
    days = n_t > 0
    ubar = np.nansum(np.where(observed, u, 0.0), axis=0)[days] / n_t[days]
    big_t = int(days.sum())
    if big_t < 3:
        return _nan_result("grank", n, REF_GRANK, "fewer than 3 time points")
    s_u = math.sqrt(float(np.sum(n_t[days] / n * ubar ** 2)) / big_t)
    if s_u == 0:
        return _nan_result("grank", n, REF_GRANK, "zero rank dispersion")
    z = float(ubar[-1] / s_u)
    t = z * math.sqrt((big_t - 2) / max(big_t - 1 - z * z, 1e-300))
    how = ("CAR window as one observation" if not use_block else
           f"CAR window as one observation among {big_t - 1} estimation blocks of "
           f"{k} days, each restandardized across events like it")
    return TestResult("grank", float(t), _two_sided_t(t, big_t - 2), n, REF_GRANK,
                      f"Student t, {big_t - 2} df; GRANK-T, {how}, Z={z:.4g}" + note_drop)


# --------------------------------------------------------------------------------------
# Overlapping windows of one firm
# --------------------------------------------------------------------------------------
def overlap_correlation(starts, ends, groups=None) -> np.ndarray:
    """Correlation of the CARs of windows that share days.

    Parameters
    ----------
    starts, ends : array_like of int, shape (N,)
        First and last day of each event window, inclusive, as positions in the stock's own
        trading days (so a weekend or a day the stock did not exist is not a day).
    groups : array_like, shape (N,), optional
        The stock of each window; windows of different stocks share no day (their
        cross-correlation is the Kolari-Pynnonen case, not this one).

    Returns
    -------
    ndarray, shape (N, N)
        ``R_ij = |W_i & W_j| / sqrt(L_i L_j)`` with ``L_i = end_i - start_i + 1``.  If a
        stock's abnormal returns are uncorrelated over time with one variance, the CARs of
        two windows have covariance ``|W_i & W_j| sigma^2`` and variances ``L sigma^2``, so
        this is their correlation, and the standardized CARs ``SCAR_i`` (unit variance) have
        ``Var(sum_i SCAR_i) = sum_ij R_ij``.
    """
    a = np.asarray(starts, dtype=np.int64).ravel()
    b = np.asarray(ends, dtype=np.int64).ravel()
    if a.shape != b.shape:
        raise ValueError("starts and ends must have the same length")
    if (b < a).any():
        raise ValueError("every window needs start <= end")
    inter = np.minimum(b[:, None], b[None, :]) - np.maximum(a[:, None], a[None, :]) + 1
    inter = np.maximum(inter, 0).astype(float)
    if groups is not None:
        g = pd.factorize(pd.Index(np.asarray(groups)))[0]
        inter = np.where(g[:, None] == g[None, :], inter, 0.0)
    length = (b - a + 1).astype(float)
    return inter / np.sqrt(length[:, None] * length[None, :])


def overlap_pair_sum(starts, ends, groups=None, weights=None) -> float:
    """``sum_ij R_ij w_i w_j`` of :func:`overlap_correlation` without the N x N matrix.

    Parameters
    ----------
    starts, ends, groups
        As :func:`overlap_correlation`.
    weights : array_like, shape (N,), optional
        ``w_i`` (default 1: the sum of every ``R_ij``, diagonal included).

    Returns
    -------
    float
        The same number as ``w @ overlap_correlation(starts, ends, groups) @ w``, in O(N)
        memory: windows sorted by (stock, start), each compared with its k-th successor for
        k = 1, 2, ... while any of them still overlaps (only windows that start before a
        window ends can share its days).  For thousands of events in one group the matrix
        would not fit in memory.
    """
    a = np.asarray(starts, dtype=np.int64).ravel()
    b = np.asarray(ends, dtype=np.int64).ravel()
    n = a.size
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float).ravel()
    g = (np.zeros(n, dtype=np.int64) if groups is None
         else pd.factorize(pd.Index(np.asarray(groups)))[0].astype(np.int64))
    order = np.lexsort((a, g))
    a, b, w, g = a[order], b[order], w[order], g[order]
    length = (b - a + 1).astype(float)
    total = float(np.sum(w * w))                     # R_ii = 1
    for k in range(1, n):
        same = g[k:] == g[:-k]
        inter = np.minimum(b[:-k], b[k:]) - a[k:] + 1   # a[k:] >= a[:-k] within a stock
        ok = same & (inter > 0)
        # sorted by (stock, start): if window i's k-th successor is another stock's or starts
        # after i ends, so does every further successor; no overlap at k ends the search
        if not ok.any():
            break
        r = np.where(ok, inter, 0) / np.sqrt(length[:-k] * length[k:])
        total += 2.0 * float(np.sum(r * w[:-k] * w[k:]))
    return total


def _overlap_inputs(scar, corr, dof=None):
    s = np.asarray(scar, dtype=float).ravel()
    r = np.asarray(corr, dtype=float)
    if r.ndim == 0:
        if not np.isfinite(s).all():
            raise ValueError("with the sum of R_ij given, every SCAR must be finite")
        return s, r, None, 0
    if r.shape != (s.size, s.size):
        raise ValueError(f"corr must be ({s.size}, {s.size}) for {s.size} SCARs, not {r.shape}")
    keep = np.isfinite(s)
    d = None
    if dof is not None:
        d = np.broadcast_to(np.asarray(dof, dtype=float), s.shape).astype(float)
        keep &= np.isfinite(d) & (d > 2)
    dropped = int((~keep).sum())
    s, r = s[keep], r[np.ix_(keep, keep)]
    return s, r, (d[keep] if d is not None else None), dropped


def patell_overlap_test(scar, dof, corr) -> TestResult:
    """Patell (1976) test with the covariance of one firm's overlapping windows.

    Parameters
    ----------
    scar : array_like, shape (N,)
        Standardized CARs (see :func:`patell_test`).
    dof : array_like, shape (N,) or scalar
        Estimation degrees of freedom of each event (``Var(SCAR_i) = dof_i / (dof_i - 2)``).
    corr : ndarray, shape (N, N)
        :func:`overlap_correlation` of the events' windows.

    Returns
    -------
    TestResult
        ``z = sum_i SCAR_i / sqrt(sum_ij R_ij sqrt(v_i v_j))`` with ``v_i = dof_i/(dof_i-2)``,
        standard normal; with ``R = I`` it is :func:`patell_test`.
    """
    s, r, d, dropped = _overlap_inputs(scar, corr, dof)
    n = s.size
    note_drop = f"; {dropped} event(s) dropped (non-finite or dof <= 2)" if dropped else ""
    if n < 1:
        return _nan_result("patell_overlap", n, REF_OVERLAP, "no usable event" + note_drop)
    sv = np.sqrt(d / (d - 2.0))
    var = float(sv @ r @ sv)
    z = s.sum() / math.sqrt(var)
    return TestResult("patell_overlap", float(z), _two_sided_normal(z), n, REF_OVERLAP,
                      f"standard normal; sum of R_ij = {float(r.sum()):.4g} for {n} events"
                      + note_drop)


def bmp_overlap_test(scar, corr) -> TestResult:
    """BMP test of one firm's events whose windows overlap (covariance of shared days).

    Parameters
    ----------
    scar : array_like, shape (N,)
        Standardized CARs.
    corr : ndarray, shape (N, N), or float
        :func:`overlap_correlation` of the events' windows (``R_ij``, 1 on the diagonal), or
        its sum ``sum_ij R_ij`` (:func:`overlap_pair_sum`, for groups too large for the
        matrix; every SCAR must then be finite).

    Returns
    -------
    TestResult
        With ``rbar = (sum_ij R_ij - N) / (N (N - 1))`` the mean off-diagonal correlation and
        ``s`` the cross-sectional standard deviation of the SCARs (ddof 1):

        ``t = sum_i SCAR_i / ( s / sqrt(1 - rbar) * sqrt(sum_ij R_ij) )``,

        Student t with ``N - 1`` degrees of freedom.  ``Var(sum SCAR) = sigma^2 sum_ij R_ij``
        replaces BMP's ``N sigma^2``, and ``s^2 / (1 - rbar)`` estimates ``sigma^2`` without
        bias (for any correlation matrix, ``E s^2 = sigma^2 (1 - rbar)``; the dispersion of
        positively correlated SCARs understates their variance).  This is the Kolari and
        Pynnonen (2010) form ``t_BMP sqrt((1 - rbar) / (1 + (N - 1) rbar))`` with rbar known
        from the windows instead of estimated from residuals; ``R = I`` gives
        :func:`bmp_test`.
    """
    s, r, _, dropped = _overlap_inputs(scar, corr)
    n = s.size
    note_drop = _dropped_note(dropped)
    if n < 2:
        return _nan_result("bmp_overlap", n, REF_OVERLAP, "fewer than 2 events" + note_drop)
    sd = float(s.std(ddof=1))
    if sd == 0:
        return _nan_result("bmp_overlap", n, REF_OVERLAP, "zero cross-sectional dispersion")
    total = float(r.sum())  # the matrix's sum, or the sum itself
    rbar = (total - n) / (n * (n - 1))
    if rbar >= 1:
        return _nan_result("bmp_overlap", n, REF_OVERLAP,
                           "every window is the same window: the events are one observation")
    t = s.sum() / (sd / math.sqrt(1.0 - rbar) * math.sqrt(total))
    return TestResult("bmp_overlap", float(t), _two_sided_t(t, n - 1), n, REF_OVERLAP,
                      f"Student t, {n - 1} df; overlap rbar={rbar:.4g}, sum of R_ij={total:.4g}"
                      + note_drop)
