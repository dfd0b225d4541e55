"""One stock, one campaign: a joint dummy-variable event study and a campaign placebo.

An IR campaign is 5-30 activities on **one** (often thinly traded) stock, days apart.  Studied
one by one (:func:`analytics.event_study.event_study`), each activity's estimation window holds
the reactions to the activities before it, and the tests across events treat CARs that share
days as independent; on such a campaign they reject far more often than their level.  This
module studies the activities of one stock jointly instead.

The model (Binder 1985; Thompson 1985; Karafiath 1988)
------------------------------------------------------
One regression per stock over the *campaign span*: from the first activity's estimation start
(day 0 of the first activity plus ``estimation_window[0]``, clipped at the start of the
history) to the last activity's last report day (its day 0 plus the last event-window end)::

    y_t = x_t' theta + sum_{d in U} g_d 1[t = d] + e_t,     Var(e_t) = n_t sigma^2,

where ``U`` is the union of every activity's report range (all its event windows), each day of
``U`` with a return gets its own dummy, and the normal-return model ``x_t' theta`` is

* ``"market"``: ``alpha n_t + beta Rm_t`` (market model);
* ``"constant_mean"``: ``mu n_t``;
* ``"market_adjusted"``: ``y = R - Rm`` with nothing estimated (``sigma^2 = sum e^2/n / L``).

``n_t`` is the trade-to-trade span (Maynes and Rumsey 1993: only days with volume carry a
return, the market is compounded over the same span, the intercept and the variance scale
with ``n``, and the fit is weighted least squares with weights ``1 / n``); ``n_t = 1`` for
daily returns.  The dummies absorb the union days exactly, so ``theta`` is fitted on the
``L`` *estimation days*: the span's days with a return that lie in **no** activity's report
range.  Overlapping days enter once, and no activity's reaction sits in another activity's
estimation data.  Unlike the one-event engine, the days between an estimation window's end
and the report range (``-10 .. -2`` with the defaults) are estimation days here unless another
activity's report range covers them (the campaign has one model, not one per activity); pass
a wider ``report_window`` (e.g. ``(-10, 5)``) to give them dummies.  Equivalently
(partitioned regression):

* the abnormal return of a union day is its dummy coefficient ``AR_d = y_d - x_d' theta_hat``;
* ``Cov(AR) = sigma^2 (D + X* (X'WX)^-1 X*')`` with ``D = diag(n_d)``, ``X*`` the union days'
  regressors, ``X'WX`` over the estimation days, ``sigma^2 = SSR_w / (L - p)``
  (``p`` = 2, 1, 0 parameters; ``L - p`` is the regression's residual degrees of freedom);
* an activity's CAR over a window is ``G AR`` with ``G`` the indicator matrix (activities x
  union days) of the days of each activity's window, and ``Cov(CAR) = G Cov(AR) G'``.

Conventions (the same as :mod:`analytics.event_study`): simple returns of the adjusted close;
the benchmark close is the last one on or before each of the stock's days; relative days are
the stock's own trading days; day 0 is the first trading day on or after the date (the next
one when ``after_close``); windows are inclusive; an activity's window is studied only when it
lies wholly inside the history (day ``w0 >= `` the second row, ``w1 <=`` the last).  With
trade-to-trade returns an observation belongs to a window when the day it is *measured on*
(the traded day that ends its span) is in the window, exactly as the single-event engine
assigns it; a day without a trade has no return, no dummy and adds nothing to a CAR.  An
activity is studied only when the regression has at least ``min_estimation_obs`` estimation
days (days with a return outside every report range) from the span's start to the end of the
activity's own estimation window (day ``estimation_window[1]``): the data *before* it, as the
single-event engine asks of its estimation window (for the first activity it is that window;
a later one also counts the days before the earlier activities, which its own window may no
longer hold when the campaign is dense).  Every activity that cannot be studied is listed in
``skipped`` with its reason, and its report range still gets dummies (its reaction stays out
of the estimation data).

Rounding noise of the price grid (``autocorrelation="tick_noise"``, the default)
------------------------------------------------------------------------------
Why ``campaign_t`` under-rejected on a thin $1/256 stock (``bench.calibration`` case d1t:
2.3% at 5% on window (0, 5), 1,000 replications, with the estimated first-order term below):
a close on a price grid ``g`` is the efficient price plus a rounding error ``u_t`` of
variance ``s2_t = g^2 / (12 P_t^2)`` in return units (uniform rounding: Gottlieb and Kalay
1985; Harris 1990), independent from close to close once the price moves by more than a
fraction of a tick between observations (the Fourier terms of the rounding error's
dependence fall like ``exp(-2 pi^2 Var / g^2)``).  A return measured on row ``r`` over its
span ``q .. r`` therefore carries ``u_r - u_q``, whose variance ``b_r = s2_r + s2_q`` does
**not** grow with the span, and adjacent observations share one close (``Cov = -s2_q``,
Roll 1984).  The WLS scale ``Var(e_r) = n_r sigma^2`` spreads that noise over the span
instead, and a sum of consecutive returns (a CAR, and above all the pooled ``h' AR`` of a
dense campaign, whose interior closes cancel) is charged every observation's ``2 s2``: the
variance was overstated by 20-40% and the size fell to 1.7-3.2% (0, 5) / 3.2-4% (-1, 1).
The first-order term below corrects it only when the residuals' estimated ``rho1`` passes its
significance guard, which on ~55 adjacent pairs and a true ``rho1`` near -0.11 is rare.

The default models the noise from the grid the closes lie on (:func:`price_grid`), which is
known, not estimated::

    Omega_rr = n_r sigma_e^2 + b_r,   Omega_qr = -s2_q  (the return ending on q and the
    one starting there),   0 else;
    sigma_e^2 = (SSR_w - sum_E b_r / n_r) / (L - p)      (E[e_r^2] = n_r sigma_e^2 + b_r),
    Cov(AR) = sigma_e^2 (D + X* A X*') + N_UU - X* A V - V' A X*' + X* A P A X*',

with ``N`` the noise covariance, ``V = X'W N_EU`` and ``P = X'W N_EE W X`` (the estimation
days' ``sum b x x' / n^2`` plus their adjacent pairs' ``-s2_q (x_q x_r' + x_r x_q') / (n_q
n_r)``).  Nothing is estimated beyond ``sigma_e^2``, so no sampling error enters the variance
and no pre-test is needed; on a liquid stock (a $0.01 tick on a $20 price: ``s2 = 2e-8``
against ``sigma^2 = 4e-4``) it is the uncorrelated covariance to four digits.  Measured with
the simulation of ``bench.calibration`` (1,000 replications, seed 20261201, size of
``campaign_t`` at 5%, windows (-1, 1) / (0, 5)): d1t (thin, $1/256, trade-to-trade) 5.3% /
5.2% (uncorrelated 3.2% / 1.7%, first-order with its guard 3.7% / 2.3%); d1 (liquid) 5.2% /
4.3%; the same $1/256 stock traded every day 4.8% / 5.8% (uncorrelated 2.2% / 1.5%; 400
replications).  It applies where every observation ends on a traded close: trade-to-trade
returns, or daily returns of a stock with volume every day (a stale close repeats the last
rounding error, so daily returns with untraded days keep the first-order term below, as do
closes on no grid, e.g. irregular adjustments; ``variance_note`` says which and why).  Scaling
every price by a constant scales the grid with it (``g / P`` unchanged).  Neglected: the
leverage of the noise in ``sigma_e^2``'s degrees of freedom (``O(1/L)``), other
microstructure noise (bid-ask bounce beyond the tick).

Residual autocorrelation: the estimated first-order term (``autocorrelation="first_order"``)
--------------------------------------------------------------------------------------
A penny stock's close is rounded to its tick, and the rounding error is large beside a day's
move ($1/256 on a $0.06 stock is 6.5% of the price).  Write the observed log close as the
efficient price plus an error, ``p_t = p*_t + u_t`` with ``Var(u_t) = s_u^2`` (about
``tick^2 / (12 P^2)`` for uniform rounding), independent of the efficient returns (Roll
1984; Hasbrouck 1993; Zhou 1996).  An observation measured on row ``r`` spans ``q .. r``
(``q = r - n_r``: the previous row, or the previous traded day with trade-to-trade
returns), so ``R_r = (p*_r - p*_q) + u_r - u_q``: two *adjacent* observations (``q -> r`` and
``r -> s``) share ``u_r`` with opposite signs, ``Cov = -s_u^2``, and observations further
apart share nothing (an MA(1); higher lags are zero).  In a multi-day CAR the interior
closes' errors cancel and only the window's two end closes remain, so ``sigma^2 (D + ...)``,
which adds every day's ``2 s_u^2``, overstates the variance and ``campaign_t`` under-rejects
(measured 2.7% at 5% on a thin $1/256 stock, table below).

The model keeps the WLS scale (``Var(e_r) = n_r sigma^2``) and lets the span-standardised
residuals ``z_r = e_r / sqrt(n_r)`` be MA(1) with first-order autocorrelation ``rho1`` on
adjacent observations::

    Omega_rr = n_r sigma^2,   Omega_qr = rho1 sigma^2 sqrt(n_q n_r)  (q, r adjacent),   0 else.

With daily returns (``n = 1``) this is the noise model exactly (``rho1 = -s_u^2 /
Var(R)``); with spans it approximates a covariance that does not grow with the span by one
that does, which keeps ``Omega`` a correlation matrix times the WLS scale (positive definite
for ``|rho1| <= 1/2``: the estimate is clipped there).  ``rho1`` is estimated on the adjacent
pairs of *estimation* observations (both rows estimation days of the span):
``rho1 = mean(z_q z_r) / sigma^2`` with the fitted residuals.  Neglected: the ``O(1/L)``
bias of residual autocovariances from the estimated coefficients, and ``rho1``'s sampling
error in the t's degrees of freedom (they stay ``L - p``).

Given ``Omega``, ``Cov(AR)`` is exact (nothing further neglected).  With ``A = (X'WX)^-1``
and ``AR_U = e_U - X* A X'W e_E``::

    Cov(AR) = sigma^2 (D + X* A X*')
              + sigma^2 rho1 (C_UU - X* A V - V' A X*' + X* A P A X*'),

``C_UU`` the adjacent union-day pairs' ``sqrt(n_q n_r)``; ``V = X'W C_EU`` (p x union days:
a union day ``d``'s adjacent estimation neighbours ``t``, ``x_t sqrt(n_d / n_t)``; the
covariance between an event observation and the neighbouring estimation observation);
``P = X'W C_EE W X = sum over adjacent estimation pairs (x_q x_r' + x_r x_q') / sqrt(n_q n_r)``.
``C_UU`` dominates: a CAR over ``K`` adjacent daily observations has ``Var = sigma^2 (K + 2
(K - 1) rho1) + ...``.  The estimation-error terms are ``O(1/L)`` per day but not for a pooled
group of many days: the intercept's variance changes by about ``1 + 2 rho1`` (0.5-0.7 for
rho1 = -0.15..-0.25), so they are kept rather than dropped.  The ARs themselves are the same
(the fit is unchanged); only their covariance, and so ``car_var``, ``campaign_t`` and the
placebo's t, change.  ``autocorrelation=None`` gives the uncorrelated ``sigma^2 (D + X* A
X*')`` of Binder and Karafiath; the result names the covariance used (``autocorrelation``,
``rho1``, ``rho1_used``, ``variance_note``, and a ``variance`` column in :meth:`pooled`).

Guard (``rho1_rule``, default ``RHO1_RULE = "significant"``): the estimate is applied only
when ``|rho1| sqrt(pairs) > 1.96`` (5% two-sided against no autocorrelation, Bartlett's
standard error ``1 / sqrt(pairs)``); otherwise ``Cov(AR)`` is the uncorrelated one and the
result says so.  Chosen by simulation (``python -m bench.campaign --size --reps 1000``: the
samples of ``python -m bench.calibration``'s cases d1, one liquid stock, and d1t, one thin
stock with half its days untraded, $1/256 ticks and trade-to-trade returns; 10 activities in
30 trading days, no effect); size of ``campaign_t`` at 5%, windows (-1, 1) / (0, 5)::

    covariance                  d1 (mean rho1 -0.007)   d1t (mean rho1 -0.128)
    uncorrelated (None)         5.0% / 6.2%             4.4% / 2.7%
    first order, always         5.6% / 7.0%             6.2% / 5.8%
    first order, negative only  6.2% / 7.4%             6.5% / 5.9%
    first order, significant    5.4% / 6.5%             5.6% / 4.1%

and with another seed (``--seed 7``; power at +5% on day 0 in brackets)::

    covariance                  d1 (mean rho1 -0.011)         d1t (mean rho1 -0.115)
    uncorrelated (None)         5.3% / 6.0% (99.7 / 97.6)     2.7% / 3.3% (52.3 / 49.9)
    first order, always         6.5% / 6.9% (99.8 / 98.4)     4.8% / 6.3% (58.2 / 57.7)
    first order, negative only  7.2% / 7.3% (99.8 / 98.6)     4.9% / 6.6% (58.9 / 58.9)
    first order, significant    5.4% / 6.2% (99.7 / 97.6)     3.4% / 4.7% (54.3 / 53.1)

Over both seeds (2,000 replications) "significant" reads 5.4% / 6.4% (d1) and 4.5% / 4.4%
(d1t), "always" about 6.1% / 7.0% and 5.5% / 6.1%: the guard is nearer 5% everywhere, at the cost
of some of the correction on the thin stock when its ``rho1`` happens to be small.
Applying every estimate adds its sampling error (about ``1 / sqrt(pairs)``, 0.1 with 100
pairs, times about 2 in a multi-day variance) to the variance without the t's degrees of
freedom knowing it: on the liquid stock, where the true ``rho1`` is 0, size rises; applying
only negative estimates biases the variance down as well.  The significance guard leaves the
liquid stock near the uncorrected figures and moves the thin one into the target
[3.5%, 7%].  The campaign placebo re-estimates ``rho1`` at every placement on that
placement's estimation days and applies the same rule, so its t is the same statistic.

Pooled statistics (``campaign_t``)
----------------------------------
For a group of ``N`` activities (one type, say) and one window, with ``h = G_g' 1`` (how many
of the group's windows contain each union day): mean CAR ``= h' AR / N``, its variance
``h' Cov(AR) h / N^2 = 1' Sigma_g 1 / N^2``, ``t = mean / sqrt(var)`` and a two-sided p-value
from Student's t with the regression's ``L - p`` degrees of freedom.  With standardized CARs
of one firm and no estimation error this is the overlap formula of issue 9
(``Var(sum) = sum_{i,j} |W_i cap W_j| / L2``).  The t is exact for normal errors (a linear
restriction on the dummy regression) when they are uncorrelated.  Measured size at 5% with
the uncorrelated covariance on a simulated market-model stock with 10 activities in 30
trading days and no effect (seeded, 1,000 replications): 5.8% / 5.3% for windows (-1, 1) /
(0, 5) on daily returns, 6.0% / 5.2% with half the days untraded and trade-to-trade returns
(500 replications with $0.01 ticks on a ~$0.14 stock: 2-4%, conservative: the tick noise of
the section above; with the default first-order covariance see its table).

Campaign placebo
----------------
The whole campaign (every activity with a day 0, spacing kept in the stock's trading days) is
moved to a start position whose shifted report ranges share no day with the real campaign's
and whose whole span (estimation start to last report day) fits in the history; the model is
refitted for that placement (the real campaign's report days are left out of its estimation
days too) and the same pooled statistic is computed.  Every possible placement is evaluated
at once from prefix sums over the history (no loop over placements or draws); the draws pick
placements uniformly with replacement (seeded) and the two-sided p-value is
``min(1, 2 min(1 + #{d <= actual}, 1 + #{d >= actual}) / (1 + draws))``.  A short history
allows few distinct placements: the result says how many, and how many of them are mutually
non-overlapping (the independent data the reference distribution rests on), with a note below
``FEW_PLACEMENTS`` or ``FEW_INDEPENDENT_PLACEMENTS`` (where the placebo was measured to
over-reject; ``campaign_t`` does not depend on it).

References
----------
Binder, J. J. (1985). "On the use of multivariate regression models in event studies".
    Journal of Accounting Research 23(1), 370-383.
Thompson, R. (1985). "Conditioning the return-generating process on firm-specific events: a
    discussion of event study methods". Journal of Financial and Quantitative Analysis 20(2),
    151-168.
Karafiath, I. (1988). "Using dummy variables in the event methodology". Financial Review
    23(3), 351-357.
Maynes, E. and Rumsey, J. (1993). Journal of Banking and Finance 17(1), 145-157.
Roll, R. (1984). "A simple implicit measure of the effective bid-ask spread in an efficient
    market". Journal of Finance 39(4), 1127-1139 (price noise: adjacent returns' covariance
    ``-s^2``, none beyond).
Hasbrouck, J. (1993). "Assessing the quality of a security market: a new approach to
    transaction-cost measurement". Review of Financial Studies 6(1), 191-212 (observed price =
    efficient price + pricing error).
Gottlieb, G. and Kalay, A. (1985). "Implications of the discreteness of observed stock
    prices". Journal of Finance 40(1), 135-153 (rounding to the tick: error variance
    ``tick^2 / 12``).
Harris, L. (1990). "Estimation of stock price variances and serial covariances from discrete
    observations". Journal of Financial and Quantitative Analysis 25(3), 291-306 (the
    rounding error's variance and the negative first-order serial covariance it induces).
Zhou, B. (1996). "High-frequency data and volatility in foreign-exchange rates". Journal of
    Business and Economic Statistics 14(1), 45-52 (the first-order autocovariance correction
    for noise in a variance).
MacKinlay, A. C. (1997). Journal of Economic Literature 35(1), 13-39.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import special

from analytics.constants import (
    DEFAULT_ESTIMATION_WINDOW,
    DEFAULT_EVENT_WINDOWS,
    DEFAULT_SEED,
    MIN_ESTIMATION_OBS,
)
from analytics.event_panel import check_study_frames, checked_windows
from analytics.thin_trading import trade_to_trade_panel

__all__ = ["campaign_study", "CampaignResult", "CAMPAIGN_MODELS", "CAMPAIGN_THIN_TRADING",
           "CAMPAIGN_PLACEBO_DRAWS", "FEW_PLACEMENTS", "FEW_INDEPENDENT_PLACEMENTS",
           "CAMPAIGN_AUTOCORRELATION", "RHO1_RULES", "RHO1_RULE", "RHO1_BOUND", "price_grid"]

CAMPAIGN_MODELS: tuple[str, ...] = ("market", "constant_mean", "market_adjusted")
CAMPAIGN_THIN_TRADING: tuple[str | None, ...] = (None, "trade_to_trade")
#: ``autocorrelation`` choices: the rounding noise of the price grid (``"tick_noise"``, the
#: default), the estimated first-order (MA(1)) residual covariance, or none (module docstring).
CAMPAIGN_AUTOCORRELATION: tuple[str | None, ...] = ("tick_noise", "first_order", None)
#: The coarsest price grid looked for is the smallest close change divided by at most this.
_GRID_DIVISORS = 16
#: A close is on the grid when it is within this share of a tick of a multiple of it (floats).
_GRID_TOLERANCE = 1e-4
#: When the estimated first-order autocorrelation is applied (see the module docstring).
RHO1_RULES: tuple[str, ...] = ("always", "negative", "significant")
RHO1_RULE = "significant"
#: |rho1| above 1/2 has no MA(1) process (the tridiagonal correlation matrix would not be
#: positive definite): the estimate is clipped to [-1/2, 1/2].
RHO1_BOUND = 0.5
#: Draws of the campaign placebo (999: the p-value's grid is then multiples of 1/1000).
CAMPAIGN_PLACEBO_DRAWS = 999
#: Below this many distinct placements the placebo's p-value is coarse: said in its note.
FEW_PLACEMENTS = 100
#: Below this many non-overlapping placements the placebo's reference distribution rests on
#: too little independent data and over-rejects: said in its note.  Measured (simulated
#: market-model stock, 10 activities in 30 trading days, no effect, 400-500 replications,
#: 199 draws): about 5 non-overlapping placements (400-day history) rejected 7-10% at 5%;
#: about 22 (1,000 days) and 50 (2,000 days) rejected 3-5%.
FEW_INDEPENDENT_PLACEMENTS = 20
#: Hadamard ratio det(X'WX) / prod(diag) below which the design is singular (as event_study).
_SINGULAR_RATIO = 1e-10

CARS_COLUMNS: tuple[str, ...] = (
    "event_id", "event_date", "day0_date", "window_start", "window_end", "car", "car_var",
    "car_t", "p_value", "n_obs", "n_est", "dof",
)
SKIPPED_COLUMNS: tuple[str, ...] = ("event_id", "event_date", "window_start", "window_end", "reason")


# --------------------------------------------------------------------------------------
# Inputs: one stock's returns and the design
# --------------------------------------------------------------------------------------
def _one_stock(prices: pd.DataFrame, market: pd.DataFrame, thin_trading: str | None):
    check_study_frames(prices, market)
    has_ticker = prices["ticker"].notna().to_numpy()
    tickers = pd.unique(prices["ticker"][has_ticker])
    if len(tickers) != 1:
        raise ValueError(f"campaign_study studies ONE stock; prices hold {len(tickers)} tickers "
                         f"({', '.join(map(str, tickers[:5]))}): call it once per ticker")
    days = pd.to_datetime(prices["date"]).to_numpy().astype("datetime64[D]")
    close = prices["close"].to_numpy(dtype=float, na_value=np.nan)
    volume = prices["volume"].to_numpy(dtype=float, na_value=np.nan)
    keep = has_ticker & ~np.isnat(days) & np.isfinite(close) & (close > 0)
    days, close, volume = days[keep], close[keep], volume[keep]
    order = np.argsort(days, kind="stable")
    days, close, volume = days[order], close[order], volume[order]
    if len(days) > 1 and (np.diff(days.view(np.int64)) == 0).any():
        i = int(np.flatnonzero(np.diff(days.view(np.int64)) == 0)[0])
        raise ValueError(f"duplicate dates in prices, e.g. {days[i]}: one row per trading day")
    mdays = pd.to_datetime(market["date"]).to_numpy().astype("datetime64[D]")
    mclose = market["close"].to_numpy(dtype=float, na_value=np.nan)
    mkeep = ~np.isnat(mdays) & np.isfinite(mclose) & (mclose > 0)
    mdays, mclose = mdays[mkeep], mclose[mkeep]
    morder = np.argsort(mdays, kind="stable")
    mdays, mclose = mdays[morder], mclose[morder]
    if len(mdays) > 1 and (np.diff(mdays.view(np.int64)) == 0).any():
        raise ValueError("duplicate dates in market: one close per date")
    pos = np.searchsorted(mdays, days, side="right") - 1
    mc = np.where(pos >= 0, mclose[np.maximum(pos, 0)] if len(mclose) else np.nan, np.nan)
    if thin_trading == "trade_to_trade":
        ret, mret, span = (a[0] for a in trade_to_trade_panel(close[None], volume[None], mc[None]))
    else:
        ret = np.full(len(days), np.nan)
        mret = np.full(len(days), np.nan)
        with np.errstate(invalid="ignore", divide="ignore"):
            ret[1:] = close[1:] / close[:-1] - 1.0
            mret[1:] = mc[1:] / mc[:-1] - 1.0
        span = np.ones(len(days))
    return str(tickers[0]), days, ret, mret, span, volume, close


def _design(model: str, ret, mret, span):
    """``y``, regressors ``X`` (T, p), span ``n`` and the mask of usable returns.

    Unusable entries are set to 0 (``n`` to 1) so sums and prefix sums can run unmasked.
    """
    if model == "market":
        y, x = ret, np.column_stack([span, mret])
    elif model == "constant_mean":
        y, x = ret, span[:, None]
    else:
        y, x = ret - mret, np.empty((len(ret), 0))
    valid = np.isfinite(y) & np.isfinite(span) & np.isfinite(x).all(axis=1)
    y = np.where(valid, y, 0.0)
    x = np.where(valid[:, None], x, 0.0)
    n = np.where(valid, span, 1.0)
    return y, x, n, valid


def _validate_windows(estimation_window, event_windows, report_window):
    (e0, e1), wins = checked_windows(estimation_window, event_windows)
    r0 = min(a for a, _ in wins)
    r1 = max(b for _, b in wins)
    if report_window is not None:
        r0, r1 = min(r0, int(report_window[0])), max(r1, int(report_window[1]))
    if e1 >= r0:
        raise ValueError(f"estimation_window {estimation_window} must end before the report range "
                         f"starts (day {r0})")
    return (e0, e1), wins, (r0, r1)


def _inverse(sxx: np.ndarray):
    """Inverse of each (p, p) matrix of a stack, and a flag for the singular ones."""
    s, p, _ = sxx.shape
    inv = np.full_like(sxx, np.nan)
    if p == 0:
        return inv, np.zeros(s, dtype=bool)
    with np.errstate(invalid="ignore", divide="ignore"):
        if p == 1:
            det = sxx[:, 0, 0]
        else:
            det = sxx[:, 0, 0] * sxx[:, 1, 1] - sxx[:, 0, 1] * sxx[:, 1, 0]
        ratio = det / np.prod(np.einsum("sii->si", sxx), axis=1)
    ok = np.isfinite(ratio) & (ratio > _SINGULAR_RATIO)
    if p == 1:
        inv[ok, 0, 0] = 1.0 / sxx[ok, 0, 0]
    else:
        d = det[ok]
        inv[ok, 0, 0] = sxx[ok, 1, 1] / d
        inv[ok, 1, 1] = sxx[ok, 0, 0] / d
        inv[ok, 0, 1] = -sxx[ok, 0, 1] / d
        inv[ok, 1, 0] = -sxx[ok, 1, 0] / d
    return inv, ~ok


def _groups_of(labels: np.ndarray) -> list[tuple[Any, np.ndarray]]:
    """``(label, positions)`` per distinct label, sorted by label text; missing labels left out."""
    pos: dict[Any, list[int]] = {}
    for i, lab in enumerate(labels):
        if not (lab is None or (isinstance(lab, float) and np.isnan(lab)) or lab is pd.NA):
            pos.setdefault(lab, []).append(i)
    return [(lab, np.array(pos[lab], dtype=np.int64)) for lab in sorted(pos, key=str)]


def _two_sided_p(t, dof):
    return 2.0 * special.stdtr(dof, -np.abs(t))


# --------------------------------------------------------------------------------------
# First-order autocorrelation of the residuals (tick-rounding noise, Roll 1984)
# --------------------------------------------------------------------------------------
def _previous_adjacent(valid: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Row of the return observation adjacent before each row, or -1.

    Row ``r``'s return spans rows ``r - n_r .. r``; the observation before it is the one
    measured on row ``r - n_r`` (the previous traded day with trade-to-trade returns, the
    previous row with daily returns) when that row has a usable return itself.  Two such
    observations share the close of row ``r - n_r``: its rounding error enters one with +,
    the other with -.
    """
    rows = np.arange(len(valid))
    q = rows - np.rint(n).astype(np.int64)
    ok = valid & (q >= 0)
    ok[ok] = valid[q[ok]]
    return np.where(ok, q, -1)


def _pairs_within(prev: np.ndarray, est: np.ndarray, union_cols: np.ndarray, start: int,
                  end: int) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Adjacent observation pairs ``(q, r)`` (``q = prev[r]``) with both rows in the span.

    Keyed by kind: ``"EE"`` both estimation days, ``"UU"`` both union days, ``"EU"`` ``q``
    estimation and ``r`` union, ``"UE"`` the reverse (every usable row of the span is one or
    the other).
    """
    r = np.arange(max(start, 0), end + 1)
    r = r[prev[r] >= start] if len(r) else r
    q = prev[r]
    is_u = np.zeros(len(prev), dtype=bool)
    is_u[union_cols] = True
    kinds = {"EE": est[q] & est[r], "UU": is_u[q] & is_u[r], "EU": est[q] & is_u[r],
             "UE": is_u[q] & est[r]}
    return {k: q[m] for k, m in kinds.items()}, {k: r[m] for k, m in kinds.items()}


def _rho1_rule(rho: float, pairs: int, rule: str) -> float:
    """The first-order autocorrelation applied: ``rho`` clipped to [-1/2, 1/2], then the rule.

    ``"always"``: applied whatever its sign; ``"negative"``: only a negative one (the
    direction tick noise gives); ``"significant"``: only when ``|rho| sqrt(pairs) > 1.96``.
    """
    if not np.isfinite(rho) or pairs < 1:
        return 0.0
    rho = float(np.clip(rho, -RHO1_BOUND, RHO1_BOUND))
    if rule == "negative":
        return min(rho, 0.0)
    if rule == "significant":
        return rho if abs(rho) * np.sqrt(pairs) > 1.96 else 0.0
    return rho


def _variance_note(autocorrelation, rho1: dict[str, Any], rule: str, mode=None,
                   grid: float = 0.0, noise_var: float = np.nan, sigma2_eff: float = np.nan,
                   every_close_traded: bool = True) -> str:
    """Which Cov(AR) is used, in words."""
    raw, used, pairs = rho1["raw"], rho1["used"], rho1["pairs"]
    est = (f"rho1 = {raw:+.3f} on {pairs} adjacent estimation pairs" if np.isfinite(raw)
           else "rho1 not estimated")
    if mode == "tick_noise":
        sd = np.sqrt(noise_var) if np.isfinite(noise_var) else np.nan
        return (f"Cov(AR) with the rounding noise of the ${grid:.6g} price grid (each close off "
                f"its efficient price by about {sd:.2%}, sd tick/(P sqrt 12), Harris 1990; "
                f"noise does not grow with a return's span and cancels inside a multi-day CAR, "
                f"Roll 1984); efficient variance per day {sigma2_eff:.3g}")
    if autocorrelation == "tick_noise":
        why = ("the closes lie on no price grid" if grid <= 0 else
               "untraded days with daily returns (use trade-to-trade returns)")
        est = f"{est}; no tick-noise model: {why}"
        autocorrelation = "first_order"
    if autocorrelation is None:
        return (f"Cov(AR) with uncorrelated residuals (autocorrelation=None; {est}, not used)")
    if used == 0.0:
        why = {"negative": "the rule applies a negative one only",
               "significant": "it is not significant at 5%"}.get(rule, "nothing to apply")
        return f"Cov(AR) with uncorrelated residuals ({est}, not applied: {why})"
    clipped = f", clipped to {used:+.3f}" if used != raw else ""
    return (f"Cov(AR) with the first-order autocorrelation of the residuals ({est}{clipped}): "
            f"tick rounding makes consecutive returns negatively correlated, so a multi-day "
            f"CAR varies less than the sum of its days' variances")


def _rho1_estimate(q, r, y, x, n, coef, sigma2, rule) -> dict[str, Any]:
    """``rho1 = mean(z_q z_r) / sigma^2`` over adjacent estimation pairs, ``z = e / sqrt(n)``."""
    if len(q) == 0 or not np.isfinite(sigma2) or sigma2 <= 0:
        return {"raw": np.nan, "used": 0.0, "pairs": int(len(q))}
    e_q = y[q] - (x[q] @ coef if len(coef) else 0.0)
    e_r = y[r] - (x[r] @ coef if len(coef) else 0.0)
    raw = float(np.mean(e_q * e_r / np.sqrt(n[q] * n[r])) / sigma2)
    return {"raw": raw, "used": _rho1_rule(raw, len(q), rule), "pairs": int(len(q))}


def _first_order_term(q, r, x, n, union_cols, inv) -> np.ndarray:
    """``(Cov(AR) - Cov_0(AR)) / (sigma^2 rho1)`` on the union days (module docstring).

    ``C_UU - X* A V - (X* A V)' + X* A P A X*'`` with ``A = (X'WX)^-1``: ``C_UU`` the
    adjacent union pairs' ``sqrt(n_q n_r)``, ``V`` (p x K) the union days' adjacent
    estimation neighbours ``x_t sqrt(n_d / n_t)``, ``P`` the adjacent estimation pairs'
    ``(x_q x_r' + x_r x_q') / sqrt(n_q n_r)``.
    """
    K = len(union_cols)
    pos = np.full(len(n), -1, dtype=np.int64)
    pos[union_cols] = np.arange(K)
    c = np.zeros((K, K))
    i, j = pos[q["UU"]], pos[r["UU"]]
    s = np.sqrt(n[q["UU"]] * n[r["UU"]])
    np.add.at(c, (i, j), s)
    np.add.at(c, (j, i), s)
    p = x.shape[1]
    if p == 0:
        return c
    v = np.zeros((p, K))
    np.add.at(v.T, pos[r["EU"]], x[q["EU"]] * np.sqrt(n[r["EU"]] / n[q["EU"]])[:, None])
    np.add.at(v.T, pos[q["UE"]], x[r["UE"]] * np.sqrt(n[q["UE"]] / n[r["UE"]])[:, None])
    qe, re_ = q["EE"], r["EE"]
    xq, xr = x[qe] / np.sqrt(n[qe] * n[re_])[:, None], x[re_]
    pm = xq.T @ xr
    pm = pm + pm.T
    xu = x[union_cols]
    b = xu @ inv @ v
    a_xu = inv @ xu.T
    return c - b - b.T + a_xu.T @ pm @ a_xu


# --------------------------------------------------------------------------------------
# Rounding noise of the price grid (autocorrelation="tick_noise")
# --------------------------------------------------------------------------------------
def price_grid(close: np.ndarray) -> float:
    """The price grid (tick) the closes lie on, or 0 when they lie on none.

    The coarsest ``g = d / m`` (``d`` the smallest change between distinct closes, ``m = 1 ..
    16``) of which every close is a multiple, within ``_GRID_TOLERANCE`` of a tick (floats).
    Adjusted closes scaled by a dividend lie on no grid (0: no tick noise is modelled);
    a split-adjusted history gives the finer of its grids (less noise modelled, not more).

    Parameters
    ----------
    close : array_like
        Closes (non-positive and missing values are ignored).

    Returns
    -------
    float
        The tick, e.g. ``1/256 = 0.00390625`` for a 1999 OTC stock; 0 when there is none.
    """
    c = np.asarray(close, dtype=float)
    c = np.unique(c[np.isfinite(c) & (c > 0)])
    if len(c) < 2:
        return 0.0
    d = float(np.diff(c).min())
    for m in range(1, _GRID_DIVISORS + 1):
        g = d / m
        k = c / g
        if np.all(np.abs(k - np.rint(k)) <= _GRID_TOLERANCE):
            return g
    return 0.0


def _noise_variances(close: np.ndarray, grid: float, valid: np.ndarray, n: np.ndarray):
    """Rounding-noise variance of each close and of each observation's noise.

    ``s2_t = g^2 / (12 P_t^2)``: the rounding error of a close on a grid ``g`` is about
    uniform on ``(-g/2, g/2)`` (Gottlieb and Kalay 1985; Harris 1990), ``g / P_t`` in return
    units.  An observation measured on row ``r`` spans ``q = r - n_r .. r``, so its noise
    ``u_r - u_q`` has variance ``b_r = s2_r + s2_q`` (0 on rows without a usable return).
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        s2 = np.where(np.isfinite(close) & (close > 0), (grid / close) ** 2 / 12.0, 0.0)
    rows = np.arange(len(close))
    q = np.clip(rows - np.rint(n).astype(np.int64), 0, max(len(close) - 1, 0))
    b = np.where(valid, s2 + s2[q], 0.0) if len(close) else np.zeros(0)
    return s2, b


def _tick_noise_term(q, r, x, n, union_cols, inv, s2, b, est) -> np.ndarray:
    """The rounding noise's part of ``Cov(AR)`` on the union days (module docstring).

    ``N_UU - X* A V - (X* A V)' + X* A P A X*'`` for the noise covariance ``N``: ``b_r`` on
    the diagonal, ``-s2_q`` between the observations that end and start on close ``q``
    (adjacent pairs ``(q, r)``), 0 else; ``V = X'W N_EU`` (the union days' adjacent
    estimation neighbours ``-s2 x_t / n_t``), ``P = X'W N_EE W X`` (``sum b x x' / n^2`` over
    the estimation days plus the adjacent estimation pairs' ``-s2_q (x_q x_r' + x_r x_q') /
    (n_q n_r)``).
    """
    K = len(union_cols)
    pos = np.full(len(n), -1, dtype=np.int64)
    pos[union_cols] = np.arange(K)
    c = np.diag(b[union_cols])
    i, j = pos[q["UU"]], pos[r["UU"]]
    w = -s2[q["UU"]]
    np.add.at(c, (i, j), w)
    np.add.at(c, (j, i), w)
    p = x.shape[1]
    if p == 0:
        return c
    v = np.zeros((p, K))
    qa, ra = q["EU"], r["EU"]            # estimation q, union r: they share close q
    np.add.at(v.T, pos[ra], x[qa] * (-s2[qa] / n[qa])[:, None])
    qb, rb = q["UE"], r["UE"]            # union q, estimation r: they share close q
    np.add.at(v.T, pos[qb], x[rb] * (-s2[qb] / n[rb])[:, None])
    qe, re_ = q["EE"], r["EE"]
    xq = x[qe] * (-s2[qe] / (n[qe] * n[re_]))[:, None]
    pm = xq.T @ x[re_]
    pm = pm + pm.T
    xe = x[est]
    pm = pm + (xe * (b[est] / n[est] ** 2)[:, None]).T @ xe
    xu = x[union_cols]
    bb = xu @ inv @ v
    a_xu = inv @ xu.T
    return c - bb - bb.T + a_xu.T @ pm @ a_xu


# --------------------------------------------------------------------------------------
# The result
# --------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)  # frames inside: compare their parts, not the objects
class CampaignResult:
    """Output of :func:`campaign_study` (one stock, its activities studied jointly).

    Attributes
    ----------
    cars : DataFrame
        One row per studied activity and event window: ``event_id, event_date, day0_date,
        window_start, window_end, car, car_var`` (``(G Cov(AR) G')_ii``), ``car_t``,
        ``p_value`` (two-sided Student t, ``dof``), ``n_obs`` (returns in the window),
        ``n_est`` (estimation days from the span's start to the end of the activity's
        estimation window: the data before it), ``dof`` (the
        joint regression's residual degrees of freedom), then every extra column of
        ``events`` (``type``, ``title`` ...).
    day_ar : DataFrame
        One row per union day with a return: ``date, ar, ar_var, span, ret, market_ret,
        expected``.
    skipped : DataFrame
        ``event_id, event_date, window_start, window_end, reason`` (window empty when the
        whole activity could not be studied).
    coef : dict
        The normal model's parameters (``alpha, beta`` or ``mu``; empty for market-adjusted).
    sigma2, dof, n_estimation : float, int, int
        Residual variance per trading day, residual degrees of freedom and estimation days.
    autocorrelation : {"first_order", None}
        The residual covariance asked for (``None``: uncorrelated residuals, the old Cov(AR)).
    rho1, rho1_used, rho1_pairs : float, float, int
        First-order autocorrelation of the span-standardised estimation residuals (NaN
        without a fit), the value ``Cov(AR)`` uses (0 with ``autocorrelation=None`` or when
        the rule ``rho1_rule`` leaves it out) and the adjacent estimation pairs it rests on.
    variance_note : str
        Which ``Cov(AR)`` the CARs, ``campaign_t`` and the placebo's t use, in words (for the
        pages).
    covariance : {"tick_noise", "first_order", None}
        The covariance actually used: ``"tick_noise"`` asked for falls back to
        ``"first_order"`` where it does not apply (no price grid, or daily returns with
        untraded days).
    tick, noise_var, sigma2_efficient : float
        With ``"tick_noise"``: the price grid found (:func:`price_grid`; 0 when none), the
        mean rounding-noise variance of a close over the estimation days (``tick^2 / (12
        P^2)``) and the efficient variance per trading day ``sigma_e^2`` (NaN otherwise).
    """

    ticker: str
    model: str
    thin_trading: str | None
    estimation_window: tuple[int, int]
    event_windows: tuple[tuple[int, int], ...]
    report_window: tuple[int, int]
    events: pd.DataFrame
    cars: pd.DataFrame
    day_ar: pd.DataFrame
    skipped: pd.DataFrame
    coef: dict
    sigma2: float
    dof: int
    n_estimation: int
    autocorrelation: str | None
    rho1: float
    rho1_used: float
    rho1_pairs: int
    variance_note: str
    covariance: str | None = None
    tick: float = 0.0
    noise_var: float = float("nan")
    sigma2_efficient: float = float("nan")
    _state: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)

    # ---- covariances -------------------------------------------------------------------
    def day_ar_cov(self) -> pd.DataFrame:
        """``Cov(AR)`` over the union days (indexed by date): ``sigma^2 (D + X* (X'WX)^-1 X*')``
        plus the first-order term when ``rho1_used`` is not 0 (module docstring)."""
        idx = pd.DatetimeIndex(self.day_ar["date"])
        return pd.DataFrame(self._state["cov"], index=idx, columns=idx)

    def _window(self, window) -> tuple[int, int]:
        w = tuple(int(v) for v in (window if window is not None else self.event_windows[0]))
        if w not in self.event_windows:
            raise ValueError(f"window {w} is not one of the study's event_windows "
                             f"{list(self.event_windows)}")
        return w

    def _g(self, window) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Indicator matrix G (studied activities of the window x union days) and their
        ``rows`` (positions in ``events``), ``ids``, ``col0`` (day-0 rows) and ``car_var``."""
        info = self._state["win"][self._window(window)]
        return info["g"], info

    def car_cov(self, window=None) -> pd.DataFrame:
        """``Cov(CAR) = G Cov(AR) G'`` of the activities studied in ``window`` (by event_id).

        Parameters
        ----------
        window : (int, int), optional
            One of ``event_windows`` (default: the first).
        """
        g, info = self._g(window)
        cov = g @ self._state["cov"] @ g.T
        ids = pd.Index(info["ids"], name="event_id")
        return pd.DataFrame(cov, index=ids, columns=ids)

    # ---- pooled statistics ----------------------------------------------------------------
    def _group_labels(self, groups, rows: np.ndarray) -> tuple[str, np.ndarray]:
        """Group label of the activities at positions ``rows`` of ``events``."""
        if groups is None:
            return "group", np.full(len(rows), "all", dtype=object)
        if isinstance(groups, str):
            if groups not in self.events.columns:
                raise ValueError(f"groups={groups!r} is not a column of events "
                                 f"(have: {', '.join(map(str, self.events.columns))})")
            return groups, self.events[groups].to_numpy(dtype=object)[rows]
        mapping = pd.Series(groups) if isinstance(groups, Mapping) else groups
        if not isinstance(mapping, pd.Series):
            raise ValueError("groups must be None, a column name of events, or a mapping "
                             "event_id -> group label")
        labels = self.events["event_id"].iloc[rows].map(mapping).to_numpy(dtype=object)
        return mapping.name if mapping.name is not None else "group", labels

    def _group_weights(self, groups, window):
        """Per group: label, positions among the window's activities, ``h = G_g' 1``."""
        g, info = self._g(window)
        name, labels = self._group_labels(groups, info["rows"])
        return name, info, [(lab, sel, g[sel].sum(axis=0)) for lab, sel in _groups_of(labels)]

    def _pooled_values(self, h: np.ndarray, n: int) -> tuple[float, float, float]:
        """Mean CAR ``h' AR / N``, its variance ``h' Cov(AR) h / N^2`` and ``campaign_t``."""
        mean = float(h @ self._state["ar"]) / n
        var = float(h @ self._state["cov"] @ h) / n**2
        return mean, var, (mean / np.sqrt(var) if var > 0 else np.nan)

    def pooled(self, groups=None, window=None) -> pd.DataFrame:
        """Mean CAR of each group of activities with the covariance their shared days create.

        ``mean_car = h' AR / N``, ``mean_car_var = h' Cov(AR) h / N^2`` (``= 1' Sigma_g 1 /
        N^2``, ``Sigma_g`` the group's block of ``car_cov``), ``campaign_t = mean_car /
        sqrt(mean_car_var)`` and a two-sided p-value from Student's t with the regression's
        ``dof`` (Binder 1985; Karafiath 1988).  ``naive_var`` is what the variance would be
        if the CARs were independent (``sum car_var / N^2``), shown to tell how much the
        overlap matters.

        Parameters
        ----------
        groups : None, str or mapping
            ``None``: all studied activities; a column of ``events`` (``"type"``); or a
            mapping ``event_id -> label``.
        window : (int, int), optional
            One of ``event_windows`` (default: the first).

        Returns
        -------
        DataFrame
            ``<group>, window_start, window_end, n, union_days, mean_car, mean_car_var,
            naive_var, sum_car, campaign_t_stat, campaign_t_p, dof, test, variance`` (the
            result's ``variance_note``: which ``Cov(AR)`` the variance uses).
        """
        w = self._window(window)
        name, info, parts = self._group_weights(groups, w)
        out = []
        for lab, sel, h in parts:
            n = len(sel)
            mean, var, t = self._pooled_values(h, n)
            out.append({name: lab, "window_start": w[0], "window_end": w[1], "n": n,
                        "union_days": int((h > 0).sum()), "mean_car": mean, "mean_car_var": var,
                        "naive_var": float(info["car_var"][sel].sum()) / n**2,
                        "sum_car": mean * n, "campaign_t_stat": t,
                        "campaign_t_p": float(_two_sided_p(t, self.dof)), "dof": self.dof,
                        "test": "campaign_t", "variance": self.variance_note})
        cols = [name, "window_start", "window_end", "n", "union_days", "mean_car", "mean_car_var",
                "naive_var", "sum_car", "campaign_t_stat", "campaign_t_p", "dof", "test",
                "variance"]
        return pd.DataFrame(out, columns=cols)

    # ---- weighted sums of day ARs (abnormal dollar value) ---------------------------------
    def window_days(self, window=None, event_ids=None) -> pd.DatetimeIndex:
        """Union days (with a return) inside ``window`` of the given activities (default all).

        Each day appears once however many of the activities' windows contain it: the days
        over which an abnormal dollar value sums without double counting.
        """
        g, info = self._g(window)
        if event_ids is not None:
            g = g[pd.Index(info["ids"]).isin(list(event_ids))]
        return pd.DatetimeIndex(self.day_ar["date"].to_numpy()[g.sum(axis=0) > 0])

    def weighted_ar(self, weights) -> dict[str, float]:
        """``value = c' AR`` and ``var = c' Cov(AR) c`` for weights ``c`` on the union days.

        For the abnormal dollar value, ``c_d`` = the market capitalisation of the previous
        trading day on the unique days to count (:meth:`window_days`), 0 elsewhere; with
        trade-to-trade returns ``AR_d`` covers the span since the previous traded day, so the
        capitalisation at the start of that span (``day_ar["span"]`` trading days back) is
        the one it applies to.

        Parameters
        ----------
        weights : Series indexed by date, or array of ``len(day_ar)``
            A Series is aligned on ``day_ar["date"]``; union days it does not name weigh 0.
            Dates that are not union days with a return have no AR and are ignored (counted
            in ``n_ignored``: a day without a trade adds nothing, its reaction is measured on
            the next traded day).

        Returns
        -------
        dict
            ``value, var, se, n_days`` (days with a non-zero weight), ``n_ignored``.
        """
        dates = pd.DatetimeIndex(self.day_ar["date"])
        if isinstance(weights, pd.Series):
            w_index = pd.DatetimeIndex(pd.to_datetime(weights.index)).normalize()
            if w_index.has_duplicates:
                raise ValueError("weights has duplicate dates: give one weight per day")
            s = pd.Series(weights.to_numpy(dtype=float), index=w_index)
            c = s.reindex(dates).fillna(0.0).to_numpy()
            n_ignored = int((~w_index.isin(dates)).sum())
        else:
            c = np.asarray(weights, dtype=float)
            if c.shape != (len(dates),):
                raise ValueError(f"weights has shape {c.shape}; give one weight per row of "
                                 f"day_ar ({len(dates)}) or a Series indexed by date")
            n_ignored = 0
        if not np.isfinite(c).all():
            raise ValueError("weights must be finite (a missing market cap? fill or drop that day)")
        value = float(c @ self._state["ar"])
        var = float(c @ self._state["cov"] @ c)
        return {"value": value, "var": var, "se": float(np.sqrt(max(var, 0.0))),
                "n_days": int((c != 0).sum()), "n_ignored": n_ignored}

    # ---- campaign placebo ---------------------------------------------------------------
    @cached_property
    def _placements(self) -> dict[str, Any]:
        return _placement_fits(self._state)

    def placebo(self, groups=None, window=None, *, draws: int = CAMPAIGN_PLACEBO_DRAWS,
                seed: int = DEFAULT_SEED, return_draws: bool = False) -> pd.DataFrame:
        """Campaign placebo: the pooled statistic of each group against the whole campaign
        moved to random placements in the stock's own history (see the module docstring).

        A group is the same activities at every placement: those studied in ``window`` of
        the real campaign (an activity whose window has no trade at a placement adds a CAR
        of 0 there, as a day without a return adds nothing to a CAR).

        Parameters
        ----------
        groups : None, str or mapping
            As in :meth:`pooled`.
        window : (int, int), optional
            One of ``event_windows`` (default: the first).
        draws : int
            Placebo draws (placements drawn uniformly, with replacement, among the possible).
        seed : int
            Seed of the draws (the same placements serve every group).
        return_draws : bool
            Add ``mean_car_draws`` (the ``draws`` placebo mean CARs, draw order).

        Returns
        -------
        DataFrame
            ``<group>, window_start, window_end, n, mean_car, campaign_t_stat,
            placebo_mean, placebo_sd, percentile`` (share of placebo mean CARs <= the actual),
            ``placebo_p`` (two-sided, on the mean CAR), ``placebo_t_p`` (two-sided, on
            ``campaign_t``), ``draws, placements`` (distinct placements possible),
            ``independent_placements`` (how many of them can be chosen with no report day in
            common) and ``note``.
        """
        w = self._window(window)
        draws = int(draws)
        if draws < 1:
            raise ValueError("draws must be a positive number of placebo draws")
        name, info, parts = self._group_weights(groups, w)
        fit = self._placements
        pick, note = _draw_placements(fit, draws, seed)
        out = []
        for lab, sel, h in parts:
            mean, _var, t = self._pooled_values(h, len(sel))
            row = {name: lab, "window_start": w[0], "window_end": w[1], "n": len(sel),
                   "mean_car": mean, "campaign_t_stat": t}
            if pick is None:
                row.update({"placebo_mean": np.nan, "placebo_sd": np.nan, "percentile": np.nan,
                            "placebo_p": np.nan, "placebo_t_p": np.nan, "draws": 0,
                            "placements": fit["n_eligible"],
                            "independent_placements": fit["n_independent"], "note": note})
                if return_draws:
                    row["mean_car_draws"] = np.empty(0)
                out.append(row)
                continue
            h_rel = self._relative_weights(sel, w)
            mean_d, t_d = _placement_statistics(fit, h_rel, len(sel))
            mean_d, t_d = mean_d[pick], t_d[pick]
            actual, actual_t = row["mean_car"], row["campaign_t_stat"]
            le = int((mean_d <= actual).sum())
            row.update({
                "placebo_mean": float(mean_d.mean()),
                "placebo_sd": float(mean_d.std(ddof=1)) if draws > 1 else np.nan,
                "percentile": le / draws,
                "placebo_p": _placebo_p(mean_d, actual),
                "placebo_t_p": _placebo_p(t_d, actual_t),
                "draws": draws, "placements": fit["n_eligible"],
                "independent_placements": fit["n_independent"], "note": note,
            })
            if return_draws:
                row["mean_car_draws"] = mean_d
            out.append(row)
        cols = [name, "window_start", "window_end", "n", "mean_car", "campaign_t_stat",
                "placebo_mean", "placebo_sd", "percentile", "placebo_p", "placebo_t_p", "draws",
                "placements", "independent_placements", "note"] + (
                    ["mean_car_draws"] if return_draws else [])
        return pd.DataFrame(out, columns=cols)

    def placements(self, groups=None, window=None) -> pd.DataFrame:
        """The pooled statistic of each group at every placement the placebo can draw.

        Returns
        -------
        DataFrame
            ``first_day0`` (the date the campaign's first activity is moved to), ``<group>``,
            ``mean_car`` and ``campaign_t`` of the refitted model; one row per placement and
            group (empty when no placement fits).
        """
        w = self._window(window)
        name, _info, parts = self._group_weights(groups, w)
        fit = self._placements
        dates = self._state["days"][fit["eligible"]].astype("datetime64[ns]")
        out = []
        for lab, sel, _h in parts:
            if fit["n_eligible"] == 0:
                continue
            mean, t = _placement_statistics(fit, self._relative_weights(sel, w), len(sel))
            out.append(pd.DataFrame({"first_day0": dates, name: lab, "mean_car": mean,
                                     "campaign_t": t}))
        cols = ["first_day0", name, "mean_car", "campaign_t"]
        return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=cols)

    def caar_band(self, groups=None, *, draws: int = CAMPAIGN_PLACEBO_DRAWS,
                  seed: int = DEFAULT_SEED, level: float = 0.95) -> pd.DataFrame:
        """Cumulative average AR path by relative day with a band from the campaign placebo.

        ``caar(tau) = mean_i sum_{j = r0..tau} AR(day0_i + j)`` over the group's studied
        activities whose report range lies in the history (a day without a return adds 0);
        ``lower, upper`` are the ``(1 -+ level) / 2`` quantiles of the same path over the
        placebo draws (the whole campaign moved, model refitted), ``placebo_mean`` their mean.

        Returns
        -------
        DataFrame
            ``<group>, rel_day, n, caar, placebo_mean, lower, upper, draws, placements,
            independent_placements`` (as in :meth:`placebo`).
        """
        if not 0 < level < 1:
            raise ValueError("level must be between 0 and 1 (e.g. 0.95)")
        s = self._state
        r0, r1 = self.report_window
        rel = np.arange(r0, r1 + 1)
        rows = np.unique(np.concatenate([np.zeros(0, dtype=np.int64)]
                                        + [v["rows"] for v in s["win"].values()]))
        c0_all = s["col0"][rows]
        complete = (c0_all + r0 >= 1) & (c0_all + r1 <= s["T"] - 1)
        rows, c0_rows = rows[complete], c0_all[complete]
        name, labels = self._group_labels(groups, rows)
        fit = self._placements
        pick, _note = _draw_placements(fit, int(draws), seed)
        ar_col = np.zeros(s["T"])
        ar_col[s["union_cols"]] = s["ar"]
        out = []
        for lab, sel in _groups_of(labels):
            c0 = c0_rows[sel]
            caar = np.cumsum(ar_col[c0[:, None] + rel[None, :]].mean(axis=0))
            frame = {name: lab, "rel_day": rel, "n": len(sel), "caar": caar}
            if pick is None:
                frame.update(placebo_mean=np.nan, lower=np.nan, upper=np.nan, draws=0)
            else:
                kmap = np.searchsorted(fit["u_rel"], (c0 - s["base"])[:, None] + rel[None, :])
                paths = np.cumsum(fit["ar_u"][pick][:, kmap].mean(axis=1), axis=1)
                lo, hi = np.quantile(paths, [(1 - level) / 2, (1 + level) / 2], axis=0)
                frame.update(placebo_mean=paths.mean(axis=0), lower=lo, upper=hi, draws=len(pick))
            frame["placements"] = fit["n_eligible"]
            frame["independent_placements"] = fit["n_independent"]
            out.append(pd.DataFrame(frame))
        cols = [name, "rel_day", "n", "caar", "placebo_mean", "lower", "upper", "draws", "placements",
                "independent_placements"]
        return pd.concat(out, ignore_index=True)[cols] if out else pd.DataFrame(columns=cols)

    def _relative_weights(self, sel: np.ndarray, w: tuple[int, int]) -> np.ndarray:
        """``h`` of a group over the campaign's relative union offsets (all report days)."""
        _g, info = self._g(w)
        off = info["col0"][sel] - self._state["base"]
        fit = self._placements
        u = fit["u_rel"]
        inside = (u[None, :] >= off[:, None] + w[0]) & (u[None, :] <= off[:, None] + w[1])
        return inside.sum(axis=0).astype(float)


# --------------------------------------------------------------------------------------
# Placebo placements: every shift of the whole campaign at once, from prefix sums
# --------------------------------------------------------------------------------------
def _placement_fits(s: dict[str, Any]) -> dict[str, Any]:
    """Refit the model for every placement of the campaign that the placebo may draw.

    A placement is a new day-0 column ``b`` of the campaign's first activity; every activity
    keeps its offset.  Its estimation days are the days with a return in ``[b + e0, b +
    last_offset + r1]`` outside both the shifted and the real report ranges; its sums come
    from prefix sums over the history minus the shifted report days.
    """
    T, y, x, n, valid = s["T"], s["y"], s["x"], s["n"], s["valid"]
    p = x.shape[1]
    e0, _e1 = s["estimation_window"]
    r0, r1 = s["report_window"]
    offsets = s["all_col0"] - s["base"]
    if len(offsets) == 0 or not np.isfinite(s["ar"]).all():
        return {"u_rel": np.empty(0, dtype=np.int64), "n_eligible": 0, "n_independent": 0,
                "eligible": np.empty(0, dtype=np.int64),
                "reason": "the real campaign could not be studied (see skipped)"}
    u_rel = np.unique((offsets[:, None] + np.arange(r0, r1 + 1)[None, :]).ravel())
    last = int(offsets.max()) + r1
    cand = np.arange(-e0, T - last)  # b + e0 >= 0 and b + last <= T - 1
    empty = {"u_rel": u_rel, "n_eligible": 0, "n_independent": 0,
             "eligible": np.empty(0, dtype=np.int64)}
    if len(cand) == 0:
        empty["reason"] = (f"the history ({T} trading days) is shorter than one campaign span "
                           f"({last - e0 + 1} trading days from the estimation start to the last "
                           f"report day)")
        return empty
    real = s["report_mask"]
    # the shifted report days are runs of consecutive offsets: sums over them are prefix
    # differences per run, (placements x runs) instead of (placements x days)
    brk = np.flatnonzero(np.diff(u_rel) > 1)
    run_lo = np.r_[u_rel[0], u_rel[brk + 1]]
    run_hi = np.r_[u_rel[brk], u_rel[-1]]
    a_lo, a_hi = cand[:, None] + run_lo[None, :], cand[:, None] + run_hi[None, :] + 1
    pre_real = np.r_[0, np.cumsum(real)]
    clear = (pre_real[a_hi] - pre_real[a_lo]).sum(axis=1) == 0
    est_ok = valid & ~real
    w = 1.0 / n
    comps = [est_ok.astype(float)]                    # count
    pairs = [(j, k) for j in range(p) for k in range(j, p)]
    comps += [est_ok * x[:, j] * x[:, k] * w for j, k in pairs]
    comps += [est_ok * x[:, j] * y * w for j in range(p)]
    comps.append(est_ok * y * y * w)
    tick = s.get("noise_mode") == "tick_noise"
    if tick:  # sum w b (the noise in the SSR) and sum b w^2 x x' (the noise part of X'W N W X)
        bvar = s["b"]
        comps.append(est_ok * bvar * w)
        comps += [est_ok * bvar * w * w * x[:, j] * x[:, k] for j, k in pairs]
    q = np.column_stack(comps)
    pre = np.vstack([np.zeros((1, q.shape[1])), np.cumsum(q, axis=0)])
    lo, hi = cand + e0, cand + last
    tot = pre[hi + 1] - pre[lo] - (pre[a_hi] - pre[a_lo]).sum(axis=1)
    n_est = np.rint(tot[:, 0]).astype(np.int64)
    sxx = np.zeros((len(cand), p, p))
    for i, (j, k) in enumerate(pairs):
        sxx[:, j, k] = sxx[:, k, j] = tot[:, 1 + i]
    sxy = tot[:, 1 + len(pairs):1 + len(pairs) + p]
    syy = tot[:, 1 + len(pairs) + p]
    inv, singular = _inverse(sxx)
    coef = np.einsum("sij,sj->si", inv, sxy) if p else np.zeros((len(cand), 0))
    ssr = np.maximum(syy - np.einsum("si,si->s", coef, sxy), 0.0)
    dof = n_est - p
    with np.errstate(invalid="ignore", divide="ignore"):
        sigma2 = ssr / dof if p else syy / n_est
    elig = clear & ~singular & (n_est >= max(s["min_obs"], p + 1)) & (sigma2 > 0)
    if not elig.any():
        empty["reason"] = ("no placement of the whole campaign outside its real report days has "
                           f"{max(s['min_obs'], p + 1)} estimation days and a usable model")
        return empty
    cols = cand[elig][:, None] + u_rel[None, :]       # (S, K) report days of each placement
    obs = valid[cols]
    ce = coef[elig]
    x_u = [np.where(obs, x[cols, j], 0.0) for j in range(p)]
    fitted = sum((ce[:, j][:, None] * x_u[j] for j in range(p)), np.zeros(cols.shape))
    ar_u = np.where(obs, y[cols] - fitted, 0.0)
    first_order = None
    sigma2_used = sigma2[elig]
    if tick:
        k0 = 2 + len(pairs) + p
        sigma2_used = np.maximum((ssr - tot[:, k0]) / dof, 0.0)[elig]
        pdiag = np.zeros((len(cand), p, p))
        for i, (j, k) in enumerate(pairs):
            pdiag[:, j, k] = pdiag[:, k, j] = tot[:, k0 + 1 + i]
        first_order = _placement_first_order(s, cand[elig], ce, sigma2[elig], cols, obs, u_rel,
                                             run_lo, run_hi, e0, last, pdiag=pdiag[elig])
    elif s.get("noise_mode") == "first_order":
        first_order = _placement_first_order(s, cand[elig], ce, sigma2[elig], cols, obs, u_rel,
                                             run_lo, run_hi, e0, last)
    return {"u_rel": u_rel, "n_eligible": int(elig.sum()),
            "n_independent": _non_overlapping(cand[elig], int(u_rel[-1] - u_rel[0] + 1)),
            "eligible": cand[elig],
            "obs": obs, "x_u": x_u, "n_u": np.where(obs, n[cols], 0.0),
            "ar_u": ar_u, "inv": inv[elig], "sigma2": sigma2_used, "first_order": first_order}


def _placement_first_order(s: dict[str, Any], b: np.ndarray, coef: np.ndarray,
                           sigma2: np.ndarray, cols: np.ndarray, obs: np.ndarray,
                           u_rel: np.ndarray, run_lo: np.ndarray, run_hi: np.ndarray,
                           lo_off: int, last: int, pdiag: np.ndarray | None = None
                           ) -> dict[str, Any]:
    """The first-order pieces of every placement's ``Cov(AR)`` (as :func:`_first_order_term`).

    Per placement ``b``: ``rho1`` re-estimated on its own estimation days (adjacent pairs
    from prefix sums over the history, like the placement's other sums, less the pairs
    that cross into its shifted report days or start before its span), the applied value
    (same rule), the adjacent union pairs (``kprev``: the union column of the previous
    observation, -1 if it is not a union day; ``sprev = sqrt(n_q n_r)``), the union days'
    estimation neighbours (``vx``: ``sum x_t sqrt(n_d / n_t)``) and ``A P A``.

    With ``pdiag`` (the ``"tick_noise"`` covariance: :func:`_tick_noise_term`, ``pdiag`` the
    placements' ``sum b x x' / n^2`` over their estimation days) the same pieces carry the
    rounding noise's weights instead: ``-s2_q / (n_q n_r)`` in ``P``, ``-s2_q`` for the
    union pairs, ``-s2_q x_t / n_t`` for the neighbours, ``b`` on the union days (``bu``);
    nothing is estimated (``scale`` 1: the weights are covariances already).
    """
    tick = pdiag is not None
    s2 = s["s2"] if tick else None
    y, x, n, valid, prev = s["y"], s["x"], s["n"], s["valid"], s["prev"]
    T, p = len(y), x.shape[1]
    S, K = cols.shape
    est_ok = valid & ~s["report_mask"]
    has = prev >= 0
    qq = np.where(has, prev, 0)
    pair_ok = has & est_ok & est_ok[qq]
    c = (np.where(pair_ok, -s2[qq] / (n * n[qq]), 0.0) if tick
         else np.where(pair_ok, 1.0 / np.sqrt(n * n[qq]), 0.0))
    jk = [(j, k) for j in range(p) for k in range(j, p)]
    comps = [pair_ok.astype(float), c * y * y[qq]]
    comps += [c * (x[qq, j] * y + x[:, j] * y[qq]) for j in range(p)]
    comps += [c * (x[qq, j] * x[:, k] + x[:, j] * x[qq, k]) for j, k in jk]
    q_mat = np.column_stack(comps)
    pre = np.vstack([np.zeros((1, q_mat.shape[1])), np.cumsum(q_mat, axis=0)])
    lo, hi = b + lo_off, b + last
    a_lo, a_hi = b[:, None] + run_lo[None, :], b[:, None] + run_hi[None, :] + 1
    tot = pre[hi + 1] - pre[lo] - (pre[a_hi] - pre[a_lo]).sum(axis=1)
    # pairs counted by their later row whose earlier row is not an estimation day of b:
    # the first observation of the span (earlier row before the span) and the first one
    # after each shifted run (earlier row in the run); no observation lies between the two
    # rows of a pair, so there is at most one of each
    vrows = np.flatnonzero(valid)            # nv[i]: first row >= i with a return (T: none)
    idx = np.searchsorted(vrows, np.arange(T + 1))
    nv = (np.where(idx < len(vrows), vrows[np.minimum(idx, len(vrows) - 1)], T) if len(vrows)
          else np.full(T + 1, T, dtype=np.int64))

    def shifted(rows):
        off = rows - b.reshape((-1,) + (1,) * (rows.ndim - 1))
        k = np.minimum(np.searchsorted(u_rel, off), K - 1)
        return u_rel[k] == off

    r_a = nv[lo]
    ok_a = r_a <= hi
    r_a = np.minimum(r_a, T - 1)
    drop_a = ok_a & pair_ok[r_a] & (prev[r_a] < lo) & ~shifted(r_a)
    r_b = nv[np.minimum(a_hi, T)]
    ok_b = r_b <= hi[:, None]
    r_b = np.minimum(r_b, T - 1)
    drop_b = (ok_b & pair_ok[r_b] & (prev[r_b] >= a_lo) & (prev[r_b] < a_hi) & ~shifted(r_b))
    tot = tot - np.where(drop_a[:, None], q_mat[r_a], 0.0) \
        - (np.where(drop_b[:, :, None], q_mat[r_b], 0.0)).sum(axis=1)
    count = np.rint(tot[:, 0])
    pm = np.zeros((S, p, p))
    for i, (j, k) in enumerate(jk):
        pm[:, j, k] = pm[:, k, j] = tot[:, 2 + p + i]
    zz = tot[:, 1] - np.einsum("si,si->s", coef, tot[:, 2:2 + p]) \
        + np.einsum("si,sij,sj->s", coef, pm, coef) / 2 if p else tot[:, 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        raw = zz / count / sigma2
    if tick:
        pm = pm + pdiag
    rule = s["rho1_rule"]
    used = np.clip(np.where(np.isfinite(raw) & (count > 0), raw, 0.0), -RHO1_BOUND, RHO1_BOUND)
    if rule == "negative":
        used = np.minimum(used, 0.0)
    elif rule == "significant":
        used = np.where(np.abs(used) * np.sqrt(count) > 1.96, used, 0.0)
    # union pairs and estimation neighbours of the shifted union days
    qrow = np.where(obs, prev[cols], -1)
    kq = np.minimum(np.searchsorted(u_rel, qrow - b[:, None]), K - 1)
    is_u = (qrow >= 0) & (u_rel[kq] == qrow - b[:, None])
    kprev = np.where(is_u, kq, -1)
    sprev = (np.where(is_u, -s2[np.maximum(qrow, 0)], 0.0) if tick
             else np.where(is_u, np.sqrt(n[cols] * n[np.maximum(qrow, 0)]), 0.0))
    before = (qrow >= 0) & ~is_u & (qrow >= lo[:, None]) & est_ok[np.maximum(qrow, 0)]
    nxt = nv[np.minimum(cols + 1, T)]
    nxt_c = np.minimum(nxt, T - 1)
    after = (obs & (nxt <= hi[:, None]) & (prev[nxt_c] == cols) & est_ok[nxt_c]
             & ~shifted(nxt_c))
    qb = np.maximum(qrow, 0)
    if tick:  # the shared close: qb for the neighbour before, the union day for the one after
        vx = [np.where(before, -s2[qb] * x[qb, j] / n[qb], 0.0)
              + np.where(after, -s2[cols] * x[nxt_c, j] / n[nxt_c], 0.0) for j in range(p)]
        return {"rho1": np.full(S, np.nan), "rho1_used": np.zeros(S), "scale": np.ones(S),
                "bu": np.where(obs, s["b"][cols], 0.0), "kprev": kprev, "sprev": sprev,
                "vx": vx, "pm": pm}
    vx = [np.where(before, x[qb, j] * np.sqrt(n[cols] / n[qb]), 0.0)
          + np.where(after, x[nxt_c, j] * np.sqrt(n[cols] / n[nxt_c]), 0.0) for j in range(p)]
    return {"rho1": raw, "rho1_used": used, "scale": sigma2 * used, "bu": None,
            "kprev": kprev, "sprev": sprev, "vx": vx, "pm": pm}


def _non_overlapping(starts: np.ndarray, extent: int) -> int:
    """Most placements with pairwise disjoint report ranges (greedy on sorted starts)."""
    count, last = 0, None
    for b in starts:
        if last is None or b - last >= extent:
            count, last = count + 1, b
    return count


def _placement_statistics(fit: dict[str, Any], h: np.ndarray, n_act: int):
    """Mean CAR and ``campaign_t`` of a group (weights ``h`` on the relative offsets) per placement."""
    mean = fit["ar_u"] @ h / n_act
    hx = [xj @ h for xj in fit["x_u"]]               # h' X* per placement (x_u is 0 off obs)
    inv = fit["inv"]
    quad = sum((inv[:, i, j] * hx[i] * hx[j] for i in range(len(hx)) for j in range(len(hx))),
               np.zeros(len(mean)))
    fo = fit.get("first_order")
    if fo is not None:  # + rho1 (C_UU - X* A V - (X* A V)' + X* A P A X*'), as _first_order_term
        hch = 2.0 * ((h[None, :] * fo["sprev"] * np.where(fo["kprev"] >= 0,
                                                           h[np.maximum(fo["kprev"], 0)], 0.0))
                     .sum(axis=1))
        vh = [vj @ h for vj in fo["vx"]]
        p = len(hx)
        if "apa" not in fo:  # A P A per placement: the same for every group and window
            fo["apa"] = np.einsum("sij,sjk,skl->sil", inv, fo["pm"], inv) if p else None
        apa = fo["apa"]
        cross = sum((inv[:, i, j] * hx[i] * vh[j] for i in range(p) for j in range(p)),
                    np.zeros(len(mean)))
        est_err = sum((apa[:, i, j] * hx[i] * hx[j] for i in range(p) for j in range(p)),
                      np.zeros(len(mean)))
        noise = hch - 2.0 * cross + est_err
        if fo["bu"] is not None:
            noise = noise + fo["bu"] @ (h * h)
        var = (fit["sigma2"] * (fit["n_u"] @ (h * h) + quad) + fo["scale"] * noise) / n_act**2
    else:
        var = fit["sigma2"] * (fit["n_u"] @ (h * h) + quad) / n_act**2
    with np.errstate(invalid="ignore", divide="ignore"):
        t = mean / np.sqrt(var)
    return mean, t


def _draw_placements(fit: dict[str, Any], draws: int, seed: int):
    n_el = fit["n_eligible"]
    if n_el == 0:
        return None, "placebo not possible: " + fit.get("reason", "no placement fits")
    pick = np.random.default_rng(seed).integers(0, n_el, size=draws)
    notes = []
    if n_el < FEW_PLACEMENTS:
        notes.append(f"only {n_el} distinct placements of the whole campaign fit in this history "
                     f"(fewer than {FEW_PLACEMENTS}): the placebo p-value is coarse, the smallest "
                     f"meaningful p is about {2 / (n_el + 1):.2f}")
    n_ind = fit["n_independent"]
    if n_ind < FEW_INDEPENDENT_PLACEMENTS:
        notes.append(f"the placements amount to only {n_ind} non-overlapping copies of the "
                     f"campaign (fewer than {FEW_INDEPENDENT_PLACEMENTS}): the placebo "
                     f"over-rejects with this little history (7-10% at 5% measured with about 5); "
                     f"rely on campaign_t")
    return pick, "; ".join(notes)


def _placebo_p(draws: np.ndarray, actual: float) -> float:
    """Two-sided ``min(1, 2 min(1 + #le, 1 + #ge) / (1 + draws))``; NaN draws never count."""
    if not np.isfinite(actual):
        return np.nan
    le = int((draws <= actual).sum())
    ge = int((draws >= actual).sum())
    return min(1.0, 2.0 * min(1 + le, 1 + ge) / (1 + len(draws)))


# --------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------
def campaign_study(
    prices: pd.DataFrame,
    events: pd.DataFrame,
    market: pd.DataFrame,
    *,
    model: str = "market",
    thin_trading: str | None = None,
    estimation_window: tuple[int, int] = DEFAULT_ESTIMATION_WINDOW,
    event_windows: Sequence[tuple[int, int]] = DEFAULT_EVENT_WINDOWS,
    min_estimation_obs: int = MIN_ESTIMATION_OBS,
    report_window: tuple[int, int] | None = None,
    autocorrelation: str | None = "tick_noise",
    rho1_rule: str = RHO1_RULE,
) -> CampaignResult:
    """Study the activities of ONE stock jointly (dummy-variable event study, Karafiath 1988).

    Parameters
    ----------
    prices : DataFrame
        ``ticker, date, close, volume`` of one ticker (as :func:`analytics.event_study.
        event_study` takes them); ``close`` adjusted, ``volume`` 0 on days without a trade.
    events : DataFrame
        ``event_id`` (unique), ``date``, optional ``ticker`` (must be the stock's),
        ``after_close`` and any carried column (``type`` ...).
    market : DataFrame
        The benchmark, ``date, close``.
    model : {"market", "constant_mean", "market_adjusted"}
        Normal-return model.
    thin_trading : {None, "trade_to_trade"}
        ``"trade_to_trade"``: returns between traded days only, WLS with weights ``1 / n``.
    estimation_window : (int, int)
        Each activity's estimation window; the earliest one starts the regression span.
    event_windows : sequence of (int, int)
        Windows of the CARs (their hull is the report range that gets dummies).
    min_estimation_obs : int
        Fewest estimation days in an activity's own estimation window for it to be studied.
    report_window : (int, int), optional
        Widens the range of days that get dummies (and of ``caar_band``).
    autocorrelation : {"tick_noise", "first_order", None}
        ``"tick_noise"`` (default): ``Cov(AR)`` includes the rounding noise of the price grid
        the closes lie on (:func:`price_grid`; variance ``tick^2 / (12 P^2)`` per close,
        known, not estimated: module docstring); where the closes lie on no grid, or daily
        returns have untraded days, the ``"first_order"`` term stands in (said in
        ``variance_note``).  ``"first_order"``: the first-order autocovariance of the
        residuals estimated on adjacent estimation observations, applied by ``rho1_rule``;
        ``None``: the residuals are taken as uncorrelated (the Binder/Karafiath covariance).
    rho1_rule : {"always", "negative", "significant"}
        When the estimate is applied (default ``RHO1_RULE``, chosen by simulation).

    Returns
    -------
    CampaignResult
    """
    if model not in CAMPAIGN_MODELS:
        raise ValueError(f"model must be one of {CAMPAIGN_MODELS}, not {model!r}")
    if autocorrelation not in CAMPAIGN_AUTOCORRELATION:
        raise ValueError(f"autocorrelation must be one of {CAMPAIGN_AUTOCORRELATION}, not "
                         f"{autocorrelation!r}")
    if rho1_rule not in RHO1_RULES:
        raise ValueError(f"rho1_rule must be one of {RHO1_RULES}, not {rho1_rule!r}")
    if thin_trading not in CAMPAIGN_THIN_TRADING:
        raise ValueError(f"thin_trading must be one of {CAMPAIGN_THIN_TRADING} for the campaign "
                         f"method, not {thin_trading!r} (Dimson betas are not offered here: use "
                         f"'trade_to_trade' for a thinly traded stock)")
    (e0, e1), wins, (r0, r1) = _validate_windows(estimation_window, event_windows, report_window)
    for col in ("event_id", "date"):
        if col not in events.columns:
            raise ValueError(f"events needs a {col!r} column (event_id, date)")
    ev = events.reset_index(drop=True)
    if not ev["event_id"].is_unique:
        dup = ev.loc[ev["event_id"].duplicated(), "event_id"].iloc[0]
        raise ValueError(f"duplicate event_id in events: {dup!r}")
    ticker, days, ret, mret, span, volume, close = _one_stock(prices, market, thin_trading)
    if "ticker" in ev.columns:
        other = sorted({str(t) for t in ev["ticker"].dropna()} - {ticker})
        if other:
            raise ValueError(f"campaign_study studies ONE stock ({ticker}); events name other "
                             f"tickers too ({', '.join(other[:5])}): call it once per ticker")
    y, x, n, valid = _design(model, ret, mret, span)
    T, p = len(days), x.shape[1]
    min_obs = max(int(min_estimation_obs), p + 1)

    ev_ids = ev["event_id"].to_numpy()
    ev_dates = ev["date"].to_numpy()
    skips: list[tuple] = []

    def skip(i, reason, window=(None, None)):
        skips.append((i, -(2**62) if window[0] is None else window[0], reason, window))

    # ---- day 0 of each activity ----------------------------------------------------------
    ev_days = pd.to_datetime(ev["date"]).to_numpy().astype("datetime64[D]")
    after = (ev["after_close"].fillna(False).astype(bool).to_numpy()
             if "after_close" in ev.columns else np.zeros(len(ev), dtype=bool))
    nat = np.isnat(ev_days)
    target = np.where(nat, np.datetime64(0, "D"), ev_days) + after.astype("timedelta64[D]")
    col0 = np.searchsorted(days, target, side="left").astype(np.int64)
    before = ~nat & ((col0 == 0) & (target < days[0]) if T else True)
    beyond = ~nat & ~before & (col0 >= T)
    for i in np.flatnonzero(nat):
        skip(i, "missing event date")
    for i in np.flatnonzero(before):
        skip(i, "event date before the first price date of the ticker")
    for i in np.flatnonzero(beyond):
        skip(i, "event date after the last price date of the ticker")
    col0[nat | before | beyond] = -1
    has0 = np.flatnonzero(col0 >= 0)

    # ---- the union of report ranges and the estimation days ---------------------------------
    report = np.zeros(T, dtype=bool)
    diff = np.zeros(T + 1, dtype=np.int64)
    if len(has0):
        np.add.at(diff, np.clip(col0[has0] + r0, 0, T), 1)
        np.add.at(diff, np.clip(col0[has0] + r1 + 1, 0, T), -1)
        report = np.cumsum(diff)[:T] > 0
        start = max(0, int(col0[has0].min()) + e0)
        end = min(T - 1, int(col0[has0].max()) + r1)
    else:
        start, end = 0, -1
    in_span = np.zeros(T, dtype=bool)
    in_span[start:end + 1] = True
    est = valid & ~report & in_span
    union_cols = np.flatnonzero(valid & report & in_span)
    pre_est = np.r_[0, np.cumsum(est)]
    n_est_own = np.zeros(len(ev), dtype=np.int64)
    for i in has0:
        hi = min(col0[i] + e1, T - 1)
        n_est_own[i] = pre_est[hi + 1] - pre_est[start] if hi >= start else 0

    # ---- the joint fit ------------------------------------------------------------------
    L = int(est.sum())
    w = 1.0 / n[est]
    xe, ye = x[est], y[est]
    sxx = (xe * w[:, None]).T @ xe
    sxy = (xe * w[:, None]).T @ ye
    inv, singular = _inverse(sxx[None])
    fit_ok = L >= min_obs and not singular[0]
    if fit_ok:
        coef = inv[0] @ sxy if p else np.zeros(0)
        resid = ye - xe @ coef
        dof = L - p
        sigma2 = float((w * resid**2).sum() / dof)
        fit_ok = sigma2 > 0
    if not fit_ok:
        coef, dof, sigma2 = np.full(p, np.nan), max(L - p, 0), np.nan
        why = ("singular estimation design (the benchmark did not move)" if L >= min_obs
               else f"not enough estimation data for the campaign: {L} usable returns outside "
                    f"every activity's report range, {min_obs} needed")
        for i in has0:
            skip(i, why)
        studied = np.zeros(0, dtype=np.int64)
    else:
        few = n_est_own[has0] < min_obs
        for i in has0[few]:
            skip(i, f"not enough estimation data: {n_est_own[i]} usable returns outside every "
                    f"activity's report range before the end of its estimation window (day {e1}), "
                    f"{min_obs} needed")
        studied = has0[~few]

    xu = x[union_cols]
    ar = y[union_cols] - xu @ coef if p else y[union_cols].copy()
    cov = sigma2 * (np.diag(n[union_cols]) + (xu @ inv[0] @ xu.T if p else 0.0))
    prev = _previous_adjacent(valid, n)
    rho1 = {"raw": np.nan, "used": 0.0, "pairs": 0}
    # the covariance actually used: the price grid's rounding noise needs every observation
    # to end on a traded close (trade-to-trade returns, or a stock traded every day); else
    # the estimated first-order term stands in (its rule applies)
    grid = price_grid(close) if autocorrelation == "tick_noise" else 0.0
    every_close_traded = thin_trading == "trade_to_trade" or bool((volume != 0).all())
    noise_mode = autocorrelation
    if autocorrelation == "tick_noise":
        noise_mode = "tick_noise" if (grid > 0 and every_close_traded) else "first_order"
    s2 = bvar = None
    sigma2_eff, noise_var = np.nan, np.nan
    if fit_ok:
        q, r = _pairs_within(prev, est, union_cols, start, end)
        rho1 = _rho1_estimate(q["EE"], r["EE"], y, x, n, coef, sigma2, rho1_rule)
        if noise_mode == "first_order" and rho1["used"] != 0.0:
            cov = cov + sigma2 * rho1["used"] * _first_order_term(q, r, x, n, union_cols, inv[0])
        elif noise_mode == "tick_noise":
            # Var(e_r) = n_r sigma_e^2 + b_r: E[sum w e^2] = (L - p) sigma_e^2 + sum w b
            # (the leverage of the noise neglected, O(1/L))
            s2, bvar = _noise_variances(close, grid, valid, n)
            sigma2_eff = max(float(sigma2 - (w * bvar[est]).sum() / dof), 0.0)
            noise_var = float(s2[est].mean()) if L else np.nan
            cov = sigma2_eff * (np.diag(n[union_cols]) + (xu @ inv[0] @ xu.T if p else 0.0))
            cov = cov + _tick_noise_term(q, r, x, n, union_cols, inv[0], s2, bvar, est)

    # ---- CARs: G AR per window ---------------------------------------------------------------
    by_window: dict[tuple[int, int], dict[str, np.ndarray]] = {}
    car_parts: list[dict[str, np.ndarray]] = []
    for a, b in sorted(wins):
        ok_rows, g_rows = [], []
        for i in studied:
            if not (col0[i] + a >= 1 and col0[i] + b <= T - 1):
                skip(i, "event window extends beyond the price history", (a, b))
                continue
            g = ((union_cols >= col0[i] + a) & (union_cols <= col0[i] + b)).astype(float)
            if not g.any():
                skip(i, "no return observed in the event window", (a, b))
                continue
            ok_rows.append(i)
            g_rows.append(g)
        gm = np.array(g_rows).reshape(len(g_rows), len(union_cols))
        ii = np.array(ok_rows, dtype=np.int64)
        car = gm @ ar
        car_var = np.einsum("ik,kl,il->i", gm, cov, gm) if len(ii) else np.zeros(0)
        by_window[(a, b)] = {"g": gm, "rows": ii, "ids": ev_ids[ii], "col0": col0[ii],
                             "car_var": car_var}
        with np.errstate(invalid="ignore", divide="ignore"):
            car_t = car / np.sqrt(car_var)
        car_parts.append({
            "_row": ii, "window_start": np.full(len(ii), a, dtype=np.int64),
            "window_end": np.full(len(ii), b, dtype=np.int64), "car": car, "car_var": car_var,
            "car_t": car_t, "p_value": _two_sided_p(car_t, dof),
            "n_obs": gm.sum(axis=1).astype(np.int64),
        })
    cat = {k: np.concatenate([part[k] for part in car_parts]) for k in car_parts[0]}
    order = np.lexsort((cat["window_end"], cat["window_start"], cat["_row"]))
    rows_k = cat.pop("_row")[order]
    d: dict[str, Any] = {"event_id": ev_ids[rows_k], "event_date": ev_dates[rows_k],
                         "day0_date": days[col0[rows_k]].astype("datetime64[ns]")}
    d.update({k: v[order] for k, v in cat.items()})
    d["n_est"] = n_est_own[rows_k]
    d["dof"] = np.full(len(rows_k), dof, dtype=np.int64)
    for c in ev.columns:
        if c not in ("event_id", "date", "ticker"):
            d[c] = ev[c].to_numpy()[rows_k]
    cars = pd.DataFrame(d, copy=False)

    day_ar = pd.DataFrame({
        "date": days[union_cols].astype("datetime64[ns]"), "ar": ar, "ar_var": np.diag(cov).copy(),
        "span": n[union_cols], "ret": ret[union_cols], "market_ret": mret[union_cols],
        "expected": ret[union_cols] - ar,
    }, copy=False)
    skips.sort(key=lambda k: (k[0], k[1]))  # by activity, whole-activity reasons first
    sk_rows = np.array([k[0] for k in skips], dtype=np.int64)
    skipped = pd.DataFrame({
        "event_id": ev_ids[sk_rows], "event_date": ev_dates[sk_rows],
        "window_start": pd.array([k[3][0] for k in skips], dtype="Int64"),
        "window_end": pd.array([k[3][1] for k in skips], dtype="Int64"),
        "reason": np.array([k[2] for k in skips], dtype=object)}, columns=list(SKIPPED_COLUMNS),
        copy=False)
    names = {"market": ("alpha", "beta"), "constant_mean": ("mu",), "market_adjusted": ()}[model]
    state = {
        "T": T, "days": days, "y": y, "x": x, "n": n, "valid": valid, "report_mask": report,
        "union_cols": union_cols, "ar": ar, "cov": cov, "win": by_window,
        "all_col0": col0[has0], "col0": col0,
        "base": int(col0[has0].min()) if len(has0) else 0,
        "estimation_window": (e0, e1), "report_window": (r0, r1), "min_obs": min_obs,
        "prev": prev, "autocorrelation": autocorrelation, "rho1_rule": rho1_rule,
        "noise_mode": noise_mode, "s2": s2, "b": bvar,
    }
    return CampaignResult(
        ticker=ticker, model=model, thin_trading=thin_trading, estimation_window=(e0, e1),
        event_windows=wins, report_window=(r0, r1), events=ev, cars=cars, day_ar=day_ar,
        skipped=skipped, coef=dict(zip(names, map(float, coef))), sigma2=float(sigma2),
        dof=int(dof), n_estimation=L, autocorrelation=autocorrelation, rho1=float(rho1["raw"]),
        rho1_used=float(rho1["used"]) if noise_mode == "first_order" else 0.0,
        rho1_pairs=int(rho1["pairs"]),
        variance_note=_variance_note(autocorrelation, rho1, rho1_rule, noise_mode, grid,
                                     noise_var, sigma2_eff, every_close_traded),
        covariance=noise_mode, tick=float(grid), noise_var=float(noise_var),
        sigma2_efficient=float(sigma2_eff), _state=state)
