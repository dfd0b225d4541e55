"""Abnormal trading volume around events (Campbell and Wasley 1996).

The measure of a day's trading is the log of turnover,

    v_t = log(s * n_t / S_t + c),

with ``n_t`` the shares traded, ``S_t`` the shares outstanding, ``c`` =
``LOG_TURNOVER_EPSILON`` (0.000255) so that a zero-volume day has a finite log, and
``s`` = ``turnover_scale``. We read Campbell and Wasley (1996) as adding the constant to
turnover *in percent*, so ``s`` defaults to 100; pass ``turnover_scale=1`` to add it to
the fraction. When shares outstanding are unknown the measure is ``v_t = log(n_t + 1)``
(log volume) and every output says which measure was used.

Abnormal volume is the mean-adjusted model: the measure minus its estimation-window
mean, ``AV_t = v_t - mean_est(v)``. Its standard deviation is the estimation-window
standard deviation ``s_v`` (ddof 1, ``L1`` observed days). Over an event window of
``L2`` observed days

    CAV = sum_t AV_t,   Var(CAV) = s_v^2 (L2 + L2^2 / L1),
    t   = CAV / sqrt(Var(CAV)) ~ Student t with L1 - 1 df,

the second term of the variance being the estimation error of the mean (MacKinlay
1997, constant-mean model). ``t`` is the standardized CAV that the tests across events
in :mod:`analytics.significance` take as ``scar`` (``dof = L1 - 1``).

How much more it traded, in plain numbers
-----------------------------------------
The mean of ``log(v + 1)`` measures *whether* a thin stock traded more than *how much*: on a
stock that trades half its days, trading every day at the same size doubles mean volume but
raises the mean log volume by ``0.5 log(V)``, so ``exp(CAV / L2)`` reads ~100x for V = 10,000
shares. The sentence shown to people therefore uses (:func:`volume_change`,
:func:`volume_change_sentence`) the **ratio of mean volume** (of mean turnover when shares
outstanding are known), ``mean_event(n_t) / mean_est(n_t)``, and the **change in the share of
days traded**, ``share_event(n_t > 0) - share_est(n_t > 0)``; the log measure stays the test
statistic, and its name is given beside them.

References
----------
Campbell, C. J., Wasley, C. E. (1996). Measuring abnormal daily trading volume for
samples of NYSE/ASE and NASDAQ securities using parametric and nonparametric test
statistics. Review of Quantitative Finance and Accounting 6(3), 309-326.
Ajinkya, B. P., Jain, P. C. (1989). The behavior of daily stock market trading volume.
Journal of Accounting and Economics 11(4), 331-359 (why log volume).
MacKinlay, A. C. (1997). Event studies in economics and finance. JEL 35(1), 13-39.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from analytics.constants import LOG_TURNOVER_EPSILON, MIN_ESTIMATION_OBS

__all__ = [
    "AbnormalVolume",
    "MEASURE_LOG_TURNOVER",
    "MEASURE_LOG_VOLUME",
    "log_volume_measure",
    "abnormal_log_volume",
    "abnormal_volume",
    "VolumeChange",
    "volume_change",
    "volume_change_summary",
    "volume_change_sentence",
    "MEASURE_NAMES",
]

MEASURE_LOG_TURNOVER = "log_turnover"
MEASURE_LOG_VOLUME = "log_volume"
#: The measures in words (pages and sentences).
MEASURE_NAMES: dict[str, str] = {
    MEASURE_LOG_TURNOVER: "log turnover",
    MEASURE_LOG_VOLUME: "log volume (shares outstanding unknown)",
    "mixed": "log turnover for some activities, log volume for others",
}
#: Turnover is put in percent before the constant is added (Campbell and Wasley 1996).
DEFAULT_TURNOVER_SCALE = 100.0


def log_volume_measure(volume, shares_outstanding=None, *,
                       turnover_scale: float = DEFAULT_TURNOVER_SCALE):
    """Daily log-turnover (or log-volume) measure of trading.

    Parameters
    ----------
    volume : array_like or pandas.Series
        Shares traded per day; 0 is a valid value, NaN a missing day.
    shares_outstanding : array_like, scalar or None
        Shares outstanding on the same days (broadcast against ``volume``). ``None``, or any
        non-positive or missing value where volume is observed, switches to log volume.
    turnover_scale : float, default 100
        Turnover multiplier before the constant is added (100 = percent).

    Returns
    -------
    values : same type as ``volume``
        ``log(turnover_scale * volume / shares + LOG_TURNOVER_EPSILON)`` or ``log(volume + 1)``.
    measure : str
        ``"log_turnover"`` or ``"log_volume"``.
    """
    is_series = isinstance(volume, pd.Series)
    v = np.asarray(volume, dtype=float)
    if shares_outstanding is not None:
        s = np.broadcast_to(np.asarray(shares_outstanding, dtype=float), v.shape)
        obs = np.isfinite(v)
        if np.all(np.isfinite(s[obs]) & (s[obs] > 0)):
            with np.errstate(invalid="ignore", divide="ignore"):
                out = np.log(turnover_scale * v / s + LOG_TURNOVER_EPSILON)
            out = np.where(obs, out, np.nan)
            return (pd.Series(out, index=volume.index, name=MEASURE_LOG_TURNOVER) if is_series
                    else out), MEASURE_LOG_TURNOVER
    out = np.log1p(v)
    return (pd.Series(out, index=volume.index, name=MEASURE_LOG_VOLUME) if is_series
            else out), MEASURE_LOG_VOLUME


@dataclass(frozen=True)
class AbnormalVolume:
    """Abnormal log volume of N events (output of :func:`abnormal_log_volume`).

    Attributes
    ----------
    measure : str
        ``"log_turnover"`` when every event used turnover, ``"log_volume"`` when none did,
        ``"mixed"`` otherwise (see ``table["measure"]`` per event).
    values : ndarray, shape (N, T)
        The daily measure ``v`` (log turnover or log volume), NaN where volume is missing.
    abnormal : ndarray, shape (N, T)
        ``v - mean_est(v)`` for every column (estimation and event), NaN where missing or
        where the event has too few estimation days.
    table : pandas.DataFrame
        One row per event, in panel order, columns: ``measure, n_est, mean_est, sigma,
        n_event, cav, cav_var, cav_t, dof, p_value, note`` and the plain-number change:
        ``ratio_measure`` (``"turnover"`` or ``"volume"``), ``mean_level_est``,
        ``mean_level_event`` (mean daily turnover or shares traded over the observed days),
        ``mean_ratio`` (event / estimation; NaN when nothing traded in the estimation
        window), ``traded_share_est``, ``traded_share_event`` and ``traded_share_change``
        (event minus estimation, share of observed days with volume > 0). ``note`` is empty when the event
        was measured, otherwise it says why the statistics are NaN.
    """

    measure: str
    values: np.ndarray
    abnormal: np.ndarray
    table: pd.DataFrame


def abnormal_log_volume(volume_panel, estimation_cols, event_cols, shares_panel=None, *,
                        min_estimation_obs: int = MIN_ESTIMATION_OBS,
                        turnover_scale: float = DEFAULT_TURNOVER_SCALE) -> AbnormalVolume:
    """Campbell and Wasley (1996) abnormal log volume, vectorised across events.

    Parameters
    ----------
    volume_panel : ndarray, shape (N, T)
        Shares traded; one row per event, one column per relative trading day (the same
        layout as the engine's abnormal-return panel: estimation days then event days),
        NaN where the day is missing. Zero volume is a valid observation.
    estimation_cols : array_like of int
        Column indices of the estimation window (``L1`` columns).
    event_cols : array_like of int
        Column indices of the event window (``L2`` columns).
    shares_panel : ndarray, shape (N, T) or (N,), or None
        Shares outstanding per event and day, or one number per event. Per event, if any
        value is missing or non-positive on a day with observed volume (in the estimation
        or event columns), that whole event falls back to log volume, so that one event
        never mixes two measures; ``table["measure"]`` says which was used.
    min_estimation_obs : int, default ``MIN_ESTIMATION_OBS``
        Fewer observed estimation days than this (or fewer than 2) leave the event's
        statistics NaN with the reason in ``table["note"]``.
    turnover_scale : float, default 100
        See :func:`log_volume_measure`.

    Returns
    -------
    AbnormalVolume
        See the module docstring for the formulas: ``mean_est`` and ``sigma`` (ddof 1) over
        the observed estimation days, ``cav`` the sum of abnormal values over the observed
        event days (``n_event``), ``cav_var = sigma^2 (n_event + n_event^2 / n_est)``,
        ``cav_t = cav / sqrt(cav_var)``, ``dof = n_est - 1``, ``p_value`` two-sided from
        Student's t. No Python loop over events.
    """
    vol = np.asarray(volume_panel, dtype=float)
    if vol.ndim != 2:
        raise ValueError("volume_panel must be 2-D (events x days)")
    n_ev, n_cols = vol.shape
    est = np.asarray(estimation_cols, dtype=int).ravel()
    evc = np.asarray(event_cols, dtype=int).ravel()
    used = np.union1d(est, evc)
    obs = np.isfinite(vol)

    v_log = np.log1p(vol)
    use_turnover = np.zeros(n_ev, dtype=bool)
    if shares_panel is not None:
        sh = np.asarray(shares_panel, dtype=float)
        if sh.ndim == 1:
            sh = sh[:, None]
        sh = np.broadcast_to(sh, vol.shape)
        good = np.isfinite(sh) & (sh > 0)
        use_turnover = np.all(good[:, used] | ~obs[:, used], axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            v_turn = np.log(turnover_scale * vol / np.where(good, sh, np.nan) + LOG_TURNOVER_EPSILON)
        v = np.where(use_turnover[:, None], v_turn, v_log)
    else:
        v = v_log
    v = np.where(obs, v, np.nan)

    ve = v[:, est]
    n_est = np.isfinite(ve).sum(axis=1)
    enough = n_est >= max(int(min_estimation_obs), 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_est = np.nansum(ve, axis=1) / n_est
        dev = np.where(np.isfinite(ve), ve - mean_est[:, None], 0.0)
        sigma = np.sqrt((dev ** 2).sum(axis=1) / (n_est - 1))
    mean_est = np.where(enough, mean_est, np.nan)
    sigma = np.where(enough, sigma, np.nan)
    abnormal = v - mean_est[:, None]

    av_ev = abnormal[:, evc]
    n_event = np.isfinite(av_ev).sum(axis=1)
    cav = np.where(n_event > 0, np.nansum(av_ev, axis=1), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        cav_var = sigma ** 2 * (n_event + n_event ** 2 / n_est)
        cav_t = cav / np.sqrt(cav_var)
    cav_t = np.where(cav_var > 0, cav_t, np.nan)
    dof = np.where(enough, n_est - 1, np.nan).astype(float)
    p_value = 2.0 * stats.t.sf(np.abs(cav_t), np.where(np.isfinite(dof), dof, 1.0))
    p_value = np.where(np.isfinite(cav_t), p_value, np.nan)

    note = np.full(n_ev, "", dtype=object)
    note[(sigma == 0) & enough] = "no variation of volume in the estimation window"
    note[enough & (n_event == 0)] = "no volume observed in the event window"
    short = ~enough
    if short.any():
        note[short] = [f"only {k} estimation days with volume (< {max(int(min_estimation_obs), 2)})"
                       for k in n_est[short]]

    # the plain-number change: ratio of mean level (turnover or volume), share of days traded
    if shares_panel is not None:
        with np.errstate(invalid="ignore", divide="ignore"):
            level = np.where(use_turnover[:, None], vol / np.where(good, sh, np.nan), vol)
    else:
        level = vol
    level = np.where(obs, level, np.nan)
    le, lv = level[:, est], level[:, evc]
    ne_obs, nv_obs = np.isfinite(le).sum(axis=1), np.isfinite(lv).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_level_est = np.where(ne_obs > 0, np.nansum(le, axis=1) / ne_obs, np.nan)
        mean_level_event = np.where(nv_obs > 0, np.nansum(lv, axis=1) / nv_obs, np.nan)
        mean_ratio = np.where(mean_level_est > 0, mean_level_event / mean_level_est, np.nan)
        traded_est = np.where(ne_obs > 0, (le > 0).sum(axis=1) / ne_obs, np.nan)
        traded_event = np.where(nv_obs > 0, (lv > 0).sum(axis=1) / nv_obs, np.nan)

    measures = np.where(use_turnover, MEASURE_LOG_TURNOVER, MEASURE_LOG_VOLUME)
    table = pd.DataFrame({
        "measure": measures,
        "n_est": n_est,
        "mean_est": mean_est,
        "sigma": sigma,
        "n_event": n_event,
        "cav": cav,
        "cav_var": cav_var,
        "cav_t": cav_t,
        "dof": dof,
        "p_value": p_value,
        "note": note,
        "ratio_measure": np.where(use_turnover, "turnover", "volume"),
        "mean_level_est": mean_level_est,
        "mean_level_event": mean_level_event,
        "mean_ratio": mean_ratio,
        "traded_share_est": traded_est,
        "traded_share_event": traded_event,
        "traded_share_change": traded_event - traded_est,
    })
    if use_turnover.all() and n_ev:
        overall = MEASURE_LOG_TURNOVER
    elif not use_turnover.any():
        overall = MEASURE_LOG_VOLUME
    else:
        overall = "mixed"
    return AbnormalVolume(measure=overall, values=v, abnormal=abnormal, table=table)


def _window_mask(index: pd.DatetimeIndex, window) -> np.ndarray:
    start, end = window
    m = np.ones(len(index), dtype=bool)
    if start is not None:
        m &= index >= pd.Timestamp(start)
    if end is not None:
        m &= index <= pd.Timestamp(end)
    return m


def abnormal_volume(volume: pd.Series, estimation, event, shares_outstanding=None, *,
                    min_estimation_obs: int = MIN_ESTIMATION_OBS,
                    turnover_scale: float = DEFAULT_TURNOVER_SCALE,
                    splits: pd.DataFrame | None = None) -> pd.DataFrame:
    """Abnormal log volume of one stock around one event, by dates (the simple helper).

    Parameters
    ----------
    volume : pandas.Series
        Shares traded, indexed by trading date (sorted or not), NaN for a missing day.
    estimation, event : tuple of (start, end)
        Inclusive date bounds of the estimation and event windows (``None`` = open).
    shares_outstanding : pandas.Series, pandas.DataFrame, float or None
        A number (latest basis), or reports (a Series indexed by date, or ``date, shares``)
        taken as of each trading day (last report on or before it). ``None``: log volume.
    min_estimation_obs, turnover_scale
        As in :func:`abnormal_log_volume`.
    splits : pandas.DataFrame, optional
        ``date, ratio``: each report is restated to the latest basis, that of split-adjusted
        volume (:func:`analytics.shares.shares_outstanding_daily`), so a report dated before a
        reverse split does not fake a change of turnover.

    Returns
    -------
    pandas.DataFrame
        One row per event-window day: ``date, volume, value, abnormal, t`` with
        ``t = abnormal / sigma`` (the day's abnormal volume in estimation standard
        deviations). ``attrs`` holds ``measure, n_est, mean_est, sigma, cav, cav_var, cav_t,
        dof, p_value, note`` as in :func:`abnormal_log_volume`.
    """
    vol = volume.sort_index().astype(float)
    idx = pd.DatetimeIndex(vol.index)
    if shares_outstanding is None:
        shares = None
    else:
        from analytics.shares import shares_outstanding_daily

        shares = shares_outstanding_daily(shares_outstanding, idx, splits,
                                          basis="latest").to_numpy()[None, :]
    est_cols = np.flatnonzero(_window_mask(idx, estimation))
    ev_cols = np.flatnonzero(_window_mask(idx, event))
    res = abnormal_log_volume(vol.to_numpy()[None, :], est_cols, ev_cols, shares,
                              min_estimation_obs=min_estimation_obs, turnover_scale=turnover_scale)
    row = res.table.iloc[0]
    out = pd.DataFrame({
        "date": idx[ev_cols],
        "volume": vol.to_numpy()[ev_cols],
        "value": res.values[0, ev_cols],
        "abnormal": res.abnormal[0, ev_cols],
    })
    out["t"] = out["abnormal"] / row["sigma"] if row["sigma"] > 0 else np.nan
    out.attrs.update({k: (row[k].item() if hasattr(row[k], "item") else row[k]) for k in res.table.columns})
    return out


@dataclass(frozen=True)
class VolumeChange:
    """How much more (or less) one stock traded in a window than in its estimation window.

    Attributes
    ----------
    measure : str
        The log measure of the test: ``"log_turnover"`` or ``"log_volume"``.
    measure_name : str
        The same in words (``MEASURE_NAMES``), for the page.
    ratio_measure : str
        ``"turnover"`` or ``"volume"``: what ``mean_ratio`` divides.
    mean_est, mean_event : float
        Mean daily turnover (fraction) or shares traded over the observed days.
    mean_ratio : float
        ``mean_event / mean_est`` (NaN when nothing traded in the estimation window).
    traded_share_est, traded_share_event, traded_share_change : float
        Share of observed days with volume > 0, and its change (event minus estimation).
    n_est, n_event : int
        Observed days.
    cav, cav_t, p_value : float
        Campbell-Wasley abnormal log measure over the window, its t and two-sided p.
    note : str
        Why something is NaN (empty when measured).
    """

    measure: str
    measure_name: str
    ratio_measure: str
    mean_est: float
    mean_event: float
    mean_ratio: float
    traded_share_est: float
    traded_share_event: float
    traded_share_change: float
    n_est: int
    n_event: int
    cav: float
    cav_t: float
    p_value: float
    note: str


def volume_change(volume: pd.Series, estimation, event, shares_outstanding=None, *,
                  min_estimation_obs: int = MIN_ESTIMATION_OBS,
                  splits: pd.DataFrame | None = None) -> VolumeChange:
    """Ratio of mean volume and change in the share of days traded, event vs estimation window.

    Parameters
    ----------
    volume : pandas.Series
        Shares traded by trading date (0 = no trade, NaN = missing day).
    estimation, event : tuple of (start, end)
        Inclusive date bounds (``None`` = open).
    shares_outstanding : pandas.Series, float or None
        As in :func:`abnormal_volume`; with it the ratio is of mean turnover
        (``volume / shares`` each day, so a change in the share count is not read as trading).
    min_estimation_obs : int
        For the Campbell-Wasley statistics (the ratio needs only one traded estimation day).
    splits : pandas.DataFrame, optional
        Restates the shares reports to the volume's basis (see :func:`abnormal_volume`).

    Returns
    -------
    VolumeChange
        ``mean_ratio = mean_event(x_t) / mean_est(x_t)`` with ``x_t`` the day's turnover or
        volume, ``traded_share_change = share_event(x_t > 0) - share_est(x_t > 0)``, and the
        CAV test of :func:`abnormal_log_volume` with its measure named.

    Examples
    --------
    Half the estimation days at 10,000 shares, every event day at 10,000: mean ratio 2.0,
    share of days traded +50 points (the geometric mean of ``1 + v`` would say ~100 times).
    """
    if not isinstance(volume, pd.Series):
        raise TypeError("volume must be a pandas Series of shares traded indexed by date")
    out = abnormal_volume(volume, estimation, event, shares_outstanding,
                          min_estimation_obs=min_estimation_obs, splits=splits)
    a = out.attrs
    return VolumeChange(
        measure=a["measure"], measure_name=MEASURE_NAMES[a["measure"]],
        ratio_measure=a["ratio_measure"], mean_est=float(a["mean_level_est"]),
        mean_event=float(a["mean_level_event"]), mean_ratio=float(a["mean_ratio"]),
        traded_share_est=float(a["traded_share_est"]),
        traded_share_event=float(a["traded_share_event"]),
        traded_share_change=float(a["traded_share_change"]), n_est=int(a["n_est"]),
        n_event=int(a["n_event"]), cav=float(a["cav"]), cav_t=float(a["cav_t"]),
        p_value=float(a["p_value"]), note=str(a["note"] or
                                              ("" if np.isfinite(a["mean_ratio"]) else
                                               "no trade in the estimation window: no ratio")))


def volume_change_summary(table: pd.DataFrame) -> dict:
    """Median change across activities, from :func:`abnormal_log_volume`'s table (or the
    engine's ``abnormal_volume`` for one window).

    Returns
    -------
    dict
        ``n`` (events with a ratio), ``mean_ratio`` (median over events of the ratio of mean
        volume or turnover), ``traded_share_est``, ``traded_share_event`` (medians),
        ``measure`` (``log_turnover``, ``log_volume`` or ``mixed``), ``ratio_measure``
        (``turnover``, ``volume`` or ``turnover or volume``).
    """
    t = table[np.isfinite(pd.to_numeric(table["mean_ratio"], errors="coerce"))]
    ms = set(table["measure"]) if len(table) else {MEASURE_LOG_VOLUME}
    rs = set(table["ratio_measure"]) if len(table) else {"volume"}
    return {
        "n": int(len(t)),
        "mean_ratio": float(t["mean_ratio"].median()) if len(t) else float("nan"),
        "traded_share_est": float(t["traded_share_est"].median()) if len(t) else float("nan"),
        "traded_share_event": float(t["traded_share_event"].median()) if len(t) else float("nan"),
        "measure": ms.pop() if len(ms) == 1 else "mixed",
        "ratio_measure": rs.pop() if len(rs) == 1 else "turnover or volume",
    }


def volume_change_sentence(mean_ratio: float, traded_share_est: float, traded_share_event: float,
                           measure: str, *, ratio_measure: str = "volume",
                           window: str | None = None, n_events: int | None = None) -> str:
    """The change of trading in words: the ratio of means, the days traded, the measure named.

    Parameters
    ----------
    mean_ratio : float
        Ratio of mean daily volume (or turnover) in the window to the estimation window.
    traded_share_est, traded_share_event : float
        Share of days with a trade in each.
    measure : str
        The test's log measure (``log_turnover``, ``log_volume`` or ``mixed``).
    ratio_measure : str
        ``"volume"`` or ``"turnover"``.
    window : str, optional
        How to name the window (e.g. ``"days -1 to +1"``).
    n_events : int, optional
        When the figures are medians over several activities.

    Returns
    -------
    str
        e.g. "Over days -1 to +1, mean daily volume was 2.0 times its normal level; the stock
        traded on 100% of days against 50% normally (+50 points). Measure of the test: log
        volume (shares outstanding unknown)."
    """
    where = f"Over {window}, " if window else ""
    who = f"for the median of {n_events} activities, " if n_events and n_events > 1 else ""
    what = "mean daily turnover" if ratio_measure == "turnover" else "mean daily volume"
    if np.isfinite(mean_ratio):
        head = f"{where}{who}{what} was {mean_ratio:,.1f} times its normal level"
    else:
        head = f"{where}{who}{what} cannot be compared: the stock did not trade in the normal period"
    if np.isfinite(traded_share_est) and np.isfinite(traded_share_event):
        pts = 100 * (traded_share_event - traded_share_est)
        head += (f"; the stock traded on {traded_share_event:.0%} of days against "
                 f"{traded_share_est:.0%} normally ({pts:+.0f} points)")
    name = MEASURE_NAMES.get(measure, measure)
    return head[0].upper() + head[1:] + f". Measure of the significance test: {name}."
